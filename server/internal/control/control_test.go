package control

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/fakehub"
	"github.com/hubssh/hubssh/server/internal/authkeys"
)

// fakeChecker allows exactly one token.
type fakeChecker struct{ good string }

func (f fakeChecker) Check(_ context.Context, tok string) error {
	if tok == f.good {
		return nil
	}
	return fmt.Errorf("%w: not the good token", ErrDenied)
}

func pubLine(seed byte) (string, ssh.PublicKey) {
	raw := make([]byte, ed25519.PublicKeySize)
	raw[0] = seed
	pk, _ := ssh.NewPublicKey(ed25519.PublicKey(raw))
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), pk
}

func newHandler(t *testing.T) *Handler {
	_, host := pubLine(9)
	return &Handler{
		Info:     controlapi.Info{Home: "/home/jovyan", Version: "test"},
		Checker:  fakeChecker{good: "good"},
		Keys:     authkeys.KeyFile{Path: filepath.Join(t.TempDir(), "authorized_keys")},
		HostKeys: []ssh.PublicKey{host},
		Log:      slog.New(slog.DiscardHandler),
	}
}

func TestHandler(t *testing.T) {
	h := newHandler(t)
	key, pk := pubLine(1)
	fp := ssh.FingerprintSHA256(pk)
	hostLine, _ := pubLine(9)
	type step struct {
		name, method, path, auth, ctype, body string
		wantCode                              int
		wantBody                              string // substring
	}
	steps := []step{
		{name: "no token", method: "GET", path: "/hostkeys", wantCode: 401, wantBody: "Authorization: token"},
		{name: "cookie only is not enough", method: "GET", path: "/hostkeys", auth: "", wantCode: 401},
		{name: "wrong token", method: "GET", path: "/hostkeys", auth: "token bad", wantCode: 403, wantBody: "access denied"},
		{name: "host keys", method: "GET", path: "/hostkeys", auth: "token good", wantCode: 200, wantBody: hostLine},
		{name: "info", method: "GET", path: "/info", auth: "token good", wantCode: 200, wantBody: `"home":"/home/jovyan"`},
		{name: "info needs a token", method: "GET", path: "/info", wantCode: 401},
		{name: "bearer works too", method: "GET", path: "/hostkeys", auth: "Bearer good", wantCode: 200},
		{name: "no keys yet", method: "GET", path: "/keys", auth: "token good", wantCode: 200, wantBody: `{"keys":[]}`},
		{name: "add needs JSON", method: "POST", path: "/keys", auth: "token good", ctype: "text/plain", body: key, wantCode: 415},
		{name: "add garbage", method: "POST", path: "/keys", auth: "token good", ctype: "application/json", body: `{"public_key":"nope"}`, wantCode: 400, wantBody: "not an OpenSSH public key"},
		{name: "add with options", method: "POST", path: "/keys", auth: "token good", ctype: "application/json", body: `{"public_key":"restrict ` + key + `"}`, wantCode: 400, wantBody: "options"},
		{name: "add", method: "POST", path: "/keys", auth: "token good", ctype: "application/json; charset=utf-8", body: `{"public_key":"` + key + ` hubssh@laptop"}`, wantCode: 201, wantBody: fp},
		{name: "add again", method: "POST", path: "/keys", auth: "token good", ctype: "application/json", body: `{"public_key":"` + key + `"}`, wantCode: 200, wantBody: `"added":false`},
		{name: "listed", method: "GET", path: "/keys", auth: "token good", wantCode: 200, wantBody: "hubssh@laptop"},
		{name: "delete unknown", method: "DELETE", path: "/keys/" + url.PathEscape("SHA256:nope"), auth: "token good", wantCode: 404},
		{name: "delete", method: "DELETE", path: "/keys/" + url.PathEscape(fp), auth: "token good", wantCode: 204},
		{name: "wrong method", method: "PUT", path: "/hostkeys", auth: "token good", wantCode: 405},
		{name: "unknown path", method: "GET", path: "/etc/passwd", auth: "token good", wantCode: 404},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
			if s.auth != "" {
				req.Header.Set("Authorization", s.auth)
			}
			req.Header.Set("Cookie", "jupyterhub-user-alice=good")
			if s.ctype != "" {
				req.Header.Set("Content-Type", s.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != s.wantCode || !strings.Contains(rec.Body.String(), s.wantBody) {
				t.Errorf("%s %s: %d %s; want %d containing %q", s.method, s.path, rec.Code, rec.Body.String(), s.wantCode, s.wantBody)
			}
			if rec.Code >= 400 {
				var e controlapi.Error
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Message == "" {
					t.Errorf("error reply %q is not {\"message\": …}", rec.Body.String())
				}
			}
		})
	}
}

