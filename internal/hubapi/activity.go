package hubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ReportActivity tells the hub that a server was used at when, the way
// jupyterhub-singleuser does: POST $JUPYTERHUB_ACTIVITY_URL with the
// server's own $JUPYTERHUB_API_TOKEN. The idle culler reads the result.
func ReportActivity(ctx context.Context, hc *http.Client, activityURL, token, server string, when time.Time) error {
	ts := when.UTC().Format("2006-01-02T15:04:05.000000Z")
	body, _ := json.Marshal(map[string]any{
		"servers":       map[string]any{server: map[string]string{"last_activity": ts}},
		"last_activity": ts,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, activityURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report activity: %w", err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := orDefault(hc).Do(req)
	if err != nil {
		return fmt.Errorf("report activity: %w", rootURLError(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("report activity: HTTP %d", resp.StatusCode)
	}
	return nil
}
