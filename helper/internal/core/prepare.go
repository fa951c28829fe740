package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Prepared is a server ready for ssh: the host alias to use and the folder
// an editor should open.
type Prepared struct {
	Hub    string `json:"hub"`
	User   string `json:"user"`
	Server string `json:"server"`
	Alias  string `json:"alias"`
	Folder string `json:"folder"`
}

// Prepare makes a server reachable as an ssh host: started if needed (with
// progress), hubssh's key deployed through the control API, the host key
// pinned, and the ssh config written. hubRef and user may be empty (the
// only hub, the token's owner).
func (s *Service) Prepare(ctx context.Context, hubRef, user, server string, progress func(hubapi.Event)) (*Prepared, error) {
	hub, user, api, err := s.target(hubRef, user)
	if err != nil {
		return nil, err
	}
	if err := s.ensureRunning(ctx, api, hub.URL, user, server, nil, progress); err != nil {
		return nil, err
	}
	_, pub, err := s.Store.KeyPair(hub.URL)
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	ctl := &controlapi.Client{Base: api.Base(), Token: s.serverToken(ctx, api, hub.URL, user, server), HTTP: s.HTTP}
	if _, err := ctl.AddKey(ctx, user, server, string(pub)); err != nil {
		return nil, controlFailure(api.Base().String(), user, server, err)
	}
	hostKeys, err := ctl.HostKeys(ctx, user, server)
	if err != nil {
		return nil, controlFailure(api.Base().String(), user, server, err)
	}
	info, err := ctl.Info(ctx, user, server)
	if err != nil {
		return nil, controlFailure(api.Base().String(), user, server, err)
	}
	alias := Alias(hub.URL, user, server)
	if err := s.Store.Pin(alias, hostKeys); err != nil {
		return nil, fail(CodeConfig, err, "cannot pin the host key: %v", err)
	}
	err = s.Store.Update(func(st *store.State) error {
		if h := st.Hub(hub.URL); h != nil {
			h.AddServer(store.Server{User: user, Name: server, Alias: alias, Folder: info.Home})
		}
		return nil
	})
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	if err := s.WriteSSHConfig(); err != nil {
		return nil, err
	}
	// What matters is what ssh will do: an option the user set earlier in
	// their config wins over ours. Say so now rather than fail obscurely.
	if c := s.effectiveConfigCheck(ctx, alias); c.Status != "ok" {
		s.notice("%s; fix: %s", c.Detail, c.Fix)
	}
	return &Prepared{Hub: hub.URL, User: user, Server: server, Alias: alias, Folder: info.Home}, nil
}

// ensureRunning starts the server unless it is up, following progress.
func (s *Service) ensureRunning(ctx context.Context, api *hubapi.Client, hubURL, user, server string, options map[string]any, progress func(hubapi.Event)) error {
	u, err := api.User(ctx, user)
	if err != nil {
		return userError(ctx, api, hubURL, user, err)
	}
	if u.Servers[server].Running() {
		return nil
	}
	if err := api.Spawn(ctx, user, server, options, progress); err != nil {
		return s.ensureRunningError(ctx, hubURL, user, server, err)
	}
	return nil
}

// ensureRunningError explains why a spawn did not give a running server.
func (s *Service) ensureRunningError(ctx context.Context, hubURL, user, server string, err error) error {
	var se *hubapi.SpawnError
	if errors.As(err, &se) {
		return fail(CodeServer, err, "%s: %v", label(user, server), se)
	}
	var st *hubapi.StatusError
	if errors.As(err, &st) && st.Code == http.StatusBadRequest {
		return fail(CodeServer, err, "the hub would not start %s: %s", label(user, server), st.Message)
	}
	if errors.As(err, &st) && st.Code >= 500 {
		return fail(CodeServer, err, "the hub failed to start %s (HTTP %d: %s); the hub's admin finds the cause in its log", label(user, server), st.Code, st.Message)
	}
	if ctx.Err() != nil {
		return fail(CodeServer, err, "stopped waiting for %s to start", label(user, server))
	}
	return classify(hubURL, err)
}

// userError explains a failed GET /users/NAME. The hub answers 403 both to
// a dead token and to a live one without access to that user; asking who
// the token belongs to tells them apart.
func userError(ctx context.Context, api *hubapi.Client, hubURL, user string, err error) error {
	if !hubapi.IsStatus(err, http.StatusForbidden, http.StatusNotFound, http.StatusUnauthorized) {
		return classify(hubURL, err)
	}
	if _, whoErr := api.CurrentUser(ctx); whoErr != nil {
		return classify(hubURL, whoErr)
	}
	return fail(CodeAuth, err, "this token has no access to %s's servers (or there is no such user); use a token of %s or of an admin", user, user)
}

func label(user, server string) string {
	if server == "" {
		return user + "'s default server"
	}
	return user + "'s server \"" + server + "\""
}

// controlFailure explains a control API failure: most often the image has
// no hubsshd (404 from jupyter-server-proxy).
func controlFailure(base, user, server string, err error) error {
	var se *controlapi.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusNotFound:
			return fail(CodeServer, err, "%s has no hubsshd (%s answered 404): ask the hub's admin to install it in the server image (docs/hubsshd.md)",
				label(user, server), "/"+controlapi.Path(user, server, ""))
		case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
			return fail(CodeAuth, err, "%s refused the token: %s", label(user, server), se.Message)
		case se.Code/100 == 3:
			return fail(CodeServer, err, "%s stopped while hubssh was preparing it: connect again", label(user, server))
		}
		return fail(CodeServer, err, "%s: %v", label(user, server), se)
	}
	return classify(base, err)
}

// Short-lived tokens: requests that reach a user's server carry a token
// minted for that one server, so a server that is not the user's own (an
// admin connecting to someone else's) receives nothing reusable.

const serverTokenLife = time.Hour

func serverTokenKey(hubURL, user, server string) string {
	return hubURL + "#server=" + url.PathEscape(user) + "/" + url.PathEscape(server)
}

type cachedToken struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// serverToken returns a cached or new short-lived token with access to
// exactly this server. A hub that will not mint one gets the stored token,
// with a notice.
func (s *Service) serverToken(ctx context.Context, api *hubapi.Client, hubURL, user, server string) string {
	key := serverTokenKey(hubURL, user, server)
	if raw, err := s.Secrets.Get(key); err == nil && raw != "" {
		var c cachedToken
		if json.Unmarshal([]byte(raw), &c) == nil && time.Until(c.Expires) > 5*time.Minute {
			return c.Token
		}
	}
	tok, err := api.NewToken(ctx, user, hubapi.TokenRequest{
		Note:      "hubssh: short-lived, for " + user + "/" + server,
		ExpiresIn: int(serverTokenLife.Seconds()),
		Scopes:    []string{"access:servers!server=" + user + "/" + server},
	})
	if err != nil {
		_, long, _ := s.api(&store.Hub{URL: hubURL})
		s.notice("the hub did not issue a short-lived token for %s (%v); using your stored token", label(user, server), err)
		return long
	}
	b, _ := json.Marshal(cachedToken{Token: tok, Expires: time.Now().Add(serverTokenLife)})
	if _, err := s.Secrets.Set(key, string(b)); err != nil {
		s.notice("cannot cache the short-lived token: %v", err)
	}
	return tok
}
