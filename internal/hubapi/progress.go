package hubapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is one message of a spawn's progress stream.
type Event struct {
	Progress int    `json:"progress"`
	Message  string `json:"message"`
	Ready    bool   `json:"ready"`
	Failed   bool   `json:"failed"`
}

// SpawnError is a spawn the hub reports as failed, with its message.
type SpawnError struct{ Message string }

func (e *SpawnError) Error() string {
	if e.Message == "" {
		return "the server failed to start"
	}
	return "the server failed to start: " + oneLine(e.Message)
}

// Progress follows GET …/progress (text/event-stream) and calls on for each
// event until the spawn is ready (nil), failed (*SpawnError) or ctx ends.
func (c *Client) Progress(ctx context.Context, user, server string, on func(Event)) error {
	path := serverAPIPath(user, server) + "/progress"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	// The stream lasts as long as the spawn: no overall client timeout.
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("follow spawn progress: %w", rootURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Method: "GET", Path: "/hub/api/" + path, Code: resp.StatusCode}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue // blank keepalive lines, comments, event names
		}
		var ev Event
		if json.Unmarshal([]byte(strings.TrimSpace(data)), &ev) != nil {
			continue
		}
		if on != nil {
			on(ev)
		}
		switch {
		case ev.Failed:
			return &SpawnError{Message: ev.Message}
		case ev.Ready:
			return nil
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("follow spawn progress: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The stream ended without a verdict (a proxy cut it): the caller
	// checks the server's state instead.
	return errStreamEnded
}

var errStreamEnded = errors.New("progress stream ended without a result")

// Spawn starts a server and waits until it is ready, reporting progress.
// A hub that is busy (429) is retried after its Retry-After, up to 5 times.
func (c *Client) Spawn(ctx context.Context, user, server string, options map[string]any, on func(Event)) error {
	for attempt := 0; ; attempt++ {
		ready, err := c.StartServer(ctx, user, server, options)
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusTooManyRequests && attempt < 5 {
			wait := se.RetryAfter
			if wait <= 0 {
				wait = 10 * time.Second
			}
			if on != nil {
				on(Event{Message: fmt.Sprintf("the hub is busy; trying again in %s", wait)})
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if err != nil {
			return err
		}
		if ready {
			if on != nil {
				on(Event{Progress: 100, Message: "server ready", Ready: true})
			}
			return nil
		}
		break
	}
	err := c.Progress(ctx, user, server, on)
	if errors.Is(err, errStreamEnded) || IsStatus(err, http.StatusNotFound) {
		// No stream (old hub) or a cut one: poll the model instead.
		return c.WaitServer(ctx, user, server, true)
	}
	return err
}

func parseRetryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}
