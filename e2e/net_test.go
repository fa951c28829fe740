//go:build e2e

package e2e

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func freeLocalPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lockedBuf is a stderr buffer read while ssh writes to it.
type lockedBuf struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// background runs ssh with args until the test ends.
func (c *client) background(t *testing.T, args ...string) *lockedBuf {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ssh", append([]string{"-F", c.config}, args...)...)
	cmd.Env = append(os.Environ(), "HUBSSH_TOKEN="+c.token)
	stderr := &lockedBuf{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return stderr
}

func dialRetry(t *testing.T, addr string, stderr *lockedBuf) net.Conn {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted: %v; ssh said %q", addr, err, stderr.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// socks5 sends a no-auth SOCKS5 CONNECT to 127.0.0.1:port.
func socks5(t *testing.T, c net.Conn, port int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	c.Write([]byte{5, 1, 0})
	hello := make([]byte, 2)
	if _, err := io.ReadFull(c, hello); err != nil || hello[1] != 0 {
		t.Fatalf("SOCKS hello: %v %v", hello, err)
	}
	req := []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 0}
	binary.BigEndian.PutUint16(req[8:], uint16(port))
	c.Write(req)
	reply := make([]byte, 10)
	if _, err := io.ReadFull(c, reply); err != nil || reply[1] != 0 {
		t.Fatalf("SOCKS connect: %v %v", reply, err)
	}
}