func TestHasAccess(t *testing.T) {
	tests := []struct {
		name         string
		scopes       []string
		user, server string
		want         bool
	}{
		{"own token, default server", []string{"access:servers!user=alice", "read:users!user=alice"}, "alice", "", true},
		{"server-scoped token", []string{"access:servers!server=alice/"}, "alice", "", true},
		{"server-scoped to another server", []string{"access:servers!server=alice/gpu"}, "alice", "", false},
		{"named server", []string{"access:servers!server=alice/gpu"}, "alice", "gpu", true},
		{"admin", []string{"admin:users", "access:servers"}, "alice", "", true},
		{"other user", []string{"access:servers!user=bob"}, "alice", "", false},
		{"prefix trick", []string{"access:servers!user=alice2"}, "alice", "", false},
		{"read only", []string{"read:users!user=alice", "admin:servers!user=alice"}, "alice", "", false},
		{"nothing", nil, "alice", "", false},
	}
	for _, tt := range tests {
		if got := HasAccess(tt.scopes, tt.user, tt.server); got != tt.want {
			t.Errorf("%s: HasAccess = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHubChecker(t *testing.T) {
	var calls atomic.Int32
	hub := fakehub.New(t).Handle("GET /hub/api/user", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.Header.Get("Authorization") {
		case "token alice-token":
			w.Write([]byte(`{"name":"alice","scopes":["access:servers!user=alice"]}`))
		case "token bob-token":
			w.Write([]byte(`{"name":"bob","scopes":["access:servers!user=bob"]}`))
		case "token broken":
			w.WriteHeader(500)
			w.Write([]byte(`{"message":"database is locked"}`))
		default:
			w.WriteHeader(403)
			w.Write([]byte(`{"status":403,"message":"Missing or invalid credentials."}`))
		}
	})
	now := time.Unix(1_000_000, 0)
	c := &HubChecker{APIURL: hub.URL + "/hub/api", User: "alice", Allow: time.Minute, Deny: 10 * time.Second, now: func() time.Time { return now }}
	ctx := context.Background()

	if err := c.Check(ctx, "alice-token"); err != nil {
		t.Fatalf("alice's token: %v", err)
	}
	if err := c.Check(ctx, "alice-token"); err != nil || calls.Load() != 1 {
		t.Fatalf("second check: %v after %d hub calls; want cached", err, calls.Load())
	}
	err := c.Check(ctx, "bob-token")
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), `"bob" has no access to alice/`) {
		t.Fatalf("bob's token: %v", err)
	}
	if err := c.Check(ctx, "revoked"); !errors.Is(err, ErrDenied) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := c.Check(ctx, "broken"); err == nil || errors.Is(err, ErrDenied) {
		t.Fatalf("hub error: %v; want an error that is not a denial", err)
	}
	before := calls.Load()
	c.Check(ctx, "broken")
	if calls.Load() == before {
		t.Error("a hub failure was cached")
	}
	now = now.Add(2 * time.Minute) // past Allow: the hub is asked again
	before = calls.Load()
	c.Check(ctx, "alice-token")
	if calls.Load() != before+1 {
		t.Error("cached allow outlived its TTL")
	}
	if err := (&HubChecker{APIURL: "http://127.0.0.1:1/hub/api", User: "alice"}).Check(ctx, "x"); err == nil || errors.Is(err, ErrDenied) {
		t.Errorf("hub down: %v; want a non-denial error", err)
	}
}

func FuzzDecodeAddKey(f *testing.F) {
	key, _ := pubLine(1)
	for _, s := range []string{`{"public_key":"` + key + `"}`, `{}`, `{"public_key":1}`, `{"public_key":"x"} {}`, `{"public_key":"a","x":1}`, "", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeAddKey(strings.NewReader(string(body)))
		if err != nil {
			return
		}
		if strings.TrimSpace(req.PublicKey) == "" {
			t.Fatalf("accepted an empty key from %q", body)
		}
		// Whatever was accepted, ParseOne must not panic and must never
		// let options through.
		if pk, _, err := authkeys.ParseOne(req.PublicKey); err == nil {
			_, _, opts, _, perr := ssh.ParseAuthorizedKey([]byte(req.PublicKey))
			if perr != nil || len(opts) > 0 || pk == nil {
				t.Fatalf("ParseOne accepted %q (options %q, %v)", req.PublicKey, opts, perr)
			}
		}
	})
}
