package core

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Prepared is a server ready for ssh: the host alias to use and the folder
// an editor should open.
type Prepared struct {
	Hub    string
	User   string
	Server string
	Alias  string
	Folder string
}

// Prepare makes a server reachable as an ssh host: started if needed (with
// progress), hubssh's key deployed through the control API, the host key
// pinned, and the ssh config written. hubRef and user may be empty (the
// only hub, the token's owner).
func (s *Service) Prepare(ctx context.Context, hubRef, user, server string, progress func(hubapi.Event)) (*Prepared, error) {
	t, err := s.target(hubRef, user, server)
	if err != nil {
		return nil, err
	}
	if err := s.ensureRunning(ctx, t, nil, progress); err != nil {
		return nil, err
	}
	_, pub, err := s.Store.KeyPair(t.hub)
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	var hostKeys []string
	var info controlapi.Info
	err = s.control(ctx, t, func(ctl *controlapi.Client) error {
		if _, err := ctl.AddKey(ctx, string(pub)); err != nil {
			return err
		}
		if hostKeys, err = ctl.HostKeys(ctx); err != nil {
			return err
		}
		info, err = ctl.Info(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	alias := Alias(t.hub, t.user, t.server)
	if err := s.Store.Pin(alias, hostKeys); err != nil {
		return nil, fail(CodeConfig, err, "cannot pin the host key: %v", err)
	}
	err = s.Store.Update(func(st *store.State) error {
		if h := st.Hub(t.hub); h != nil {
			rec := store.Server{User: t.user, Name: t.server, Alias: alias, Folder: info.Home, Login: info.User}
			if t.serverURL != nil {
				rec.URL = t.serverURL.String()
			}
			h.AddServer(rec)
		}
		return nil
	})
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	if err := s.WriteSSHConfig(); err != nil {
		return nil, err
	}
	// What matters is what ssh will do: an option the user set earlier in
	// their config wins over ours. Say so now rather than fail obscurely.
	if c := s.effectiveConfigCheck(ctx, alias); c.Status != "ok" {
		s.notice("%s; fix: %s", c.Detail, c.Fix)
	}
	return &Prepared{Hub: t.hub, User: t.user, Server: t.server, Alias: alias, Folder: info.Home}, nil
}

// control runs f against the server's control API with a server token,
// minting a new one when the server rejects the cached one, and waits out
// an outage of the hub. Its failures are explained for a person.
func (s *Service) control(ctx context.Context, t *target, f func(*controlapi.Client) error) error {
	err := s.retryOutage(ctx, t.hub, func() error {
		return s.useServerToken(ctx, t, func(tok string) error {
			err := f(&controlapi.Client{Server: t.serverBase(), Token: tok, HTTP: s.httpClient(60 * time.Second)})
			var se *controlapi.StatusError
			if errors.As(err, &se) && se.TokenRejected() {
				return &errTokenRejected{status: se.Code, err: err}
			}
			if errors.As(err, &se) && gatewayError(se.Code) {
				return &hubapi.StatusError{Method: "control API", Code: se.Code, Message: se.Message}
			}
			return err
		})
	})
	if err == nil {
		return nil
	}
	var rej *errTokenRejected
	var ce *Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &rej):
		return s.serverRefused(ctx, t, rej)
	}
	return s.controlFailure(t, err)
}

// ensureRunning starts the server unless it is up, following progress.
func (s *Service) ensureRunning(ctx context.Context, t *target, options map[string]any, progress func(hubapi.Event)) error {
	var u *hubapi.User
	err := s.retryOutage(ctx, t.hub, func() error {
		var err error
		u, err = t.api.User(ctx, t.user)
		return err
	})
	if err != nil {
		return s.userError(ctx, t, err)
	}
	if u.Servers[t.server].Running() {
		t.learnServerURL(u.Servers[t.server])
		return nil
	}
	if err := t.api.Spawn(ctx, t.user, t.server, options, progress); err != nil {
		return s.ensureRunningError(ctx, t, err)
	}
	// The model of a stopped server has no URL; the started one has.
	s.refreshServerURL(ctx, t)
	return nil
}

// refreshServerURL asks the hub where t's server lives and reports whether
// that differs from the URL used so far (the hub moved to subdomains, or a
// flag-form target assumed the hub's own host).
func (s *Service) refreshServerURL(ctx context.Context, t *target) bool {
	u, err := t.api.User(ctx, t.user)
	return err == nil && u.Servers[t.server].Running() && t.learnServerURL(u.Servers[t.server])
}

// ensureRunningError explains why a spawn did not give a running server.
func (s *Service) ensureRunningError(ctx context.Context, t *target, err error) error {
	var se *hubapi.SpawnError
	if errors.As(err, &se) {
		return fail(CodeServer, err, "%s: %v", t.label(), se)
	}
	var st *hubapi.StatusError
	if errors.As(err, &st) && st.Code == http.StatusBadRequest {
		return fail(CodeServer, err, "the hub would not start %s: %s", t.label(), st.Message)
	}
	if errors.As(err, &st) && st.Code >= 500 {
		return fail(CodeServer, err, "the hub failed to start %s (HTTP %d: %s); the hub's admin finds the cause in its log", t.label(), st.Code, st.Message)
	}
	if ctx.Err() != nil {
		return fail(CodeServer, err, "stopped waiting for %s to start", t.label())
	}
	return s.classify(t.hub, err)
}

// userError explains a failed GET /users/NAME. The hub answers 403 both to
// a dead token and to a live one without access to that user; asking who
// the token belongs to tells them apart.
func (s *Service) userError(ctx context.Context, t *target, err error) error {
	if !hubapi.IsStatus(err, http.StatusForbidden, http.StatusNotFound, http.StatusUnauthorized) {
		return s.classify(t.hub, err)
	}
	if _, whoErr := t.api.CurrentUser(ctx); whoErr != nil {
		if hubapi.IsStatus(whoErr, http.StatusUnauthorized, http.StatusForbidden) {
			return s.loginRejected(ctx, t, whoErr)
		}
		return s.classify(t.hub, whoErr)
	}
	return fail(CodeAuth, err, "this token has no access to %s's servers (or there is no such user); use a token of %s or of an admin", t.user, t.user)
}

func label(user, server string) string {
	if server == "" {
		return user + "'s default server"
	}
	return user + "'s server \"" + server + "\""
}

// controlFailure explains a control API failure: most often the image has
// no hubsshd (404 from jupyter-server-proxy).
func (s *Service) controlFailure(t *target, err error) error {
	var se *controlapi.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusNotFound:
			return fail(CodeServer, err, "%s has no hubsshd (%s answered 404): ask the hub's admin to install it in the server image (docs/hubsshd.md)",
				t.label(), t.serverBase().Path+controlapi.Path(""))
		case se.Code/100 == 3:
			return fail(CodeServer, err, "%s stopped while hubssh was preparing it: connect again", t.label())
		}
		return fail(CodeServer, err, "%s: %v", t.label(), se)
	}
	return s.classify(t.hub, err)
}
