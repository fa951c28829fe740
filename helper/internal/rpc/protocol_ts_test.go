package rpc

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/hubssh/hubssh/internal/tsgen"
)

var update = flag.Bool("update", false, "rewrite extension/src/protocol.ts")

const protocolTS = "../../../extension/src/protocol.ts"

// TestProtocolTS regenerates extension/src/protocol.ts from this package
// and fails if the file differs: the extension cannot drift from the
// helper. "go generate ./helper/internal/rpc" rewrites it.
func TestProtocolTS(t *testing.T) {
	got, err := generateTS()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(protocolTS, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(protocolTS)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("extension/src/protocol.ts is not what helper/internal/rpc/protocol.go generates: run \"go generate ./helper/internal/rpc\"\n%s", firstDiff(want, got))
	}
}

func generateTS() ([]byte, error) {
	src, err := os.ReadFile("protocol.go")
	if err != nil {
		return nil, err
	}
	spec := tsgen.Spec{
		Header: "The JSON-RPC protocol of `hubssh serve`, generated from\n" +
			"helper/internal/rpc/protocol.go by TestProtocolTS: do not edit; run\n" +
			"\"go generate ./helper/internal/rpc\". docs/rpc.md explains each method.",
		Source:  src,
		Consts:  []string{"ProtocolVersion"},
		Objects: []tsgen.Object{{Name: "Method", Prefix: "Method"}, {Name: "ErrorCode", Prefix: "Code"}},
	}
	for _, r := range routes() {
		spec.Requests = append(spec.Requests, tsgen.Request{Method: r.method, Params: r.params, Result: r.result})
	}
	var names []string
	notifs := notifications()
	for m := range notifs {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		spec.Notifications = append(spec.Notifications, tsgen.Request{Method: m, Params: notifs[m]})
	}
	spec.Types = append(spec.Types, reflectType[ErrorData]())
	return tsgen.Generate(spec)
}

// firstDiff shows the first line where two files differ.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return "line " + itoa(i+1) + ":\n  file:      " + string(x) + "\n  generated: " + string(y)
		}
	}
	return ""
}

func reflectType[T any]() reflect.Type { return reflect.TypeFor[T]() }

func itoa(n int) string { return strconv.Itoa(n) }
