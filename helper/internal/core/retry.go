package core

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/hubssh/hubssh/helper/internal/tunnel"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// A hub stops answering for a few seconds when its proxy restarts
// (configurable-http-proxy comes back without routes and the hub adds them
// again within about 5 s) or the hub itself restarts. That is an outage
// to wait out, not a wrong URL (#10).

const defaultOutageRetry = 30 * time.Second

// outage reports whether err is what a hub that is known to be a hub
// answers while it restarts: refused or reset connections, a gateway
// error, or a proxy page where the API should be.
func outage(err error) bool {
	var nh *hubapi.NotHubError
	var he *tunnel.HandshakeError
	switch {
	case err == nil:
		return false
	case errors.As(err, &nh):
		return nh.Code == http.StatusNotFound || gatewayError(nh.Code)
	case hubapi.IsStatus(err, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout):
		return true
	case errors.As(err, &he) && he.Status != 0:
		return gatewayError(he.Status)
	}
	return refused(err) || reset(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func gatewayError(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// retryOutage runs f until it succeeds, fails otherwise than by an outage
// of the hub, or the outage has lasted OutageRetry. One line tells the
// person hubssh is waiting, and one that the hub is back.
func (s *Service) retryOutage(ctx context.Context, hubURL string, f func() error) error {
	notice := s.notice
	if ctx.Value(quietOutage{}) != nil {
		notice = func(string, ...any) {}
	}
	limit := s.OutageRetry
	if limit == 0 {
		limit = defaultOutageRetry
	}
	var since time.Time
	wait := 250 * time.Millisecond
	for {
		err := f()
		if !outage(err) {
			if err == nil && !since.IsZero() {
				notice("%s answers again after %.1f s", hubURL, time.Since(since).Seconds())
			}
			return err
		}
		if since.IsZero() {
			since = time.Now()
			notice("%s is not answering as usual (restarting?); retrying for up to %s", hubURL, limit)
		}
		if time.Since(since)+wait > limit {
			return &outageError{after: time.Since(since), err: err}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// quietOutage, as a context value, keeps retryOutage from saying that it
// waits: a resume says so itself, once (docs/resume.md).
type quietOutage struct{}

// outageError is an outage that outlasted the retries.
type outageError struct {
	after time.Duration
	err   error
}

func (e *outageError) Error() string { return e.err.Error() }
func (e *outageError) Unwrap() error { return e.err }

// outageFailure reports an outage that did not end: the hub is unreachable,
// whatever page its proxy showed meanwhile.
func outageFailure(hubURL string, e *outageError) *Error {
	cause := e.err.Error()
	if m := networkCause(e.err); m != "" {
		cause = m
	}
	return fail(CodeNetwork, e, "%s did not answer for %.0f s (%s): the hub or its proxy is down; try again later, or tell the hub's admin", hubURL, e.after.Seconds(), cause)
}
