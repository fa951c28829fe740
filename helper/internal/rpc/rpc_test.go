package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/fakehub"
)

// fakeHub: alice's token works; her server starts and its progress stream
// sends one event, then hangs (to test cancellation) unless finish is set.
func fakeHub(t *testing.T, finish bool) *fakehub.Hub {
	return fakehub.New(t).
		Whoami("alice-token", "alice", "access:servers!user=alice", "servers!user=alice", "tokens!user=alice").
		Handle("GET /hub/api/users/alice", fakehub.Reply(200, `{"name":"alice","servers":{}}`)).
		Handle("POST /hub/api/users/alice/servers/gpu", fakehub.Reply(202, "")).
		Handle("GET /hub/api/users/alice/servers/gpu/progress", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"progress\": 10, \"message\": \"Pulling image\"}\n\n")
			w.(http.Flusher).Flush()
			if finish {
				fmt.Fprint(w, "data: {\"progress\": 100, \"ready\": true, \"message\": \"ready\"}\n\n")
				return
			}
			<-r.Context().Done()
		})
}

type client struct {
	conn     *jsonrpc2.Conn
	mu       sync.Mutex
	prog     []ProgressParams
	onNotify func(*jsonrpc2.Request)
}

func (c *client) Handle(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Method == MethodProgress && req.Params != nil {
		var p ProgressParams
		json.Unmarshal(*req.Params, &p)
		c.mu.Lock()
		c.prog = append(c.prog, p)
		c.mu.Unlock()
	}
	if c.onNotify != nil {
		c.onNotify(req)
	}
}

func start(t *testing.T) *client { return startWith(t, nil, nil) }

// startWith serves a Service on a temp dir, changed by configure, to a
// client that hands every notification to onNotify.
func startWith(t *testing.T, configure func(*core.Service), onNotify func(*jsonrpc2.Request)) *client {
	t.Helper()
	dir := t.TempDir()
	svc := &core.Service{
		Store:   &store.Store{Dir: dir},
		Secrets: &store.Secrets{Dir: dir, Keyring: store.NoKeyring{}},
		SSH:     sshconfig.Files{User: dir + "/ssh_config", Legacy: dir + "/managed"},
		Hubssh:  "/usr/bin/hubssh",
	}
	if configure != nil {
		configure(svc)
	}
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Serve(ctx, svc, b); close(done) }()
	c := &client{onNotify: onNotify}
	c.conn = jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(a, jsonrpc2.VSCodeObjectCodec{}), c)
	t.Cleanup(func() { c.conn.Close(); cancel(); <-done })
	return c
}

func call(t *testing.T, c *client, method string, params, result any) *jsonrpc2.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.conn.Call(ctx, method, params, result)
	var re *jsonrpc2.Error
	if errors.As(err, &re) {
		return re
	}
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return nil
}

func kind(e *jsonrpc2.Error) string {
	var d ErrorData
	if e != nil && e.Data != nil {
		json.Unmarshal(*e.Data, &d)
	}
	return string(d.Kind)
}

func TestMethods(t *testing.T) {
	hub := fakeHub(t, true)
	c := start(t)
	var v VersionResult
	if e := call(t, c, MethodVersion, nil, &v); e != nil || v.Protocol != ProtocolVersion {
		t.Fatalf("version: %+v %v", v, e)
	}
	tests := []struct {
		name     string
		method   string
		params   any
		wantCode int64
		wantKind string
	}{
		{"unknown method", "frobnicate", nil, jsonrpc2.CodeMethodNotFound, ""},
		{"unknown param", MethodHubsAdd, map[string]any{"url": hub.URL, "tokn": "x"}, jsonrpc2.CodeInvalidParams, ""},
		{"bad token", MethodHubsAdd, HubsAddParams{URL: hub.URL, Token: "wrong"}, CodeAuth, "auth"},
		{"bad URL", MethodHubsAdd, HubsAddParams{URL: "ftp://x", Token: "t"}, CodeUsage, "usage"},
		{"no hub yet", MethodServersList, ServerRef{}, CodeUsage, "usage"},
		{"managed ssh option", MethodConnectPrepare, map[string]any{"sshOptions": map[string]string{"ProxyCommand": "nc %h %p"}}, CodeUsage, "usage"},
	}
	for _, tt := range tests {
		e := call(t, c, tt.method, tt.params, nil)
		if e == nil || e.Code != tt.wantCode || kind(e) != tt.wantKind || e.Message == "" {
			t.Errorf("%s: error %+v kind %q; want code %d kind %q", tt.name, e, kind(e), tt.wantCode, tt.wantKind)
		}
	}
	var h Hub
	if e := call(t, c, MethodHubsAdd, HubsAddParams{URL: hub.URL, Token: "alice-token"}, &h); e != nil || h.User != "alice" || h.TokenStore != StoreFile || h.Added == "" {
		t.Fatalf("hubs/add: %+v %v", h, e)
	}
	var list HubsListResult
	if e := call(t, c, MethodHubsList, nil, &list); e != nil || len(list.Hubs) != 1 || list.Hubs[0].Servers == nil {
		t.Fatalf("hubs/list: %+v %v", list, e)
	}
	if e := call(t, c, MethodServersStart, StartParams{ServerRef: ServerRef{Server: "gpu", ProgressToken: "p1"}}, nil); e != nil {
		t.Fatalf("servers/start: %v", e)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.prog) < 2 || c.prog[0].Token != "p1" || c.prog[0].Value.Message != "Pulling image" || !c.prog[len(c.prog)-1].Value.Ready {
		t.Errorf("progress notifications %+v", c.prog)
	}
}

