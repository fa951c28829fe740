package hubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one hub's REST API with one token. The token goes only into
// the Authorization header of requests under /hub/api/, never into a URL or
// an error message.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// NewClient returns a client for the hub at base (see ParseHubURL). A nil
// httpClient means a client with a 30 s timeout per request.
func NewClient(base *url.URL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: base, token: token, http: httpClient}
}

// Base is the hub's base URL.
func (c *Client) Base() *url.URL { return c.base }

// StatusError is a reply from the hub other than the one expected.
type StatusError struct {
	Method, Path string
	Code         int
	Message      string // the hub's own "message" field, if any
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Code)
}

// IsStatus reports whether err is a StatusError with one of the codes.
func IsStatus(err error, codes ...int) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Code == c {
			return true
		}
	}
	return false
}

// NotHubError means the address answered, but not like a JupyterHub.
type NotHubError struct {
	Path   string
	Code   int
	Detail string
}

func (e *NotHubError) Error() string {
	return fmt.Sprintf("GET %s answered HTTP %d (%s), not a JupyterHub API reply", e.Path, e.Code, e.Detail)
}

// do sends one API request. path is relative to "hub/api/". out, if not nil,
// receives the JSON body of a reply whose code is one of want.
func (c *Client) do(ctx context.Context, method, path string, body any, out any, want ...int) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.base.String() + "hub/api/" + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "token "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, redact(u), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	for _, w := range want {
		if resp.StatusCode != w {
			continue
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.StatusCode, &NotHubError{Path: "/hub/api/" + path, Code: resp.StatusCode, Detail: "reply is not JSON"}
			}
		}
		return resp.StatusCode, nil
	}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &msg) != nil {
		// A JupyterHub API error is always JSON. HTML or nothing means a
		// proxy, a login page or some other web server answered.
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			return resp.StatusCode, &NotHubError{Path: "/hub/api/" + path, Code: resp.StatusCode, Detail: contentKind(resp.Header.Get("Content-Type"))}
		}
	}
	return resp.StatusCode, &StatusError{Method: method, Path: "/hub/api/" + path, Code: resp.StatusCode, Message: oneLine(msg.Message)}
}

func contentKind(ct string) string {
	if ct == "" {
		return "no content type"
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}

// oneLine keeps a hub message to one short line for error output.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// redact drops any query string: a URL in an error message must never carry
// a credential, whatever a caller put there.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
