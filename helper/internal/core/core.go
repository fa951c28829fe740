// Package core is what hubssh does, for both of its front ends (the CLI
// and JSON-RPC): log in to a hub, prepare a server for ssh (running, key
// deployed, host key pinned, ssh config written), carry a connection.
// It knows nothing of terminals or RPC; it reports through Notice and
// progress callbacks.
package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Service holds what the operations need. Fill it once per process.
type Service struct {
	Store   *store.Store
	Secrets *store.Secrets
	SSH     sshconfig.Files
	Hubssh  string       // absolute path of this binary, for ProxyCommand
	HTTP    *http.Client // set: used for every request (tests); nil: see Transport
	// Transport carries hubssh's requests when HTTP is nil (hub API 30 s,
	// control API 60 s, websockets no timeout); nil: http.DefaultTransport.
	Transport http.RoundTripper
	// Notice tells the person something worth knowing that is not an
	// error (a token kept in a file, a fallback taken). One line each.
	Notice func(string)
	// Getenv reads the environment (HUBSSH_TOKEN); nil reads nothing.
	Getenv func(string) string
	// RuntimeDir keeps CI mode's minted tokens between processes in memory
	// (store.RuntimeDir); "" keeps them in this process only.
	RuntimeDir string
	// StatusDir holds the state of proxies that are resuming (status.go);
	// "" records none.
	StatusDir string
	// OutageRetry is how long a hub that stops answering (its proxy
	// restarting, say) is retried before hubssh gives up; 0 means 30 s.
	OutageRetry time.Duration
	// Now is the clock for what hubssh records and for server tokens'
	// lifetimes; nil is time.Now. Tests move it instead of sleeping.
	Now func() time.Time

	cacheOnce     sync.Once
	tokens        tokenCache
	mu            sync.Mutex
	revokeAtClose []func(context.Context)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) notice(format string, args ...any) {
	if s.Notice != nil {
		s.Notice(fmt.Sprintf(format, args...))
	}
}

