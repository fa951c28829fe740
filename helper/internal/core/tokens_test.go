package core

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/fakehub"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// mintHub is a hub that mints numbered server tokens and counts them.
type mintHub struct {
	*fakehub.Hub
	minted, revoked atomic.Int32
	mintStatus      int // 0: 201
}

func newMintHub(t *testing.T) *mintHub {
	h := &mintHub{Hub: fakehub.New(t)}
	h.Handle("POST /hub/api/users/alice/tokens", func(w http.ResponseWriter, r *http.Request) {
		if h.mintStatus != 0 {
			w.WriteHeader(h.mintStatus)
			w.Write([]byte(`{"status":403,"message":"Not assigning requested scopes"}`))
			return
		}
		n := h.minted.Add(1)
		w.WriteHeader(201)
		w.Write([]byte(`{"id":"a` + string(rune('0'+n)) + `","token":"server-` + string(rune('0'+n)) + `"}`))
	})
	// Only some tests revoke or ask who the token is.
	h.Allow("DELETE /hub/api/users/alice/tokens/", func(w http.ResponseWriter, r *http.Request) {
		h.revoked.Add(1)
		w.WriteHeader(204)
	})
	h.Allow("GET /hub/api/user", fakehub.Reply(200, `{"name":"alice"}`))
	return h
}

func (h *mintHub) target(t *testing.T) *target {
	base, _ := url.Parse(h.URL + "/")
	return &target{hub: base.String(), api: hubapi.NewClient(base, "login-token", nil), user: "alice"}
}

func TestUseServerTokenReplacesARejectedCachedToken(t *testing.T) {
	hub := newMintHub(t)
	s := newService(t)
	tg := hub.target(t)
	var seen []string
	accept := "server-2" // the server rejects the first token, as after a revocation
	f := func(tok string) error {
		seen = append(seen, tok)
		if tok != accept {
			return &errTokenRejected{status: 403, err: errors.New("HTTP 403")}
		}
		return nil
	}
	// A fresh token that the server rejects is not retried: no loop.
	if err := s.useServerToken(context.Background(), tg, f); err == nil {
		t.Fatal("a rejected fresh token passed")
	}
	// Now it is cached; the next use drops it and mints server-2.
	if err := s.useServerToken(context.Background(), tg, f); err != nil {
		t.Fatalf("second use: %v", err)
	}
	if strings.Join(seen, " ") != "server-1 server-1 server-2" || hub.minted.Load() != 2 {
		t.Errorf("tokens tried %q, minted %d; want server-1 server-1 server-2, 2", seen, hub.minted.Load())
	}
	// server-2 is what is cached now.
	if c, ok := s.cache().get(tg.tokenKey()); !ok || c.Token != "server-2" || c.ID != "a2" {
		t.Errorf("cached %+v %v", c, ok)
	}
}

func TestMintRefusedIsAnErrorNotAFallback(t *testing.T) {
	hub := newMintHub(t)
	hub.mintStatus = 403
	s := newService(t)
	called := false
	err := s.useServerToken(context.Background(), hub.target(t), func(string) error { called = true; return nil })
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != CodeAuth || !strings.Contains(ce.Message, "never sends your own token") || called {
		t.Fatalf("err %v, request made %v; want an auth error and no request", err, called)
	}
}

func TestCIModeCache(t *testing.T) {
	hub := newMintHub(t)
	env := func(k string) string {
		if k == store.TokenEnv {
			return "ci-token"
		}
		return ""
	}
	runtime := t.TempDir()
	newCI := func(runtimeDir string) *Service {
		s := newService(t)
		s.Getenv, s.RuntimeDir = env, runtimeDir
		return s
	}
	// Two processes with a runtime directory share one token.
	for i := 0; i < 2; i++ {
		s := newCI(runtime)
		if tok, _, err := s.serverToken(context.Background(), hub.target(t)); err != nil || tok != "server-1" {
			t.Fatalf("process %d: %q %v", i, tok, err)
		}
		s.Close()
	}
	if hub.minted.Load() != 1 || hub.revoked.Load() != 0 {
		t.Errorf("minted %d revoked %d; want 1 and 0", hub.minted.Load(), hub.revoked.Load())
	}
	// Without one, each process mints its own and revokes it at Close.
	s := newCI("")
	if _, _, err := s.serverToken(context.Background(), hub.target(t)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if hub.minted.Load() != 2 || hub.revoked.Load() != 1 {
		t.Errorf("minted %d revoked %d; want 2 and 1", hub.minted.Load(), hub.revoked.Load())
	}
	// The login token is the environment's, and no token reached the
	// token store or the config directory.
	if tok, err := s.loginToken("http://any/"); err != nil || tok != "ci-token" {
		t.Errorf("loginToken = %q, %v", tok, err)
	}
	filepath.Walk(s.Store.Dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			t.Errorf("CI mode wrote %s", p)
		}
		return nil
	})
}

func TestOutage(t *testing.T) {
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", refused, true},
		{"proxy without routes", &hubapi.NotHubError{Code: 404}, true},
		{"bad gateway", &hubapi.StatusError{Code: 502}, true},
		{"forbidden", &hubapi.StatusError{Code: 403}, false},
		{"not a hub, 200", &hubapi.NotHubError{Code: 200}, false},
		{"dns", &net.DNSError{Name: "x", IsNotFound: true}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := outage(tt.err); got != tt.want {
			t.Errorf("%s: outage = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryOutageIsBounded(t *testing.T) {
	s := newService(t)
	var notices []string
	s.Notice = func(m string) { notices = append(notices, m) }
	s.OutageRetry = 600 * time.Millisecond
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	calls := 0
	t0 := time.Now()
	err := s.retryOutage(context.Background(), "http://hub/", func() error { calls++; return refused })
	took := time.Since(t0)
	var oe *outageError
	if !errors.As(err, &oe) || calls < 2 || took > 2*time.Second {
		t.Fatalf("err %v after %d calls in %s; want an outage error after retries, within the bound", err, calls, took)
	}
	msg := s.classify("http://hub/", err).Message
	if !strings.Contains(msg, "did not answer for") || !strings.Contains(msg, "connection refused") {
		t.Errorf("message %q", msg)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "retrying for up to 600ms") {
		t.Errorf("notices %q, want one", notices)
	}
	// An outage that ends is one notice more, and no error.
	notices, calls = nil, 0
	s.OutageRetry = 5 * time.Second
	err = s.retryOutage(context.Background(), "http://hub/", func() error {
		if calls++; calls < 3 {
			return refused
		}
		return nil
	})
	if err != nil || len(notices) != 2 || !strings.Contains(notices[1], "answers again") {
		t.Errorf("err %v notices %q", err, notices)
	}
}
