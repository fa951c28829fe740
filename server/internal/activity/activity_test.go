package activity

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/fakehub"
)

func TestReporter(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	var fail atomic.Bool
	var refused atomic.Int32 // posts answered 503
	hub := fakehub.New(t).Handle("POST /hub/api/users/alice/activity", fakehub.WithToken("server-token", func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			refused.Add(1)
			w.WriteHeader(503)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
	}))
	var last atomic.Int64
	r := &Reporter{
		URL: hub.URL + "/hub/api/users/alice/activity", Token: "server-token", Server: "gpu", Interval: 20 * time.Millisecond,
		Last: func() time.Time {
			if n := last.Load(); n != 0 {
				return time.Unix(0, n)
			}
			return time.Time{}
		},
		Log: slog.New(slog.DiscardHandler),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(bodies) }

	time.Sleep(100 * time.Millisecond)
	if n := count(); n != 0 {
		t.Fatalf("%d reports with no activity", n)
	}
	when := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	last.Store(when.UnixNano())
	waitFor(t, func() bool { return count() == 1 })
	time.Sleep(100 * time.Millisecond)
	if n := count(); n != 1 {
		t.Fatalf("%d reports for one activity, want 1", n)
	}
	mu.Lock()
	got := bodies[0]
	mu.Unlock()
	servers, _ := got["servers"].(map[string]any)
	gpu, _ := servers["gpu"].(map[string]any)
	if got["last_activity"] != "2026-11-25T07:00:00.000000Z" || gpu["last_activity"] != got["last_activity"] {
		t.Errorf("body %v", got)
	}
	// A failed post is retried on the next tick: first see it fail, then
	// see the same activity arrive once the hub answers again.
	fail.Store(true)
	last.Store(when.Add(time.Minute).UnixNano())
	waitFor(t, func() bool { return refused.Load() >= 2 })
	fail.Store(false)
	waitFor(t, func() bool { return count() == 2 })
	mu.Lock()
	second := bodies[1]["last_activity"]
	mu.Unlock()
	if second != "2026-11-25T07:01:00.000000Z" {
		t.Errorf("retried report carries %v, want the activity that failed", second)
	}
	cancel()
	<-done
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