// Error is a failure with a stable code for scripts and the editor, and a
// one-line message that names the fix.
type Error struct {
	Code    Code
	Message string
	Err     error // the cause, for logs; never shown with a secret
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Code classifies failures; docs/cli.md maps them to exit codes.
type Code string

const (
	CodeUsage    Code = "usage"     // bad input: URL, names, flags
	CodeAuth     Code = "auth"      // no token, rejected, no access, missing scope
	CodeServer   Code = "server"    // spawn failed, not running, no hubsshd
	CodeNetwork  Code = "network"   // DNS, TCP, TLS, tunnel broke
	CodeNotHub   Code = "not-a-hub" // the URL answers, but not as a JupyterHub
	CodeConfig   Code = "config"    // ssh config or local files
	CodeInternal Code = "internal"
)

func fail(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// hubRecord finds the stored hub a user means: a URL (in any form they
// type), a hub ID, or "" when exactly one hub is known.
func (s *Service) hubRecord(ref string) (*store.Hub, error) {
	st, err := s.Store.Load()
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	if ref == "" {
		switch len(st.Hubs) {
		case 0:
			return nil, fail(CodeUsage, nil, "no hub yet: run \"hubssh login https://YOUR-HUB\" first")
		case 1:
			return &st.Hubs[0], nil
		default:
			var names []string
			for _, h := range st.Hubs {
				names = append(names, h.URL)
			}
			return nil, fail(CodeUsage, nil, "several hubs are known (%s): name one", strings.Join(names, ", "))
		}
	}
	if u, err := hubapi.ParseHubURL(ref); err == nil {
		if h := st.Hub(u.String()); h != nil {
			return h, nil
		}
	}
	for i := range st.Hubs {
		if store.HubID(st.Hubs[i].URL) == ref {
			return &st.Hubs[i], nil
		}
	}
	return nil, fail(CodeUsage, nil, "not logged in to %s: run \"hubssh login %s\" first", ref, ref)
}

// target is what an operation is about: one server of one hub, and a hub
// client carrying the login token. It travels as one value.
type target struct {
	hub    string     // the hub's normalised base URL
	rec    *store.Hub // the stored record; nil for a hub named by flags in CI mode
	api    *hubapi.Client
	user   string // whose server
	server string // "" is the default server
	// serverURL is the server's URL as the hub reported it (its own host
	// with subdomain_host, #16); nil until known.
	serverURL *url.URL
}

// serverBase is the server's URL: as the hub last reported it, else where
// servers live on a hub without subdomains.
func (t *target) serverBase() *url.URL {
	if t.serverURL != nil {
		return t.serverURL
	}
	u, err := hubapi.ServerURL(t.api.Base(), "", t.user, t.server)
	if err != nil {
		panic(err) // an escaped relative path always parses
	}
	return u
}

// learnServerURL takes the server's URL from the hub's model of it and
// reports whether that is not the URL used so far.
func (t *target) learnServerURL(srv *hubapi.Server) bool {
	if srv == nil || srv.URL == "" {
		return false
	}
	u, err := hubapi.ServerURL(t.api.Base(), srv.URL, t.user, t.server)
	if err != nil {
		return false
	}
	changed := u.String() != t.serverBase().String()
	t.serverURL = u
	return changed
}

func (t *target) tokenKey() string { return serverTokenKey(t.hub, t.user, t.server) }
func (t *target) label() string    { return label(t.user, t.server) }

// hubTarget returns a target for a stored hub, with its login token.
func (s *Service) hubTarget(h *store.Hub, user, server string) (*target, error) {
	tok, err := s.loginToken(h.URL)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(h.URL)
	if err != nil {
		return nil, fail(CodeConfig, err, "stored hub URL %q is damaged: log in again", h.URL)
	}
	if user == "" {
		user = h.User
	}
	rec := *h
	t := &target{hub: h.URL, rec: &rec, api: hubapi.NewClient(base, tok, s.httpClient(30*time.Second)), user: user, server: server}
	for _, srv := range rec.Servers {
		if srv.User == user && srv.Name == server && srv.URL != "" {
			t.serverURL, _ = url.Parse(srv.URL)
		}
	}
	return t, nil
}

// target resolves a hub reference (see hubRecord), a user (default: the
// token's owner) and a server.
func (s *Service) target(hubRef, user, server string) (*target, error) {
	h, err := s.hubRecord(hubRef)
	if err != nil {
		return nil, err
	}
	return s.hubTarget(h, user, server)
}

// Alias is the ssh host name for a server: readable and stable
// ("hub.example.org-alice", "hub.example.org-alice-gpu"), with a short hash
// added when names had to be changed to fit, so two servers never share one.
func Alias(hubURL, user, server string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+", r)) {
				return r
			}
			return '-'
		}, s)
	}
	a := store.HubID(hubURL) + "-" + clean(user)
	if server != "" {
		a += "-" + clean(server)
	}
	// User names and server names may contain "-" themselves, so
	// (user "a-b") and (user "a", server "b") would collide: names with a
	// "-" or a changed character get a hash of the exact triple.
	if clean(user) != user || clean(server) != server || strings.Contains(user+server, "-") {
		sum := sha256.Sum256([]byte(hubURL + "\x00" + user + "\x00" + server))
		a += "-" + hex.EncodeToString(sum[:3])
	}
	return a
}

// classify turns a failed hub API call into the one cause a person acts on.
func (s *Service) classify(base string, err error) *Error {
	var oe *outageError
	if errors.As(err, &oe) {
		return outageFailure(base, oe)
	}
	if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
		what := "the token"
		if s.ciMode() {
			what = "the token in " + store.TokenEnv
		}
		return fail(CodeAuth, err, "the hub rejected %s (it may have expired or been revoked): create a new one at %shub/token and %s", what, base, s.relogin(base))
	}
	return classify(base, err)
}

// classify is Service.classify for callers that hold no login token yet
// (login itself): a rejected token means creating one and logging in.
func classify(base string, err error) *Error {
	var nh *hubapi.NotHubError
	var se *hubapi.StatusError
	switch {
	case hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden):
		return fail(CodeAuth, err, "the hub rejected the token (it may have expired or been revoked): create a new one at %shub/token and run \"hubssh login %s\"", base, base)
	case errors.As(err, &nh):
		return fail(CodeNotHub, err, "%s does not look like a JupyterHub (%v): check the URL; it is the address you open JupyterHub at", base, nh)
	case errors.As(err, &se):
		return fail(CodeServer, err, "the hub refused: %v", se)
	}
	if m := networkCause(err); m != "" {
		return fail(CodeNetwork, err, "cannot reach %s: %s", base, m)
	}
	return fail(CodeNetwork, err, "cannot reach %s: %v", base, err)
}
