package hubapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hubssh/hubssh/internal/httpjson"
)

// ReportActivity tells the hub that a server was used at when, the way
// jupyterhub-singleuser does: POST $JUPYTERHUB_ACTIVITY_URL with the
// server's own $JUPYTERHUB_API_TOKEN. The idle culler reads the result.
func ReportActivity(ctx context.Context, hc *http.Client, activityURL, token, server string, when time.Time) error {
	ts := when.UTC().Format("2006-01-02T15:04:05.000000Z")
	body := map[string]any{
		"servers":       map[string]any{server: map[string]string{"last_activity": ts}},
		"last_activity": ts,
	}
	resp, err := httpjson.Do(ctx, orDefault(hc), httpjson.Request{Method: http.MethodPost, URL: activityURL, Token: token, Body: body, MaxReply: 64 << 10})
	if err != nil {
		return fmt.Errorf("report activity: %w", rootURLError(err))
	}
	if resp.Code/100 != 2 {
		return fmt.Errorf("report activity: HTTP %d", resp.Code)
	}
	return nil
}
