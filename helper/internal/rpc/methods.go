package rpc

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/internal/version"
)

// route is one request method: its params and result types (what
// protocol.ts is generated from) and how to serve it.
type route struct {
	method         string
	params, result reflect.Type
	call           func(ctx context.Context, s *session, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error)
}

// typed makes a route of a method whose params and result are Go types, so
// that the table below is the only place a method's shape is written.
func typed[P, R any](method string, serve func(s *session, ctx context.Context, conn *jsonrpc2.Conn, p P) (R, error)) route {
	return route{
		method: method, params: reflect.TypeFor[P](), result: reflect.TypeFor[R](),
		call: func(ctx context.Context, s *session, conn *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
			var p P
			if err := decode(req, &p); err != nil {
				return nil, err
			}
			return serve(s, ctx, conn, p)
		},
	}
}

// routes lists every request, in the order docs/rpc.md gives them.
func routes() []route {
	return []route{
		typed(MethodVersion, (*session).version),
		typed(MethodHubsAdd, (*session).hubsAdd),
		typed(MethodHubsList, (*session).hubsList),
		typed(MethodHubsRemove, (*session).hubsRemove),
		typed(MethodServersList, (*session).serversList),
		typed(MethodServersStart, (*session).serversStart),
		typed(MethodServersStop, (*session).serversStop),
		typed(MethodConnectPrepare, (*session).connectPrepare),
		typed(MethodDiagnose, (*session).diagnose),
	}
}

// notifications lists every notification and its params.
func notifications() map[string]reflect.Type {
	return map[string]reflect.Type{
		MethodCancel:     reflect.TypeFor[CancelParams](),
		MethodProgress:   reflect.TypeFor[ProgressParams](),
		MethodConnection: reflect.TypeFor[ConnectionParams](),
	}
}

// supportedProtocols are the versions this helper speaks, newest first.
func supportedProtocols() []int { return []int{ProtocolVersion} }

func (s *session) version(_ context.Context, _ *jsonrpc2.Conn, p VersionParams) (VersionResult, error) {
	ours := supportedProtocols()
	res := VersionResult{Version: version.Version, Protocol: ours[0], Protocols: ours}
	if len(p.Protocols) == 0 {
		return res, nil
	}
	for _, v := range ours {
		for _, w := range p.Protocols {
			if v == w {
				res.Protocol = v
				return res, nil
			}
		}
	}
	newest := p.Protocols[0]
	for _, w := range p.Protocols {
		newest = max(newest, w)
	}
	fix := fmt.Sprintf("update %s", orDefault(p.Client, "the client"))
	if newest > ours[0] {
		fix = "update hubssh (docs/install.md)"
	}
	e := &jsonrpc2.Error{Code: CodeProtocol, Message: fmt.Sprintf("hubssh %s speaks protocol %v, %s speaks %v: %s",
		version.Version, ours, orDefault(p.Client, "this client"), p.Protocols, fix)}
	e.SetError(ErrorData{Kind: KindProtocol})
	return VersionResult{}, e
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *session) hubsAdd(ctx context.Context, _ *jsonrpc2.Conn, p HubsAddParams) (Hub, error) {
	h, err := s.svc.Login(ctx, p.URL, p.Token)
	if err != nil {
		return Hub{}, err
	}
	return HubOf(*h), nil
}

func (s *session) hubsList(context.Context, *jsonrpc2.Conn, Empty) (HubsListResult, error) {
	hubs, err := s.svc.Hubs()
	return HubsOf(hubs), err
}

func (s *session) hubsRemove(ctx context.Context, _ *jsonrpc2.Conn, p HubRef) (Empty, error) {
	return Empty{}, s.svc.Logout(ctx, p.Hub)
}

func (s *session) serversList(ctx context.Context, _ *jsonrpc2.Conn, p ServerRef) (ServersListResult, error) {
	list, err := s.svc.Servers(ctx, p.Hub, p.User)
	return ServersOf(list), err
}

func (s *session) serversStart(ctx context.Context, conn *jsonrpc2.Conn, p StartParams) (Empty, error) {
	return Empty{}, s.svc.Start(ctx, p.Hub, p.User, p.Server, p.Options, s.progress(ctx, conn, p.ProgressToken))
}

func (s *session) serversStop(ctx context.Context, _ *jsonrpc2.Conn, p StopParams) (Empty, error) {
	return Empty{}, s.svc.Stop(ctx, p.Hub, p.User, p.Server, p.Remove)
}

func (s *session) connectPrepare(ctx context.Context, conn *jsonrpc2.Conn, p PrepareParams) (PrepareResult, error) {
	if p.SSHOptions != nil {
		if err := s.svc.SetSSHOptions(sortedOptions(*p.SSHOptions)); err != nil {
			return PrepareResult{}, err
		}
	}
	res, err := s.svc.Prepare(ctx, p.Hub, p.User, p.Server, s.progress(ctx, conn, p.ProgressToken))
	if err != nil {
		return PrepareResult{}, err
	}
	return PreparedOf(*res, s.svc.SSH.User), nil
}

func (s *session) diagnose(ctx context.Context, _ *jsonrpc2.Conn, p HubRef) (DiagnoseResult, error) {
	checks, err := s.svc.Diagnose(ctx, p.Hub)
	return ChecksOf(checks), err
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

// codes maps core's failure classes to the protocol's codes and kinds.
var codes = map[core.Code]struct {
	code int64
	kind ErrorKind
}{
	core.CodeUsage:    {CodeUsage, KindUsage},
	core.CodeAuth:     {CodeAuth, KindAuth},
	core.CodeServer:   {CodeServer, KindServer},
	core.CodeNetwork:  {CodeNetwork, KindNetwork},
	core.CodeNotHub:   {CodeNotHub, KindNotHub},
	core.CodeConfig:   {CodeConfig, KindConfig},
	core.CodeInternal: {CodeInternal, KindInternal},
}
