// Package activity tells the hub that the server is in use while SSH
// channels carry data, so the idle culler does not stop a server someone is
// working in over SSH only.
package activity

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubssh/hubssh/internal/hubapi"
)

// Reporter posts the last activity to $JUPYTERHUB_ACTIVITY_URL at most once
// per Interval, and only when there was activity since the last post.
type Reporter struct {
	URL, Token, Server string        // $JUPYTERHUB_ACTIVITY_URL, $JUPYTERHUB_API_TOKEN, $JUPYTERHUB_SERVER_NAME
	Interval           time.Duration // how often to look
	Last               func() time.Time
	HTTP               *http.Client
	Log                *slog.Logger
}

// Run reports until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	var reported time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		last := r.Last()
		if !last.After(reported) {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := hubapi.ReportActivity(rctx, r.HTTP, r.URL, r.Token, r.Server, last)
		cancel()
		if err != nil {
			// Not fatal: the next tick tries again with a newer time.
			r.Log.Warn("activity report failed", "err", err)
			continue
		}
		reported = last
	}
}
