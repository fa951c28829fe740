// Package control is hubsshd's control API: deploy a public key, read the
// host keys for pinning. It trusts no proxy: every request's token is
// checked with the hub (defense in depth; old jupyter-server-proxy releases
// let unauthenticated websockets through).
package control

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hubssh/hubssh/internal/hubapi"
)

// ErrDenied is a token that is invalid or has no access to this server.
var ErrDenied = errors.New("access denied")

// TokenChecker decides whether a token may use this server.
type TokenChecker interface {
	Check(ctx context.Context, token string) error
}

// HubChecker asks the hub who owns a token and what it may do: the token
// must carry access:servers for this user's server (the scope the hub
// itself requires to open the server), directly or through a role.
type HubChecker struct {
	APIURL       string // $JUPYTERHUB_API_URL
	User, Server string // $JUPYTERHUB_USER, $JUPYTERHUB_SERVER_NAME
	HTTP         *http.Client
	// Allow and Deny are how long answers are cached, so a burst of
	// requests costs one hub call; a revoked token stops working within Allow.
	Allow, Deny time.Duration

	mu    sync.Mutex
	cache map[[32]byte]cached
	now   func() time.Time
}

type cached struct {
	err     error
	expires time.Time
}

func (h *HubChecker) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// Check implements TokenChecker.
func (h *HubChecker) Check(ctx context.Context, token string) error {
	key := sha256.Sum256([]byte(token)) // the cache never holds the token itself
	h.mu.Lock()
	if c, ok := h.cache[key]; ok && h.clock().Before(c.expires) {
		h.mu.Unlock()
		return c.err
	}
	h.mu.Unlock()

	err := h.ask(ctx, token)
	var ttl time.Duration
	switch {
	case err == nil:
		ttl = h.Allow
	case errors.Is(err, ErrDenied):
		ttl = h.Deny
	default:
		return err // the hub could not answer: decide nothing, cache nothing
	}
	h.mu.Lock()
	if h.cache == nil {
		h.cache = map[[32]byte]cached{}
	}
	h.cache[key] = cached{err: err, expires: h.clock().Add(ttl)}
	h.mu.Unlock()
	return err
}

func (h *HubChecker) ask(ctx context.Context, token string) error {
	u, err := hubapi.NewAPIClient(h.APIURL, token, h.HTTP).CurrentUser(ctx)
	if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
		return fmt.Errorf("%w: the hub rejected the token", ErrDenied)
	}
	if err != nil {
		return fmt.Errorf("check token with the hub: %w", err)
	}
	if !HasAccess(u.Scopes, h.User, h.Server) {
		return fmt.Errorf("%w: a token of %q has no access to %s", ErrDenied, u.Name, serverName(h.User, h.Server))
	}
	return nil
}

// HasAccess reports whether scopes (as /hub/api/user lists them, already
// expanded from roles) allow opening user's server.
func HasAccess(scopes []string, user, server string) bool {
	for _, s := range scopes {
		switch s {
		case "access:servers",
			"access:servers!user=" + user,
			"access:servers!server=" + user + "/" + server:
			return true
		}
	}
	return false
}

func serverName(user, server string) string {
	return user + "/" + server
}
