package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Tokens (docs/cli.md, "Tokens"): the login token a user gave "hubssh
// login" (or HUBSSH_TOKEN, in CI mode) goes only to /hub/api. Requests that
// reach a user's server carry a token minted for that one server
// (access:servers!server=USER/SERVER), so a server that is not the user's
// own (an admin connecting to someone else's) receives nothing reusable.
// Minted tokens live serverTokenLife; hubssh drops one the server rejects
// and mints another (#10), and never sends the login token to a server
// instead.

const (
	serverTokenLife = 15 * time.Minute
	// A cached token with less left than this is replaced: it must outlive
	// the requests of one connect (the spawn, if any, comes first).
	serverTokenMinLeft = 3 * time.Minute
)

// serverTokenKey names a server's cached token in the token store.
func serverTokenKey(hubURL, user, server string) string {
	return hubURL + "#server=" + url.PathEscape(user) + "/" + url.PathEscape(server)
}

type cachedToken struct {
	ID      string    `json:"id,omitempty"` // the hub's token ID, to revoke it
	User    string    `json:"user,omitempty"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// tokenCache keeps minted server tokens between requests (and, in the
// token store, between runs).
type tokenCache interface {
	get(key string) (cachedToken, bool)
	put(key string, c cachedToken) error
	drop(key string)
}

// storeCache keeps server tokens in the token store next to the login
// token (OS keyring, else the 0600 file).
type storeCache struct{ secrets *store.Secrets }

func (c storeCache) get(key string) (cachedToken, bool) {
	raw, err := c.secrets.Get(key)
	if err != nil || raw == "" {
		return cachedToken{}, false
	}
	var t cachedToken
	if json.Unmarshal([]byte(raw), &t) != nil || t.Token == "" {
		return cachedToken{}, false
	}
	return t, true
}

func (c storeCache) put(key string, t cachedToken) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = c.secrets.Set(key, string(b))
	return err
}

func (c storeCache) drop(key string) { c.secrets.Delete(key) }

// memCache is CI mode's cache: this process's memory, backed by a file in
// a memory-only runtime directory when the system has one (store.RuntimeDir), so
// a loop of ssh commands (one hubssh proxy each) shares one minted token
// and nothing reaches a disk.
type memCache struct {
	mu      sync.Mutex
	m       map[string]cachedToken
	runtime *store.RuntimeTokens // nil: memory only
}

func (c *memCache) get(key string) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[key]; ok {
		return t, true
	}
	if c.runtime != nil {
		var t cachedToken
		if raw, ok := c.runtime.Get(key); ok && json.Unmarshal(raw, &t) == nil && t.Token != "" {
			c.m[key] = t
			return t, true
		}
	}
	return cachedToken{}, false
}

func (c *memCache) put(key string, t cachedToken) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = t
	if c.runtime == nil {
		return nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return c.runtime.Set(key, b)
}

func (c *memCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	if c.runtime != nil {
		c.runtime.Delete(key)
	}
}

// envToken is the CI-mode token, or "".
func (s *Service) envToken() string {
	if s.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(s.Getenv(store.TokenEnv))
}

// ciMode: HUBSSH_TOKEN is set, and hubssh writes no token anywhere.
func (s *Service) ciMode() bool { return s.envToken() != "" }

// cache returns where minted tokens are kept in this process.
func (s *Service) cache() tokenCache {
	s.cacheOnce.Do(func() {
		if !s.ciMode() {
			s.tokens = storeCache{s.Secrets}
			return
		}
		mc := &memCache{m: map[string]cachedToken{}}
		if s.RuntimeDir != "" {
			mc.runtime = store.NewRuntimeTokens(s.RuntimeDir, s.envToken())
		}
		s.tokens = mc
	})
	return s.tokens
}

// loginToken is the token for /hub/api: HUBSSH_TOKEN in CI mode, else the
// one "hubssh login" stored.
func (s *Service) loginToken(hubURL string) (string, error) {
	if tok := s.envToken(); tok != "" {
		return tok, nil
	}
	tok, err := s.Secrets.Get(hubURL)
	if err != nil {
		return "", fail(CodeAuth, err, "no token for %s: run \"hubssh login %s\" again", hubURL, hubURL)
	}
	return tok, nil
}

// serverToken returns a token for t's server and whether it came from the
// cache: a cached one with enough life left, or a new one.
func (s *Service) serverToken(ctx context.Context, t *target) (string, bool, error) {
	if c, ok := s.cache().get(t.tokenKey()); ok && c.Expires.Sub(s.now()) > serverTokenMinLeft {
		return c.Token, true, nil
	}
	tok, err := s.mintServerToken(ctx, t)
	return tok, false, err
}

// mintServerToken asks the hub for a new token for t's server and caches
// it. A hub that will not issue one is an error with the fix: sending the
// login token to the server instead would break the rule that it reaches
// only /hub/api (#10).
func (s *Service) mintServerToken(ctx context.Context, t *target) (string, error) {
	tok, err := t.api.NewToken(ctx, t.user, hubapi.TokenRequest{
		Note:      "hubssh: short-lived, for " + t.user + "/" + t.server,
		ExpiresIn: int(serverTokenLife.Seconds()),
		Scopes:    []string{"access:servers!server=" + t.user + "/" + t.server},
	})
	if outage(err) {
		return "", err // the caller's retryOutage waits it out
	}
	if err != nil {
		return "", s.mintError(ctx, t, err)
	}
	c := cachedToken{ID: tok.ID, User: t.user, Token: tok.Token, Expires: s.now().Add(serverTokenLife)}
	if s.ciMode() && s.RuntimeDir == "" && tok.ID != "" {
		// Kept in this process only: nobody can use it after Close, so
		// Close revokes it rather than leave it live on the hub.
		s.mu.Lock()
		s.revokeAtClose = append(s.revokeAtClose, func(ctx context.Context) { t.api.DeleteToken(ctx, t.user, tok.ID) })
		s.mu.Unlock()
	}
	if err := s.cache().put(t.tokenKey(), c); err != nil {
		s.notice("cannot keep the short-lived token for %s (%v); a new one is issued next time", label(t.user, t.server), err)
	}
	return tok.Token, nil
}

// mintError explains a refused token request. The hub answers 403 both
// to a dead login token and to one lacking the scopes; asking who owns it
// tells them apart.
func (s *Service) mintError(ctx context.Context, t *target, err error) error {
	if !hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden, http.StatusBadRequest) {
		return s.classify(t.hub, err)
	}
	owner, whoErr := t.api.CurrentUser(ctx)
	if whoErr != nil {
		return s.classify(t.hub, whoErr)
	}
	var se *hubapi.StatusError
	errors.As(err, &se)
	if owner.Name != t.user && !owner.Admin {
		return fail(CodeAuth, err, "this token (of %s) has no access to %s's servers (HTTP %d: %s); use a token of %s or of an admin",
			owner.Name, t.user, se.Code, se.Message, t.user)
	}
	return fail(CodeAuth, err, "the hub will not issue a token for %s (HTTP %d: %s); hubssh never sends your own token to a server instead: "+
		"your token needs the scopes tokens and access:servers for it — create one at %shub/token without limiting its permissions and %s, or ask the hub's admin to grant them",
		label(t.user, t.server), se.Code, se.Message, t.hub, s.relogin(t.hub))
}

// dropServerTokens forgets every cached token of a hub's known servers,
// revoking them at the hub when api can (logout, a new login, a login
// token found revoked).
func (s *Service) dropServerTokens(ctx context.Context, h store.Hub, api *hubapi.Client) {
	for _, srv := range h.Servers {
		key := serverTokenKey(h.URL, srv.User, srv.Name)
		if c, ok := s.cache().get(key); ok && api != nil && c.ID != "" {
			user := c.User
			if user == "" {
				user = srv.User
			}
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			api.DeleteToken(rctx, user, c.ID) // best effort: it expires anyway
			cancel()
		}
		s.cache().drop(key)
	}
}

// errTokenRejected marks a server's refusal of the token it was given,
// so useServerToken can mint another.
type errTokenRejected struct {
	status int
	err    error
}

func (e *errTokenRejected) Error() string { return e.err.Error() }
func (e *errTokenRejected) Unwrap() error { return e.err }

// useServerToken runs f with a token for t's server. When f reports the
// token rejected and it came from the cache (revoked, or the hub was
// reset), the cached token is dropped and f runs once more with a new one:
// a revoked server token must never lock a user out until they log in
// again (#10).
func (s *Service) useServerToken(ctx context.Context, t *target, f func(token string) error) error {
	tok, cached, err := s.serverToken(ctx, t)
	if err != nil {
		return err
	}
	err = f(tok)
	var rej *errTokenRejected
	if !cached || !errors.As(err, &rej) {
		return err
	}
	s.cache().drop(t.tokenKey())
	if tok, err = s.mintServerToken(ctx, t); err != nil {
		return err
	}
	return f(tok)
}

// relogin is the step that gives hubssh a new login token.
func (s *Service) relogin(hubURL string) string {
	if s.ciMode() {
		return "put it in " + store.TokenEnv
	}
	return `run "hubssh login ` + hubURL + `"`
}

// Close ends the Service: in CI mode without a runtime directory, the
// server tokens this process minted are revoked, since no later process
// can find them (best effort; they expire within serverTokenLife anyway).
func (s *Service) Close() {
	s.mu.Lock()
	fs := s.revokeAtClose
	s.revokeAtClose = nil
	s.mu.Unlock()
	if len(fs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, f := range fs {
		f(ctx)
	}
}
