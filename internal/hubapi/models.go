package hubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// User is the part of JupyterHub's user model hubssh uses. Fields that 4.x
// and 5.x both send; Scopes only on /hub/api/user.
type User struct {
	Name         string             `json:"name"`
	Admin        bool               `json:"admin"`
	Kind         string             `json:"kind"` // "user" or "service" (5.x)
	Scopes       []string           `json:"scopes"`
	Servers      map[string]*Server `json:"servers"`
	LastActivity *time.Time         `json:"last_activity"`
	TokenID      string             `json:"token_id"` // 5.x, on /hub/api/user: the token's own ID
}

// TokenExpiry returns when a user's token expires (nil: never).
func (c *Client) TokenExpiry(ctx context.Context, user, tokenID string) (*time.Time, error) {
	var out struct {
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if _, err := c.do(ctx, http.MethodGet, "users/"+escapeName(user)+"/tokens/"+escapeName(tokenID), nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.ExpiresAt, nil
}

// Info is GET /hub/api/ (no token needed): the hub's version.
func (c *Client) Info(ctx context.Context) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	if _, err := c.do(ctx, http.MethodGet, "", nil, &out, http.StatusOK); err != nil {
		return "", err
	}
	if out.Version == "" {
		return "", &NotHubError{Path: "/hub/api/", Code: http.StatusOK, Detail: "no version in reply"}
	}
	return out.Version, nil
}

// Server is one of a user's servers; "" names the default server.
type Server struct {
	Name         string         `json:"name"`
	Ready        bool           `json:"ready"`
	Pending      *string        `json:"pending"` // "spawn", "stop" or null
	Stopped      bool           `json:"stopped"`
	URL          string         `json:"url"`
	ProgressURL  string         `json:"progress_url"`
	LastActivity *time.Time     `json:"last_activity"`
	UserOptions  map[string]any `json:"user_options"`
}

// Running reports whether the server is up and not on its way down.
func (s *Server) Running() bool {
	return s != nil && s.Ready && (s.Pending == nil || *s.Pending == "")
}

// CurrentUser returns the owner of the client's token (GET /hub/api/user).
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var u User
	if _, err := c.do(ctx, http.MethodGet, "user", nil, &u, http.StatusOK); err != nil {
		return nil, err
	}
	if u.Name == "" {
		return nil, &NotHubError{Path: "/hub/api/user", Code: http.StatusOK, Detail: "no user name in reply"}
	}
	return &u, nil
}

