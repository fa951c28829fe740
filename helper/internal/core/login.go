package core

import (
	"context"
	"strings"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Login checks a token with the hub and stores it, then remembers the hub.
// The token goes only to /hub/api.
func (s *Service) Login(ctx context.Context, rawURL, token string) (*store.Hub, error) {
	base, err := hubapi.ParseHubURL(rawURL)
	if err != nil {
		return nil, fail(CodeUsage, err, "%v", err)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fail(CodeUsage, nil, "the token is empty: create one at %shub/token", base)
	}
	api := hubapi.NewClient(base, token, s.httpClient(30*time.Second))
	u, err := api.CurrentUser(ctx)
	if err != nil {
		return nil, classify(base.String(), err)
	}
	if missing := missingScopes(u); len(missing) > 0 {
		return nil, fail(CodeAuth, nil, "the token lacks the scope %s that hubssh needs: create a token at %shub/token without limiting its permissions",
			strings.Join(missing, " and "), base)
	}
	var expires *time.Time
	if u.TokenID != "" { // JupyterHub 5 names the token; older hubs do not
		expires, _ = api.TokenExpiry(ctx, u.Name, u.TokenID)
	}
	// Server tokens minted with an earlier login go: logging in again is
	// how a user gets out of any token trouble (#10). The new token
	// revokes them at the hub, where it may.
	if st, err := s.Store.Load(); err == nil {
		if old := st.Hub(base.String()); old != nil {
			s.dropServerTokens(ctx, *old, api)
		}
	}
	where := "environment"
	if s.ciMode() {
		// CI mode stores no token: every command reads HUBSSH_TOKEN.
		s.notice("%s is set: hubssh uses it and stores no token", store.TokenEnv)
	} else if where, err = s.Secrets.Set(base.String(), token); err != nil {
		return nil, fail(CodeConfig, err, "cannot store the token: %v", err)
	}
	if where == "file" {
		s.notice("no OS keyring answered; the token is kept in %s (readable by you only)", s.Secrets.Dir+"/tokens.json")
	}
	var rec store.Hub
	err = s.Store.Update(func(st *store.State) error {
		h := st.Hub(base.String())
		if h == nil {
			st.Hubs = append(st.Hubs, store.Hub{URL: base.String(), Added: s.now().UTC()})
			h = &st.Hubs[len(st.Hubs)-1]
		}
		h.User, h.Scopes, h.TokenStore, h.TokenExpires = u.Name, u.Scopes, where, expires
		rec = *h
		return nil
	})
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	return &rec, nil
}

// missingScopes lists what a restricted token lacks to open and start its
// owner's servers. Hubs before 2.0 report no scopes: nothing to check.
func missingScopes(u *hubapi.User) []string {
	if len(u.Scopes) == 0 {
		return nil
	}
	has := func(name string) bool {
		for _, s := range u.Scopes {
			if s == name || strings.HasPrefix(s, name+"!user="+u.Name) || strings.HasPrefix(s, name+"!server="+u.Name+"/") {
				return true
			}
		}
		return false
	}
	var missing []string
	// tokens: hubssh mints a short-lived token per server (tokens.go).
	for _, need := range []string{"access:servers", "servers", "tokens"} {
		if !has(need) {
			missing = append(missing, need)
		}
	}
	return missing
}

// Logout forgets a hub: its token (and cached server tokens), its ssh
// config entries and pinned host keys. The key pair stays, so logging in
// again reuses the key servers already accept.
func (s *Service) Logout(ctx context.Context, ref string) error {
	h, err := s.hubRecord(ref)
	if err != nil {
		return err
	}
	hub := *h
	// Revoke what hubssh minted while the login token still works; a hub
	// that cannot be reached just lets them expire.
	var api *hubapi.Client
	if t, err := s.hubTarget(h, "", ""); err == nil {
		api = t.api
	}
	s.dropServerTokens(ctx, hub, api)
	for _, srv := range hub.Servers {
		if err := s.Store.Unpin(srv.Alias); err != nil {
			return fail(CodeConfig, err, "%v", err)
		}
	}
	if !s.ciMode() {
		if err := s.Secrets.Delete(hub.URL); err != nil {
			return fail(CodeConfig, err, "%v", err)
		}
	}
	err = s.Store.Update(func(st *store.State) error {
		var keep []store.Hub
		for _, x := range st.Hubs {
			if x.URL != hub.URL {
				keep = append(keep, x)
			}
		}
		st.Hubs = keep
		return nil
	})
	if err != nil {
		return fail(CodeConfig, err, "%v", err)
	}
	return s.WriteSSHConfig()
}
