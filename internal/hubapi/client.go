package hubapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hubssh/hubssh/internal/httpjson"
)

// Client calls one hub's REST API with one token. The token goes only into
// the Authorization header of requests under /hub/api/, never into a URL or
// an error message.
type Client struct {
	base  *url.URL // the hub's public base URL; nil for NewAPIClient
	api   string   // ".../hub/api/"
	token string
	http  *http.Client
}

// NewClient returns a client for the hub at base (see ParseHubURL). A nil
// httpClient means a client with a 30 s timeout per request.
func NewClient(base *url.URL, token string, httpClient *http.Client) *Client {
	return &Client{base: base, api: base.String() + "hub/api/", token: token, http: orDefault(httpClient)}
}

// NewAPIClient returns a client for an API URL as a single-user server gets
// it in $JUPYTERHUB_API_URL (e.g. "http://hub:8081/hub/api"), which may
// differ from the public URL users know.
func NewAPIClient(apiURL, token string, httpClient *http.Client) *Client {
	return &Client{api: strings.TrimSuffix(apiURL, "/") + "/", token: token, http: orDefault(httpClient)}
}

func orDefault(hc *http.Client) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: 30 * time.Second}
	}
	return hc
}

// Base is the hub's public base URL (nil for a client from NewAPIClient).
func (c *Client) Base() *url.URL { return c.base }

// StatusError is a reply from the hub other than the one expected.
type StatusError struct {
	Method, Path string
	Code         int
	Message      string        // the hub's own "message" field, if any
	RetryAfter   time.Duration // from a 429's Retry-After header
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
	u := c.api + path
	resp, err := httpjson.Do(ctx, c.http, httpjson.Request{Method: method, URL: u, Token: c.token, Body: body, MaxReply: 8 << 20})
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, redact(u), err)
	}
	for _, w := range want {
		if resp.Code != w {
			continue
		}
		if err := resp.Decode(out); err != nil {
			return resp.Code, &NotHubError{Path: "/hub/api/" + path, Code: resp.Code, Detail: "reply is not JSON"}
		}
		return resp.Code, nil
	}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(resp.Body, &msg) != nil {
		// A JupyterHub API error is always JSON. HTML or nothing means a
		// proxy, a login page or some other web server answered.
		if resp.Code != http.StatusUnauthorized && resp.Code != http.StatusForbidden {
			return resp.Code, &NotHubError{Path: "/hub/api/" + path, Code: resp.Code, Detail: contentKind(resp.Header.Get("Content-Type"))}
		}
	}
	return resp.Code, &StatusError{Method: method, Path: "/hub/api/" + path, Code: resp.Code,
		Message: oneLine(msg.Message), RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
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

// rootURLError drops the URL from a *url.Error: callers name the endpoint
// themselves, and a URL may carry a query with credentials.
func rootURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact drops any query string: a URL in an error message must never carry
// a credential, whatever a caller put there.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
