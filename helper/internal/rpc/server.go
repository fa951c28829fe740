package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// session answers one client's JSON-RPC requests with a core.Service.
type session struct {
	svc *core.Service

	mu      sync.Mutex
	cancels map[string]context.CancelFunc // by request ID
}

// Serve runs the protocol on rw until the client closes it or ctx ends.
// Requests run concurrently: a spawn that takes minutes must not block a
// "servers/list" from the editor's tree view.
func Serve(ctx context.Context, svc *core.Service, rw io.ReadWriteCloser) error {
	s := &session{svc: svc, cancels: map[string]context.CancelFunc{}}
	h := jsonrpc2.HandlerWithError(s.handle)
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(rw, jsonrpc2.VSCodeObjectCodec{}), jsonrpc2.AsyncHandler(h.SuppressErrClosed()))
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watchConnections(wctx, conn, time.Second)
	}()
	select {
	case <-conn.DisconnectNotify():
	case <-ctx.Done():
		conn.Close()
	}
	stop()
	<-watched
	return nil
}

func (s *session) handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	if req.Method == MethodCancel {
		var p CancelParams
		if decode(req, &p) == nil {
			s.cancel(fmt.Sprint(p.ID))
		}
		return nil, nil
	}
	if req.Notif {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	id := req.ID.String()
	s.mu.Lock()
	s.cancels[id] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.cancels, id)
		s.mu.Unlock()
		cancel()
	}()
	res, err := s.dispatch(ctx, conn, req)
	if err != nil {
		return nil, toRPCError(ctx, err)
	}
	return res, nil
}

func (s *session) cancel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// IDs arrive as JSON numbers or strings; jsonrpc2.ID prints strings
	// quoted, so try both spellings.
	for _, k := range []string{id, fmt.Sprintf("%q", id)} {
		if c, ok := s.cancels[k]; ok {
			c()
		}
	}
}

func (s *session) dispatch(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	for _, r := range routes() {
		if r.method == req.Method {
			return r.call(ctx, s, conn, req)
		}
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: fmt.Sprintf("no method %q (docs/rpc.md lists them)", req.Method)}
}

func (s *session) progress(ctx context.Context, conn *jsonrpc2.Conn, token any) func(hubapi.Event) {
	if token == nil {
		return nil
	}
	return func(e hubapi.Event) {
		conn.Notify(ctx, MethodProgress, ProgressParams{Token: token, Value: ProgressValue{
			Percentage: e.Progress, Message: e.Message, Ready: e.Ready, Failed: e.Failed,
		}})
	}
}

func decode(req *jsonrpc2.Request, v any) error {
	if req.Params == nil {
		return nil
	}
	dec := json.NewDecoder(bytesReader(*req.Params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: fmt.Sprintf("params of %s: %v (docs/rpc.md)", req.Method, err)}
	}
	return nil
}

// toRPCError gives every failure a stable code, a one-line message with the
// fix, and its kind in data.
func toRPCError(ctx context.Context, err error) error {
	var re *jsonrpc2.Error
	if errors.As(err, &re) {
		return re
	}
	if ctx.Err() != nil {
		return &jsonrpc2.Error{Code: CodeCancelled, Message: "cancelled"}
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		c, ok := codes[ce.Code]
		if !ok {
			c = codes[core.CodeInternal]
		}
		e := &jsonrpc2.Error{Code: c.code, Message: ce.Message}
		e.SetError(ErrorData{Kind: c.kind})
		return e
	}
	e := &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: err.Error()}
	e.SetError(ErrorData{Kind: KindInternal})
	return e
}
