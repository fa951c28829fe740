package rpc

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/store"
)

// TestTypeScriptMirror keeps extension/src/protocol.ts in step with this
// package: every method name, error code and JSON field of the wire types
// must appear there under the same name.
func TestTypeScriptMirror(t *testing.T) {
	b, err := os.ReadFile("../../../extension/src/protocol.ts")
	if err != nil {
		t.Fatal(err)
	}
	ts := string(b)
	consts := map[string]string{
		"Version": MethodVersion, "HubsAdd": MethodHubsAdd, "HubsList": MethodHubsList,
		"HubsRemove": MethodHubsRemove, "ServersList": MethodServersList, "ServersStart": MethodServersStart,
		"ServersStop": MethodServersStop, "ConnectPrepare": MethodConnectPrepare, "Diagnose": MethodDiagnose,
		"Cancel": MethodCancel, "Progress": MethodProgress,
	}
	for name, method := range consts {
		if !strings.Contains(ts, "  "+name+": '"+method+"',") {
			t.Errorf("protocol.ts: Method.%s should be %q", name, method)
		}
	}
	codes := map[string]int64{
		"Usage": CodeUsage, "Auth": CodeAuth, "Server": CodeServer, "Network": CodeNetwork,
		"NotHub": CodeNotHub, "Config": CodeConfig, "Cancelled": CodeCancelled,
	}
	for name, code := range codes {
		if !regexp.MustCompile(`\n  ` + name + `: ` + regexp.QuoteMeta(itoa(code)) + `,`).MatchString(ts) {
			t.Errorf("protocol.ts: ErrorCode.%s should be %d", name, code)
		}
	}
	if !strings.Contains(ts, "export const ProtocolVersion = "+itoa(ProtocolVersion)+";") {
		t.Errorf("protocol.ts: ProtocolVersion should be %d", ProtocolVersion)
	}
	for _, kind := range []core.Code{core.CodeUsage, core.CodeAuth, core.CodeServer, core.CodeNetwork, core.CodeNotHub, core.CodeConfig, core.CodeInternal} {
		if !strings.Contains(ts, "'"+string(kind)+"'") {
			t.Errorf("protocol.ts: ErrorKind lacks %q", kind)
		}
	}
	types := map[string]any{
		"VersionResult": VersionResult{}, "HubsAddParams": HubsAddParams{}, "Hub": store.Hub{},
		"Server": store.Server{}, "HubRef": HubRef{}, "ServerRef": ServerRef{}, "StartParams": StartParams{},
		"StopParams": StopParams{}, "PrepareParams": PrepareParams{}, "PrepareResult": PrepareResult{},
		"ServerInfo": core.ServerInfo{}, "ProgressParams": ProgressParams{}, "ProgressValue": ProgressValue{},
		"CancelParams": CancelParams{}, "Check": core.Check{},
	}
	for name, v := range types {
		fields, ok := tsFields(ts, name)
		if !ok {
			t.Errorf("protocol.ts has no interface %s", name)
			continue
		}
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			if !fields[f] {
				t.Errorf("protocol.ts: interface %s lacks field %q", name, f)
			}
		}
	}
}

func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// tsFields lists the fields of an interface, with those of the interfaces
// it extends.
func tsFields(ts, name string) (map[string]bool, bool) {
	m := regexp.MustCompile(`export interface ` + name + `(?: extends (\w+))? \{([^}]*)\}`).FindStringSubmatch(ts)
	if m == nil {
		return nil, false
	}
	fields := map[string]bool{}
	for _, f := range regexp.MustCompile(`(?m)^\s+(\w+)\??:`).FindAllStringSubmatch(m[2], -1) {
		fields[f[1]] = true
	}
	if m[1] != "" {
		parent, ok := tsFields(ts, m[1])
		if !ok {
			return nil, false
		}
		for f := range parent {
			fields[f] = true
		}
	}
	return fields, true
}

// jsonFields lists the JSON names of a struct's fields, embedded ones included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
