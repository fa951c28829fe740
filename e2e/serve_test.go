//go:build e2e

package e2e

import (
	"context"
	"io"
	"os/exec"
	"testing"

	"github.com/sourcegraph/jsonrpc2"
)

type stdioConn struct {
	io.Reader
	io.WriteCloser
}

// serveConn starts "hubssh serve" in h and returns a client connection.
func serveConn(ctx context.Context, t *testing.T, h *userHome) *jsonrpc2.Conn {
	t.Helper()
	cmd := exec.CommandContext(ctx, suite.hubssh, "serve")
	cmd.Env = h.env()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(stdioConn{out, in}, jsonrpc2.VSCodeObjectCodec{}), jsonrpc2.HandlerWithError(
		func(context.Context, *jsonrpc2.Conn, *jsonrpc2.Request) (any, error) { return nil, nil }))
	t.Cleanup(func() {
		conn.Close()
		cmd.Wait()
	})
	return conn
}
