// Package fakehub is the one stand-in for JupyterHub's REST API in unit
// tests. A test declares the routes it expects; a request to any other
// fails the test (the code asked the hub something the test did not
// think of), and so does a declared route nobody requested (the test no
// longer tests what it says). End-to-end tests use a real hub (devhub).
package fakehub

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Hub is a fake hub on loopback.
type Hub struct {
	URL string // without a trailing slash, as httptest gives it

	t     testing.TB
	srv   *httptest.Server
	mux   *http.ServeMux
	mu    sync.Mutex
	calls map[string]int
	must  map[string]bool
}

// New starts a hub with no routes; it stops, and checks that every route
// declared with Handle was requested, when the test ends.
func New(t testing.TB) *Hub {
	t.Helper()
	h := &Hub{t: t, mux: http.NewServeMux(), calls: map[string]int{}, must: map[string]bool{}}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.t.Errorf("fakehub: unexpected %s %s (no route declared for it)", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"status":404,"message":"fakehub: no route for %s %s"}`, r.Method, r.URL.Path)
	})
	h.srv = httptest.NewServer(h.mux)
	h.URL = h.srv.URL
	// Cleanups run last-in first-out: close the server (which waits for
	// requests in flight) before counting what was requested.
	t.Cleanup(h.checkUsed)
	t.Cleanup(h.srv.Close)
	return h
}

// Close stops the hub early: a test of a hub that is down.
func (h *Hub) Close() { h.srv.Close() }

// Handle declares a route the test expects to be requested at least once.
// pattern is a net/http pattern ("GET /hub/api/user").
func (h *Hub) Handle(pattern string, f http.HandlerFunc) *Hub {
	h.add(pattern, f, true)
	return h
}

// Allow declares a route that may go unrequested: one only some rows of a
// table reach, or a retry that only happens on a failure.
func (h *Hub) Allow(pattern string, f http.HandlerFunc) *Hub {
	h.add(pattern, f, false)
	return h
}

func (h *Hub) add(pattern string, f http.HandlerFunc, must bool) {
	h.mu.Lock()
	h.must[pattern] = must
	h.mu.Unlock()
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.calls[pattern]++
		h.mu.Unlock()
		f(w, r)
	})
}

// Calls says how often a route was requested.
func (h *Hub) Calls(pattern string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[pattern]
}

func (h *Hub) checkUsed() {
	h.mu.Lock()
	defer h.mu.Unlock()
	var unused []string
	for p, must := range h.must {
		if must && h.calls[p] == 0 {
			unused = append(unused, p)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 && !h.t.Failed() {
		h.t.Errorf("fakehub: declared but never requested: %s", strings.Join(unused, ", "))
	}
}

// Reply answers with status and a JSON body.
func Reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// Denied is the hub's answer to a missing or wrong token.
var Denied = Reply(http.StatusForbidden, `{"status":403,"message":"Missing or invalid credentials."}`)

// WithToken runs ok for requests that carry token ("Authorization: token
// T", as hubssh sends it) and answers the others as the hub does.
func WithToken(token string, ok http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token "+token {
			Denied(w, r)
			return
		}
		ok(w, r)
	}
}

// Whoami declares GET /hub/api/user: token belongs to user, with scopes.
func (h *Hub) Whoami(token, user string, scopes ...string) *Hub {
	quoted := make([]string, len(scopes))
	for i, s := range scopes {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	body := fmt.Sprintf(`{"kind":"user","name":%q,"scopes":[%s]}`, user, strings.Join(quoted, ","))
	return h.Handle("GET /hub/api/user", WithToken(token, Reply(http.StatusOK, body)))
}
