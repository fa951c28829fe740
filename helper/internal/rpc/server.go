package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/internal/hubapi"
	"github.com/hubssh/hubssh/internal/version"
)

// Server answers JSON-RPC requests with a core.Service.
type Server struct {
	svc *core.Service

	mu      sync.Mutex
	cancels map[string]context.CancelFunc // by request ID
}

// Serve runs the protocol on rw until the client closes it or ctx ends.
// Requests run concurrently: a spawn that takes minutes must not block a
// "servers/list" from the editor's tree view.
func Serve(ctx context.Context, svc *core.Service, rw io.ReadWriteCloser) error {
	s := &Server{svc: svc, cancels: map[string]context.CancelFunc{}}
	h := jsonrpc2.HandlerWithError(s.handle)
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(rw, jsonrpc2.VSCodeObjectCodec{}), jsonrpc2.AsyncHandler(h.SuppressErrClosed()))
	select {
	case <-conn.DisconnectNotify():
	case <-ctx.Done():
		conn.Close()
	}
	return nil
}

func (s *Server) handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
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

func (s *Server) cancel(id string) {
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

func (s *Server) dispatch(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	switch req.Method {
	case MethodVersion:
		return VersionResult{Version: version.Version, Protocol: ProtocolVersion}, nil
	case MethodHubsAdd:
		var p HubsAddParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.svc.Login(ctx, p.URL, p.Token)
	case MethodHubsList:
		hubs, err := s.svc.Hubs()
		return map[string]any{"hubs": hubs}, err
	case MethodHubsRemove:
		var p HubRef
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return struct{}{}, s.svc.Logout(ctx, p.Hub)
	case MethodServersList:
		var p ServerRef
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		servers, err := s.svc.Servers(ctx, p.Hub, p.User)
		return map[string]any{"servers": servers}, err
	case MethodServersStart:
		var p StartParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return struct{}{}, s.svc.Start(ctx, p.Hub, p.User, p.Server, p.Options, s.progress(ctx, conn, p.ProgressToken))
	case MethodServersStop:
		var p StopParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return struct{}{}, s.svc.Stop(ctx, p.Hub, p.User, p.Server, p.Remove)
	case MethodConnectPrepare:
		var p PrepareParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		if p.SSHOptions != nil {
			if err := s.svc.SetSSHOptions(sortedOptions(*p.SSHOptions)); err != nil {
				return nil, err
			}
		}
		res, err := s.svc.Prepare(ctx, p.Hub, p.User, p.Server, s.progress(ctx, conn, p.ProgressToken))
		if err != nil {
			return nil, err
		}
		return PrepareResult{Prepared: *res, SSHConfig: s.svc.SSH.User}, nil
	case MethodDiagnose:
		var p HubRef
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		checks, err := s.svc.Diagnose(ctx, p.Hub)
		return map[string]any{"checks": checks}, err
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: fmt.Sprintf("no method %q (docs/rpc.md lists them)", req.Method)}
}

// sortedOptions orders the options by keyword, so the managed file does
// not change with map order.
func sortedOptions(m map[string]string) []sshconfig.Option {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := make([]sshconfig.Option, 0, len(keys))
	for _, k := range keys {
		opts = append(opts, sshconfig.Option{Key: k, Value: m[k]})
	}
	return opts
}

// PrepareResult answers connect/prepare.
type PrepareResult struct {
	core.Prepared
	// SSHConfig is the ssh config file hubssh edited; pass it with -F when
	// ssh might read another one (a different HOME).
	SSHConfig string `json:"sshConfig"`
}

func (s *Server) progress(ctx context.Context, conn *jsonrpc2.Conn, token any) func(hubapi.Event) {
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
		e := &jsonrpc2.Error{Code: coreCodes[ce.Code], Message: ce.Message}
		e.SetError(ErrorData{Kind: ce.Code})
		return e
	}
	e := &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: err.Error()}
	e.SetError(ErrorData{Kind: core.CodeInternal})
	return e
}
