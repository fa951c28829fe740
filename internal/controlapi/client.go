package controlapi

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

// Client calls the control API of one user's server. The token is sent
// only in the Authorization header.
type Client struct {
	Server *url.URL // the server's URL (hubapi.ServerURL), ending in "/"
	Token  string
	HTTP   *http.Client // nil: 60 s timeout (the first request starts hubsshd)
}

// StatusError is a reply other than the one expected. Code 0 never occurs.
type StatusError struct {
	Code     int
	Message  string // hubsshd's message, or a note on what answered instead
	Location string // where a redirect pointed, without its query
}

// TokenRejected reports a refusal of the token itself: 401 or 403, or (the
// control API runs in jupyter-server-proxy's HTTP mode, where the server's
// own auth applies) a redirect to the hub's OAuth login, which is what a
// single-user server answers a request whose token it does not accept.
func (e *StatusError) TokenRejected() bool {
	return e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden ||
		e.Code/100 == 3 && strings.Contains(e.Location, "/oauth2/authorize")
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("control API: HTTP %d: %s", e.Code, e.Message)
}

// HostKeys returns the server's host public keys.
func (c *Client) HostKeys(ctx context.Context) ([]string, error) {
	var out HostKeys
	if err := c.do(ctx, http.MethodGet, Path(PathHostKeys), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	if len(out.HostKeys) == 0 {
		return nil, errors.New("control API: the server reported no host keys")
	}
	return out.HostKeys, nil
}

// Info returns the server's home folder and hubsshd's version.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var out Info
	err := c.do(ctx, http.MethodGet, Path(PathInfo), nil, &out, http.StatusOK)
	return out, err
}

// AddKey deploys a public key line to the server.
func (c *Client) AddKey(ctx context.Context, publicKey string) (Key, error) {
	var out Key
	err := c.do(ctx, http.MethodPost, Path(PathKeys), AddKey{PublicKey: publicKey}, &out, http.StatusCreated, http.StatusOK)
	return out, err
}

// Keys lists the keys deployed to the server.
func (c *Client) Keys(ctx context.Context) ([]Key, error) {
	var out Keys
	err := c.do(ctx, http.MethodGet, Path(PathKeys), nil, &out, http.StatusOK)
	return out.Keys, err
}

// RemoveKey removes a deployed key by its SHA256 fingerprint.
func (c *Client) RemoveKey(ctx context.Context, fingerprint string) error {
	return c.do(ctx, http.MethodDelete, Path(PathKeys+"/"+url.PathEscape(fingerprint)), nil, nil, http.StatusNoContent)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any, want ...int) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	// A redirect means the server is not running (or a login page): report
	// it, do not follow it with the token.
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := httpjson.Do(ctx, &noFollow, httpjson.Request{Method: method, URL: c.Server.String() + path, Token: c.Token, Body: body, MaxReply: 1 << 20})
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("control API %s %s: %w", method, path, err)
	}
	for _, w := range want {
		if resp.Code == w {
			if out != nil && json.Unmarshal(resp.Body, out) != nil {
				return &StatusError{Code: resp.Code, Message: "reply is not the control API's JSON"}
			}
			return nil
		}
	}
	var e Error
	loc := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
	if json.Unmarshal(resp.Body, &e) != nil || e.Message == "" {
		e.Message = "answered by something other than hubsshd's control API"
		if loc != "" {
			e.Message += " (redirect to " + loc + ")"
		}
	}
	return &StatusError{Code: resp.Code, Message: e.Message, Location: loc}
}
