package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/helper/internal/tunnel"
	"github.com/hubssh/hubssh/internal/hubapi"
	"github.com/hubssh/hubssh/internal/resume"
)

// ProxyTarget names the server a proxy connection goes to: a host alias
// hubssh wrote into the ssh config, or a hub URL with a user and server
// (hubssh proxy --hub), which needs no "hubssh connect" first.
type ProxyTarget struct {
	Alias        string
	Hub          string
	User, Server string
}

// Proxy carries ssh's stdin/stdout to the server's hubsshd: the one path
// for both forms of "hubssh proxy". A stopped server (culled, restarted) is
// started first with the hub's progress on the callback (stderr, which
// Remote-SSH shows in its log); an outage of the hub is waited out.
func (s *Service) Proxy(ctx context.Context, pt ProxyTarget, in io.Reader, out io.Writer, progress func(hubapi.Event)) error {
	t, checked, err := s.proxyTarget(ctx, pt)
	if err != nil {
		return err
	}
	// Whether the login token still stands is asked beside the dial, so it
	// costs no time: a revoked login token stops new sessions at once,
	// although the server token cached earlier still works (#10).
	check := make(chan error, 1)
	if checked {
		check <- nil
	} else {
		go func() {
			_, err := t.api.CurrentUser(ctx)
			check <- err
		}()
	}
	c, dialErr := s.dialServer(ctx, t, true, progress)
	if err := <-check; hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
		if c != nil {
			c.CloseNow()
		}
		return s.loginRejected(ctx, t, err)
	}
	// Any other failure to check (the hub's API restarting while the
	// server answers) lets the connection go ahead: the server checks its
	// own token, and that token lives at most serverTokenLife.
	if dialErr != nil {
		return dialErr
	}
	// The first websocket opens the stream; with a hubsshd that offers
	// resume, later ones reattach it when this one breaks (docs/resume.md).
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first := c.Stream(pctx)
	dial := func(dctx context.Context) (net.Conn, error) {
		if first != nil {
			f := first
			first = nil
			return f, nil
		}
		return s.redial(pctx, dctx, t)
	}
	alias := pt.Alias
	if alias == "" {
		alias = Alias(t.hub, t.user, t.server)
	}
	defer s.clearStatus(alias)
	stream, resumable, err := resume.Connect(pctx, dial, resume.ClientOptions{Status: s.resumeStatus(t, alias)})
	if err != nil {
		c.CloseNow()
		if ctx.Err() != nil {
			return nil
		}
		return s.lostError(ctx, t, err)
	}
	if !resumable {
		err = tunnel.PipeStream(pctx, c, stream, in, out, tunnel.Options{})
	} else {
		err = tunnel.Carry(pctx, stream, in, out, 0)
	}
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return s.resumeError(ctx, t, err)
}

// redial opens a websocket to reattach t's stream. Failures no retry can
// mend (the login token revoked, the server stopped or without hubsshd)
// are permanent; the others (network, an outage of the hub) are retried.
func (s *Service) redial(ctx, dctx context.Context, t *target) (net.Conn, error) {
	dctx = context.WithValue(dctx, quietOutage{}, true)
	// A login token revoked while the connection was down ends the
	// session: the cached server token would still open the websocket.
	// The hub restarting its proxy is waited out here too, or the check
	// would pass for want of an answer.
	err := s.retryOutage(dctx, t.hub, func() error {
		_, err := t.api.CurrentUser(dctx)
		return err
	})
	if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
		return nil, &resume.Permanent{Err: s.loginRejected(dctx, t, err)}
	}
	c, err := s.dialServer(dctx, t, false, nil)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Code != CodeNetwork {
			return nil, &resume.Permanent{Err: err}
		}
		return nil, err
	}
	return c.Stream(ctx), nil
}

// resumeStatus tells the user, one line at a time on stderr (which
// Remote-SSH shows in its log), that the connection is being resumed, and
// when it is back; a resume at the first attempt is the one line that it
// is back. Retries are reported at 1, 2, 4, 8, … so that a long sleep
// leaves a handful of lines, not hundreds.
func (s *Service) resumeStatus(t *target, alias string) func(resume.Status) {
	return func(st resume.Status) {
		cs := ConnectionStatus{Alias: alias, Label: t.label(), State: "resuming", Retry: st.Retry, Since: st.Since.Seconds()}
		switch {
		case st.Started:
			cs.Message = fmt.Sprintf("connection to %s broke (%v); resuming", t.label(), rootCause(st.Cause))
		case st.Resumed:
			cs.State = "resumed"
			cs.Message = fmt.Sprintf("connection to %s resumed after %.1f s (it broke: %v)", t.label(), st.Since.Seconds(), rootCause(st.Cause))
			s.notice("%s", cs.Message)
		case st.Retry == 0:
			cs.Message = fmt.Sprintf("connection to %s lost (%v); resuming", t.label(), rootCause(st.Cause))
			s.notice("%s", cs.Message)
		default:
			cs.Message = fmt.Sprintf("connection to %s lost; resuming (retry %d, %.0f s): %v", t.label(), st.Retry, st.Since.Seconds(), rootCause(st.Cause))
			if st.Retry&(st.Retry-1) == 0 {
				s.notice("%s", cs.Message)
			}
		}
		// The editor hears of every step; stderr only of some.
		s.writeStatus(cs)
	}
}

