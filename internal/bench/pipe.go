package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/hubssh/hubssh/internal/wsbatch"
)

// Pipe measures the hub's own pipe (CHP → single-user server →
// jupyter-server-proxy raw mode → a unix socket) without SSH: the fastest
// any SSH-over-hub tool could go. The backend is "devhub pipe-backend".
type Pipe struct {
	URL   string // ws://HUB/user/NAME/pipe/
	Token string
}

func (p Pipe) dial(ctx context.Context) (net.Conn, error) {
	// The same batched writes as hubssh's tunnel (internal/wsbatch): the
	// ceiling is what the pipe carries for a client that writes well.
	c, _, message, err := wsbatch.Dial(ctx, p.URL, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"token " + p.Token}},
	})
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return messageConn{websocket.NetConn(ctx, c, websocket.MessageBinary), message}, nil
}

// messageConn sends each Write as one message in one write.
type messageConn struct {
	net.Conn
	message func(write func() error) error
}

func (c messageConn) Write(p []byte) (n int, err error) {
	err = c.message(func() error {
		n, err = c.Conn.Write(p)
		return err
	})
	return n, err
}

// Upload sends size bytes and waits for the backend's receipt.
func (p Pipe) Upload(ctx context.Context, size int64) (time.Duration, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	t0 := time.Now()
	fmt.Fprintf(c, "sink %d\n", size)
	if _, err := io.CopyBuffer(c, io.LimitReader(zeros{}, size), make([]byte, 256<<10)); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "done\n" {
		return 0, fmt.Errorf("pipe upload: %q %v", line, err)
	}
	return time.Since(t0), nil
}

// Download reads size bytes from the backend.
func (p Pipe) Download(ctx context.Context, size int64) (time.Duration, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	t0 := time.Now()
	fmt.Fprintf(c, "source %d\n", size)
	n, err := io.CopyBuffer(io.Discard, io.LimitReader(c, size), make([]byte, 256<<10))
	if err != nil || n != size {
		return 0, fmt.Errorf("pipe download: %d of %d bytes: %v", n, size, err)
	}
	return time.Since(t0), nil
}

// RoundTrips times n one-byte echoes.
func (p Pipe) RoundTrips(ctx context.Context, n int) ([]time.Duration, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	fmt.Fprint(c, "echo\n")
	buf := []byte{'x'}
	out := make([]time.Duration, 0, n)
	for i := 0; i <= n; i++ {
		t0 := time.Now()
		if _, err := c.Write(buf); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return nil, err
		}
		if i > 0 { // the first one includes the backend's start
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}
