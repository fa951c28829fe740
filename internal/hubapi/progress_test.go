package hubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSpawn(t *testing.T) {
	tests := []struct {
		name     string
		start    []http.HandlerFunc // successive answers to POST
		stream   string
		wantErr  string
		wantMsgs []string
	}{
		{name: "ready at once", start: []http.HandlerFunc{jsonReply(201, "")}, wantMsgs: []string{"server ready"}},
		{name: "progress then ready", start: []http.HandlerFunc{jsonReply(202, "")},
			stream:   "data: {\"progress\": 0, \"message\": \"Server requested\"}\n\n\ndata: {\"progress\": 50, \"message\": \"Spawning server...\"}\n\ndata: {\"progress\": 100, \"ready\": true, \"message\": \"Server ready at /user/alice/\"}\n\n",
			wantMsgs: []string{"Server requested", "Spawning server...", "Server ready at /user/alice/"}},
		{name: "failed", start: []http.HandlerFunc{jsonReply(202, "")},
			stream:  "data: {\"progress\": 100, \"failed\": true, \"message\": \"Spawn failed: image pull backoff\"}\n\n",
			wantErr: "the server failed to start: Spawn failed: image pull backoff"},
		{name: "busy, then ok", start: []http.HandlerFunc{
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				jsonReply(429, `{"message":"Too many users"}`)(w, r)
			},
			jsonReply(201, ""),
		}, wantMsgs: []string{"the hub is busy; trying again in 1s", "server ready"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			routes := map[string]http.HandlerFunc{
				"POST /hub/api/users/alice/server": func(w http.ResponseWriter, r *http.Request) {
					i := int(n.Add(1)) - 1
					tt.start[min(i, len(tt.start)-1)](w, r)
				},
			}
			if tt.stream != "" { // a 201 is ready: the progress stream is not asked
				routes["GET /hub/api/users/alice/server/progress"] = func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/event-stream")
					fmt.Fprint(w, tt.stream)
				}
			}
			c := fakeHub(t, routes)
			var msgs []string
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := c.Spawn(ctx, "alice", "", nil, func(e Event) { msgs = append(msgs, e.Message) })
			if tt.wantErr != "" {
				var se *SpawnError
				if !errors.As(err, &se) || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(msgs, "|") != strings.Join(tt.wantMsgs, "|") {
				t.Errorf("messages %q, want %q", msgs, tt.wantMsgs)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	if d := parseRetryAfter("30"); d != 30*time.Second {
		t.Errorf("30 → %s", d)
	}
	if d := parseRetryAfter("garbage"); d != 0 {
		t.Errorf("garbage → %s", d)
	}
	if d := parseRetryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); d < 50*time.Second || d > 61*time.Second {
		t.Errorf("date → %s", d)
	}
}
