package hubapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hubssh/hubssh/internal/fakehub"
)

// fakeHub answers /hub/api/ requests from a table of pattern → handler;
// each must be requested (fakehub fails the test otherwise).
func fakeHub(t *testing.T, routes map[string]http.HandlerFunc) *Client {
	t.Helper()
	h := fakehub.New(t)
	for pattern, f := range routes {
		h.Handle(pattern, f)
	}
	u, _ := url.Parse(h.URL + "/")
	return NewClient(u, "secret-token-value", nil)
}

var jsonReply = fakehub.Reply

func TestCurrentUser(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantUser  string
		wantCheck func(error) bool
	}{
		{name: "5.x model", handler: jsonReply(200, `{"kind":"user","name":"alice","admin":false,"scopes":["access:servers!user=alice"],"servers":{"":{"name":"","ready":true,"pending":null,"url":"/user/alice/"}}}`), wantUser: "alice"},
		{name: "4.x model without kind", handler: jsonReply(200, `{"name":"bob","admin":true,"servers":{}}`), wantUser: "bob"},
		{name: "token rejected", handler: jsonReply(403, `{"status":403,"message":"Missing or invalid credentials."}`),
			wantCheck: func(err error) bool {
				return IsStatus(err, 403) && strings.Contains(err.Error(), "invalid credentials")
			}},
		{name: "401 without JSON", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
			wantCheck: func(err error) bool { return IsStatus(err, 401) }},
		{name: "HTML page", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			w.Write([]byte("<html>nginx</html>"))
		}, wantCheck: func(err error) bool { var nh *NotHubError; return errors.As(err, &nh) && nh.Detail == "text/html" }},
		{name: "200 but not JSON", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) },
			wantCheck: func(err error) bool { var nh *NotHubError; return errors.As(err, &nh) }},
		{name: "200 without name", handler: jsonReply(200, `{}`),
			wantCheck: func(err error) bool { var nh *NotHubError; return errors.As(err, &nh) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotAuth string
			c := fakeHub(t, map[string]http.HandlerFunc{"GET /hub/api/user": func(w http.ResponseWriter, r *http.Request) {
				gotAuth = r.Header.Get("Authorization")
				tt.handler(w, r)
			}})
			u, err := c.CurrentUser(context.Background())
			if gotAuth != "token secret-token-value" {
				t.Errorf("Authorization header %q", gotAuth)
			}
			if tt.wantCheck != nil {
				if err == nil || !tt.wantCheck(err) {
					t.Fatalf("err = %v (%T), not the expected kind", err, err)
				}
				if strings.Contains(err.Error(), "secret-token-value") {
					t.Errorf("error carries the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != tt.wantUser {
				t.Errorf("name %q, want %q", u.Name, tt.wantUser)
			}
		})
	}
}

func TestServerRunning(t *testing.T) {
	spawn, empty := "spawn", ""
	tests := []struct {
		name string
		s    *Server
		want bool
	}{
		{"absent", nil, false},
		{"ready", &Server{Ready: true}, true},
		{"ready, pending empty", &Server{Ready: true, Pending: &empty}, true},
		{"spawning", &Server{Pending: &spawn}, false},
		{"stopped (include_stopped_servers)", &Server{Stopped: true}, false},
	}
	for _, tt := range tests {
		if got := tt.s.Running(); got != tt.want {
			t.Errorf("%s: Running = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStartStopServer(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantReady bool
		wantErr   string
	}{
		{name: "201 ready", handler: jsonReply(201, ""), wantReady: true},
		{name: "202 pending", handler: jsonReply(202, "")},
		{name: "400 already running", handler: jsonReply(400, `{"message":"alice is already running"}`), wantReady: true},
		{name: "400 other", handler: jsonReply(400, `{"message":"Named servers are not enabled."}`), wantErr: "Named servers are not enabled"},
		{name: "429", handler: jsonReply(429, `{"message":"Too many users trying to log in right now. Try again in 30 seconds."}`), wantErr: "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeHub(t, map[string]http.HandlerFunc{"POST /hub/api/users/alice/servers/gpu": tt.handler})
			ready, err := c.StartServer(context.Background(), "alice", "gpu", nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || ready != tt.wantReady {
				t.Fatalf("StartServer = %v, %v; want %v", ready, err, tt.wantReady)
			}
		})
	}
	c := fakeHub(t, map[string]http.HandlerFunc{"DELETE /hub/api/users/alice/server": jsonReply(400, `{"message":"Server is not running"}`)})
	if err := c.StopServer(context.Background(), "alice", ""); err != nil {
		t.Errorf("stopping a stopped server: %v, want nil", err)
	}
}