func TestCancel(t *testing.T) {
	hub := fakeHub(t, false) // the spawn never finishes
	c := start(t)
	if e := call(t, c, MethodHubsAdd, HubsAddParams{URL: hub.URL, Token: "alice-token"}, nil); e != nil {
		t.Fatal(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := c.conn.DispatchCall(ctx, MethodServersStart, StartParams{ServerRef: ServerRef{Server: "gpu", ProgressToken: 7}}, jsonrpc2.PickID(jsonrpc2.ID{Num: 42}))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.prog)
		c.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no progress before cancelling")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.conn.Notify(ctx, MethodCancel, CancelParams{ID: 42})
	err = w.Wait(ctx, nil)
	var re *jsonrpc2.Error
	if !errors.As(err, &re) || re.Code != CodeCancelled {
		t.Fatalf("after cancel: %v, want code %d", err, CodeCancelled)
	}
}

func TestVersionNegotiation(t *testing.T) {
	c := start(t)
	tests := []struct {
		name     string
		params   any
		want     int    // the protocol chosen; 0: refused
		wantText string // in the refusal
	}{
		{"no list: the newest", nil, ProtocolVersion, ""},
		{"empty params", map[string]any{}, ProtocolVersion, ""},
		{"ours among others", VersionParams{Protocols: []int{ProtocolVersion + 1, ProtocolVersion, 1}}, ProtocolVersion, ""},
		{"only older", VersionParams{Protocols: []int{1}, Client: "hubssh-vscode 0.1.0"}, 0, "update hubssh-vscode 0.1.0"},
		{"only newer", VersionParams{Protocols: []int{ProtocolVersion + 1}}, 0, "update hubssh"},
		{"unknown field", map[string]any{"protocol": 2}, -1, ""},
	}
	for _, tt := range tests {
		var v VersionResult
		e := call(t, c, MethodVersion, tt.params, &v)
		switch {
		case tt.want == -1:
			if e == nil || e.Code != jsonrpc2.CodeInvalidParams {
				t.Errorf("%s: %+v, want invalid params", tt.name, e)
			}
		case tt.want == 0:
			if e == nil || e.Code != CodeProtocol || kind(e) != string(KindProtocol) || !strings.Contains(e.Message, tt.wantText) {
				t.Errorf("%s: %+v (kind %q), want code %d saying %q", tt.name, e, kind(e), CodeProtocol, tt.wantText)
			}
		default:
			if e != nil || v.Protocol != tt.want || len(v.Protocols) == 0 || v.Version == "" {
				t.Errorf("%s: %+v %v, want protocol %d", tt.name, v, e, tt.want)
			}
		}
	}
}

// TestWireGolden pins the JSON of the wire types: one casing, [] not null,
// times in RFC 3339 UTC, nothing of what hubssh stores beyond them.
func TestWireGolden(t *testing.T) {
	added := time.Date(2026, 11, 25, 7, 22, 18, 0, time.FixedZone("CET", 3600))
	h := store.Hub{URL: "https://hub.example.org/", User: "alice", TokenStore: "keyring", Added: added,
		Servers: []store.Server{{User: "alice", Alias: "hub.example.org-alice", Login: "jovyan"}}}
	last := added.Add(time.Hour)
	got, err := json.MarshalIndent(map[string]any{
		"hub":      HubOf(h),
		"noHubs":   HubsOf(nil),
		"servers":  ServersOf([]core.ServerInfo{{Name: "", State: "running", LastActivity: &last}, {Name: "gpu", State: "stopped"}}),
		"noChecks": ChecksOf(nil),
		"prepared": PreparedOf(core.Prepared{Hub: h.URL, User: "alice", Alias: "hub.example.org-alice", Folder: "/home/jovyan"}, "/home/me/.ssh/config"),
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := "../../../testdata/rpc/wire.json"
	if *update {
		os.MkdirAll("../../../testdata/rpc", 0o755)
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("wire JSON changed (go test -run TestWireGolden -update if meant):\n%s", got)
	}
}

// TestConnectionNotifications: a proxy that is resuming leaves its state
// in the status directory; the editor hears of it, of each change, and of
// the proxy's end.
func TestConnectionNotifications(t *testing.T) {
	dir := t.TempDir()
	got := make(chan ConnectionParams, 8)
	c := startWith(t, func(svc *core.Service) { svc.StatusDir = dir }, func(req *jsonrpc2.Request) {
		if req.Method == MethodConnection && req.Params != nil {
			var p ConnectionParams
			json.Unmarshal(*req.Params, &p)
			got <- p
		}
	})
	_ = c // the notifications arrive through onNotify
	write := func(st core.ConnectionStatus) string {
		b, _ := json.Marshal(st)
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.json", st.Alias, st.PID))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	next := func(want ConnectionState) ConnectionParams {
		t.Helper()
		select {
		case p := <-got:
			if p.State != want {
				t.Fatalf("notification %+v, want state %q", p, want)
			}
			return p
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q notification within 5 s", want)
		}
		return ConnectionParams{}
	}
	st := core.ConnectionStatus{Alias: "hub-alice", Label: "alice's default server", State: "resuming", Retry: 2, Since: 3, Message: "resuming", Time: time.Now(), PID: 4242}
	path := write(st)
	if p := next(ConnResuming); p.Alias != "hub-alice" || p.Retry != 2 || p.PID != 4242 {
		t.Errorf("resuming: %+v", p)
	}
	st.State, st.Time = "resumed", time.Now().Add(time.Second)
	write(st)
	next(ConnResumed)
	os.Remove(path)
	next(ConnGone)
	// A file a crashed proxy left long ago is not news.
	write(core.ConnectionStatus{Alias: "old", State: "resuming", Time: time.Now().Add(-time.Hour), PID: 1})
	select {
	case p := <-got:
		t.Errorf("a stale status was sent: %+v", p)
	case <-time.After(2500 * time.Millisecond):
	}
}