// User returns a user's model with their active servers.
func (c *Client) User(ctx context.Context, name string) (*User, error) {
	var u User
	if _, err := c.do(ctx, http.MethodGet, "users/"+escapeName(name), nil, &u, http.StatusOK); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserWithStopped is User with stopped named servers included (JupyterHub
// 3+; older hubs ignore the parameter and list active servers only).
func (c *Client) UserWithStopped(ctx context.Context, name string) (*User, error) {
	var u User
	if _, err := c.do(ctx, http.MethodGet, "users/"+escapeName(name)+"?include_stopped_servers=1", nil, &u, http.StatusOK); err != nil {
		return nil, err
	}
	if u.Servers == nil {
		u.Servers = map[string]*Server{}
	}
	return &u, nil
}

// CreateUsers creates users (admin only); existing ones are not an error.
func (c *Client) CreateUsers(ctx context.Context, names ...string) error {
	body := map[string]any{"usernames": names}
	_, err := c.do(ctx, http.MethodPost, "users", body, nil, http.StatusCreated, http.StatusConflict)
	return err
}

// TokenRequest asks the hub for a new token for a user.
type TokenRequest struct {
	Note      string   `json:"note,omitempty"`
	ExpiresIn int      `json:"expires_in,omitempty"` // seconds
	Scopes    []string `json:"scopes,omitempty"`
}

// Token is a token the hub minted: its secret and its ID (for revoking it).
type Token struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// NewToken mints a token for user. The caller must own the token's scopes
// (admin, or the user themself).
func (c *Client) NewToken(ctx context.Context, user string, req TokenRequest) (Token, error) {
	var out Token
	if _, err := c.do(ctx, http.MethodPost, "users/"+escapeName(user)+"/tokens", req, &out, http.StatusCreated, http.StatusOK); err != nil {
		return Token{}, err
	}
	if out.Token == "" {
		return Token{}, fmt.Errorf("POST /hub/api/users/%s/tokens: reply has no token", escapeName(user))
	}
	return out, nil
}

// TokenInfo is a token as the hub lists it (never its secret).
type TokenInfo struct {
	ID        string     `json:"id"`
	Note      string     `json:"note"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// ListTokens lists user's API tokens.
func (c *Client) ListTokens(ctx context.Context, user string) ([]TokenInfo, error) {
	var out struct {
		APITokens []TokenInfo `json:"api_tokens"`
	}
	if _, err := c.do(ctx, http.MethodGet, "users/"+escapeName(user)+"/tokens", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out.APITokens, nil
}

// DeleteToken revokes one of user's tokens by its ID; a token that is
// already gone is not an error.
func (c *Client) DeleteToken(ctx context.Context, user, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "users/"+escapeName(user)+"/tokens/"+escapeName(id), nil, nil, http.StatusNoContent, http.StatusNotFound)
	return err
}

func serverAPIPath(user, server string) string {
	p := "users/" + escapeName(user)
	if server == "" {
		return p + "/server"
	}
	return p + "/servers/" + escapeName(server)
}

// StartServer asks the hub to start a server. It returns true when the
// server is already up (201), false when the spawn is pending (202). A
// server that is already running is not an error.
func (c *Client) StartServer(ctx context.Context, user, server string, options map[string]any) (ready bool, err error) {
	if options == nil {
		options = map[string]any{}
	}
	code, err := c.do(ctx, http.MethodPost, serverAPIPath(user, server), options, nil, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		var se *StatusError
		// 400 "already running" is success for a caller that wants it up.
		if errors.As(err, &se) && se.Code == http.StatusBadRequest && containsFold(se.Message, "already running") {
			return true, nil
		}
		return false, fmt.Errorf("start server %q of %q: %w", server, user, err)
	}
	return code == http.StatusCreated, nil
}

// StopServer asks the hub to stop a server; a server that is not running is
// not an error. It returns once the hub has accepted the request.
func (c *Client) StopServer(ctx context.Context, user, server string) error {
	return c.stop(ctx, user, server, nil)
}

// RemoveServer stops a named server and deletes it from the hub.
func (c *Client) RemoveServer(ctx context.Context, user, server string) error {
	if server == "" {
		return fmt.Errorf("the default server cannot be removed, only stopped")
	}
	return c.stop(ctx, user, server, map[string]any{"remove": true})
}

func (c *Client) stop(ctx context.Context, user, server string, body any) error {
	_, err := c.do(ctx, http.MethodDelete, serverAPIPath(user, server), body, nil, http.StatusNoContent, http.StatusAccepted)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusBadRequest && containsFold(se.Message, "not running") {
			return nil
		}
		return fmt.Errorf("stop server %q of %q: %w", server, user, err)
	}
	return nil
}

// WaitServer polls the user model until the server is ready (or gone, when
// wantRunning is false), or ctx ends. The progress event stream is the
// better source for a person; this is for scripts and tests.
func (c *Client) WaitServer(ctx context.Context, user, server string, wantRunning bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		u, err := c.User(ctx, user)
		if err != nil {
			return fmt.Errorf("wait for server %q of %q: %w", server, user, err)
		}
		s := u.Servers[server]
		if wantRunning && s.Running() || !wantRunning && s == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			state := "stopped"
			if s != nil {
				state = fmt.Sprintf("ready=%v pending=%v", s.Ready, deref(s.Pending))
			}
			return fmt.Errorf("wait for server %q of %q (last seen %s): %w", server, user, state, ctx.Err())
		case <-tick.C:
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}