// resumeError explains a stream that ended otherwise than cleanly.
func (s *Service) resumeError(ctx context.Context, t *target, err error) error {
	var perm *resume.Permanent
	var ce *Error
	switch {
	case errors.As(err, &perm) && errors.As(perm.Err, &ce) && ce.Code == CodeServer:
		return s.lostError(ctx, t, err) // stopped meanwhile: say so, with the way back
	case errors.As(err, &perm) && errors.As(perm.Err, &ce):
		return ce
	case errors.Is(err, resume.ErrRestarted):
		return fail(CodeServer, err, "%s was restarted while the connection was down, so the session is gone: connect again", t.label())
	case errors.Is(err, resume.ErrUnknownSession), errors.Is(err, resume.ErrExpired):
		return fail(CodeNetwork, err, "%s no longer holds this session (the connection was down longer than its resume window): connect again", t.label())
	}
	return s.lostError(ctx, t, err)
}

// proxyTarget resolves pt. checked reports that the login token was
// already confirmed with the hub on the way.
func (s *Service) proxyTarget(ctx context.Context, pt ProxyTarget) (t *target, checked bool, err error) {
	if pt.Alias != "" {
		st, err := s.Store.Load()
		if err != nil {
			return nil, false, fail(CodeConfig, err, "%v", err)
		}
		h, srv := st.ByAlias(pt.Alias)
		if h == nil {
			return nil, false, fail(CodeUsage, nil, "unknown host %q: run \"hubssh connect\" to set it up", pt.Alias)
		}
		t, err := s.hubTarget(h, srv.User, srv.Name)
		return t, false, err
	}
	base, err := hubapi.ParseHubURL(pt.Hub)
	if err != nil {
		return nil, false, fail(CodeUsage, err, "%v", err)
	}
	st, err := s.Store.Load()
	if err != nil {
		return nil, false, fail(CodeConfig, err, "%v", err)
	}
	if h := st.Hub(base.String()); h != nil {
		if t, err = s.hubTarget(h, pt.User, pt.Server); err != nil {
			return nil, false, err
		}
	} else {
		tok := s.envToken()
		if tok == "" {
			return nil, false, fail(CodeAuth, nil, "not logged in to %s: run \"hubssh login %s\", or put a token from %shub/token in %s",
				base, base, base, store.TokenEnv)
		}
		t = &target{hub: base.String(), api: hubapi.NewClient(base, tok, s.httpClient(30*time.Second)), user: pt.User, server: pt.Server}
	}
	// A hub named on the command line may be mistyped: check it once,
	// without waiting out "outages" of an address that is no hub at all.
	var u *hubapi.User
	if t.rec == nil || t.user == "" {
		if u, err = t.api.CurrentUser(ctx); err != nil {
			if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
				return nil, false, s.loginRejected(ctx, t, err)
			}
			return nil, false, s.classify(t.hub, err)
		}
		if t.user == "" {
			t.user = u.Name
		}
	}
	return t, u != nil, nil
}

// dialServer opens the websocket to t's hubsshd, starting the server when
// the hub says it is stopped (if start), minting a new server token when
// the server rejects the cached one, and waiting out an outage of the hub.
func (s *Service) dialServer(ctx context.Context, t *target, start bool, progress func(hubapi.Event)) (*tunnel.Conn, error) {
	started, refreshed := false, false
	for {
		wsURL := hubapi.WebsocketURL(t.serverBase())
		var c *tunnel.Conn
		var he *tunnel.HandshakeError
		err := s.retryOutage(ctx, t.hub, func() error {
			return s.useServerToken(ctx, t, func(tok string) error {
				var err error
				c, err = tunnel.Dial(ctx, wsURL, tok, s.httpClient(0))
				if errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden) {
					return &errTokenRejected{status: he.Status, err: err}
				}
				if errors.As(err, &he) && he.Status == http.StatusNotFound {
					// A 404 comes from a server without hubsshd, or from a
					// proxy that has just restarted without its routes: the
					// hub's API tells which (it is down in the second case).
					if _, aerr := t.api.CurrentUser(ctx); outage(aerr) {
						return aerr
					}
				}
				return err
			})
		})
		if err == nil {
			return c, nil
		}
		var rej *errTokenRejected
		var ce *Error
		switch {
		case errors.As(err, &ce):
			return nil, ce
		case errors.As(err, &rej):
			return nil, s.serverRefused(ctx, t, rej)
		case !errors.As(err, &he) || he.Status == 0 || gatewayError(he.Status):
			return nil, s.classify(t.hub, err)
		case he.Status == http.StatusNotFound && !refreshed && s.refreshServerURL(ctx, t):
			// The server lives elsewhere (subdomain_host): try there.
			refreshed = true
			continue
		case he.Status == http.StatusNotFound:
			return nil, s.notInstalled(ctx, t, err)
		case started:
			return nil, fail(CodeServer, err, "%s was started, but its sshd did not answer (%v)", t.label(), err)
		case !start:
			return nil, fail(CodeServer, err, "%s is not running (the hub redirected the websocket)", t.label())
		}
		// Stopped (the culler, a restart): the hub redirects to its spawn
		// page. Start it and try once more.
		if err := s.ensureRunning(ctx, t, nil, progress); err != nil {
			return nil, err
		}
		started = true
	}
}

// notInstalled explains a 404 from the server's sshd path: the server runs
// but has no hubsshd entry, unless the hub says the server is not running.
func (s *Service) notInstalled(ctx context.Context, t *target, err error) error {
	if u, uerr := t.api.User(ctx, t.user); uerr == nil && !u.Servers[t.server].Running() {
		return fail(CodeServer, err, "%s %s: start it with \"hubssh start\" or from %shub/home, then connect again", t.label(), stateText(u.Servers[t.server]), t.hub)
	}
	return fail(CodeServer, err, "%s is running, but /%s answered HTTP 404: hubsshd is not installed in this server's image; ask your hub admin to install it (docs/hubsshd.md)",
		t.label(), t.serverBase().Path+hubapi.SSHDEntry)
}

func stateText(srv *hubapi.Server) string {
	if srv != nil && srv.Pending != nil && *srv.Pending != "" {
		return "is busy (" + *srv.Pending + " pending)"
	}
	return "is not running"
}

// serverRefused explains a server that rejected a token the hub had just
// issued for it: an authorisation problem, never a missing install.
func (s *Service) serverRefused(ctx context.Context, t *target, rej *errTokenRejected) error {
	if _, err := t.api.CurrentUser(ctx); err != nil {
		if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			return s.loginRejected(ctx, t, err)
		}
		return s.classify(t.hub, err)
	}
	return fail(CodeAuth, rej, "%s refused a token the hub issued for it a moment ago (HTTP %d): the token's owner may no longer have access to it; ask the hub's admin (the server's log names the reason)",
		t.label(), rej.status)
}

// loginRejected reports a login token the hub no longer accepts, after
// forgetting every server token minted with it: revoking the login token
// must stop new sessions (#10). The hub does not revoke tokens minted with
// a revoked one, and a rejected token cannot revoke them either; they are
// dropped here and expire within serverTokenLife.
func (s *Service) loginRejected(ctx context.Context, t *target, err error) error {
	if t.rec != nil {
		s.dropServerTokens(ctx, *t.rec, nil)
	} else {
		s.cache().drop(t.tokenKey())
	}
	return s.classify(t.hub, err)
}

// lostError explains a tunnel that broke after it was up. When the server
// itself stopped (stopped from the hub, culled, crashed), that is the
// news, with the way back.
func (s *Service) lostError(ctx context.Context, t *target, err error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if u, uerr := t.api.User(actx, t.user); uerr == nil && !u.Servers[t.server].Running() {
		how := `"hubssh connect"`
		if t.rec != nil {
			for _, srv := range t.rec.Servers {
				if srv.User == t.user && srv.Name == t.server {
					how = `"ssh ` + srv.Alias + `"`
				}
			}
		}
		state := "the hub reports it stopped"
		if srv := u.Servers[t.server]; srv != nil && srv.Pending != nil && *srv.Pending == "stop" {
			state = "the hub is stopping it"
		}
		return fail(CodeServer, err, "%s stopped while connected (%s): %s starts it again", t.label(), state, how)
	}
	return fail(CodeNetwork, err, "connection to %s lost: %v", t.label(), rootCause(err))
}

func rootCause(err error) error {
	if m := networkCause(err); m != "" {
		return errors.New(m)
	}
	return err
}
