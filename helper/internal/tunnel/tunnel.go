// Package tunnel carries an SSH byte stream over a websocket to hubsshd
// behind jupyter-server-proxy: one binary message per write, both ways.
package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/hubssh/hubssh/internal/wsbatch"
)

// HandshakeError is a websocket upgrade the server did not accept. Status 0
// means no HTTP reply came at all (DNS, TCP, TLS failure).
type HandshakeError struct {
	Status   int
	Location string // where a redirect pointed, for diagnosis
	Err      error
}

func (e *HandshakeError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("websocket handshake: %v", e.Err)
	}
	return fmt.Sprintf("websocket handshake: HTTP %d instead of 101", e.Status)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Dial opens the websocket at wsURL, presenting token the way JupyterHub's
// single-user server expects it. Redirects are not followed: a stopped
// server, a missing proxy entry or a login page all answer with one, and the
// caller explains each better than a followed chain would.
func Dial(ctx context.Context, wsURL, token string, base *http.Client) (*Conn, error) {
	hc := &http.Client{}
	if base != nil {
		*hc = *base
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "token "+token)
	}
	c, resp, message, err := wsbatch.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPClient: hc,
		HTTPHeader: h,
		// SSH bytes are encrypted: compression would only cost CPU.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		he := &HandshakeError{Err: err}
		if resp != nil {
			he.Status = resp.StatusCode
			he.Location = resp.Header.Get("Location")
			if resp.Body != nil {
				resp.Body.Close()
			}
		}
		return nil, he
	}
	return &Conn{Conn: c, message: message}, nil
}

// Conn is an open tunnel websocket whose messages each leave in one write
// (internal/wsbatch).
type Conn struct {
	*websocket.Conn
	message func(write func() error) error
}

// Options tune Pipe. Zero values mean the defaults.
type Options struct {
	// PingInterval is how often the websocket is pinged. Ingress and load
	// balancers drop websockets idle for 60 s (nginx) to 10 min (z2jh
	// traefik); a ping every 20 s keeps them open and detects a dead hub.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the tunnel is
	// declared dead.
	PingTimeout time.Duration
	// BufferSize is the largest websocket message sent. jupyter-server-proxy
	// (tornado) drops connections sending messages over 10 MiB.
	BufferSize int
}

func (o *Options) withDefaults() Options {
	out := *o
	if out.PingInterval == 0 {
		out.PingInterval = 20 * time.Second
	}
	if out.PingTimeout == 0 {
		out.PingTimeout = 15 * time.Second
	}
	if out.BufferSize == 0 {
		out.BufferSize = 256 << 10
	}
	return out
}

// ErrPingTimeout means the hub stopped answering websocket pings.
var ErrPingTimeout = errors.New("the hub stopped answering websocket pings")

// Stream is the websocket as a byte stream whose every Write is one binary
// message leaving in one write (internal/wsbatch). It lives while ctx does.
func (c *Conn) Stream(ctx context.Context) net.Conn {
	return &messageConn{Conn: websocket.NetConn(ctx, c.Conn, websocket.MessageBinary), message: c.message}
}

type messageConn struct {
	net.Conn
	message func(write func() error) error
}

func (m *messageConn) Write(p []byte) (n int, err error) {
	err = m.message(func() error {
		n, err = m.Conn.Write(p)
		return err
	})
	return n, err
}

// Pipe moves bytes between in/out and c until one side ends, then closes c.
// It returns nil when either side ended cleanly: in reached EOF (the ssh
// client is done) or the server closed the websocket normally.
func Pipe(ctx context.Context, c *Conn, in io.Reader, out io.Writer, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return PipeStream(ctx, c, c.Stream(ctx), in, out, opts)
}

// PipeStream is Pipe over a stream of c already in use (one whose first
// bytes were read to see what the server speaks).
func PipeStream(ctx context.Context, c *Conn, nc net.Conn, in io.Reader, out io.Writer, opts Options) error {
	o := opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	up := make(chan error, 1)   // in → websocket
	down := make(chan error, 1) // websocket → out
	ping := make(chan error, 1)
	go func() {
		err := sendAll(nc, in, make([]byte, o.BufferSize))
		if err != nil {
			err = fmt.Errorf("send to hub: %w", err)
		}
		up <- err
	}()
	go func() {
		// writerOnly hides out's ReadFrom: an *os.File's would copy
		// through its own 32 KiB buffer, so a download left in twice as
		// many writes to ssh's pipe as messages arrived (#15).
		_, err := io.CopyBuffer(writerOnly{out}, nc, make([]byte, o.BufferSize))
		if err != nil && !cleanClose(err) {
			err = fmt.Errorf("receive from hub: %w", err)
		} else {
			err = nil
		}
		down <- err
	}()
	go func() { ping <- pingLoop(ctx, c.Conn, o) }()

	var err error
	downDone := false
	select {
	case err = <-up:
	case err = <-down:
		downDone = true
	case err = <-ping:
	case <-ctx.Done():
	}
	if errors.Is(err, ErrPingTimeout) {
		c.CloseNow()
	} else {
		c.Close(websocket.StatusNormalClosure, "")
	}
	// Once closed, the receiving side ends promptly; wait for it so nothing
	// writes to out after Pipe returns. The sending side may sit in a Read
	// of in that nothing can interrupt; it ends with the process.
	if !downDone {
		<-down
	}
	return err
}

// Carry moves bytes between in/out and a resumable stream, which outlives
// the websockets under it. in's EOF ends the stream one way (the server
// then ends it the other); Carry returns once out has everything.
func Carry(ctx context.Context, stream net.Conn, in io.Reader, out io.Writer, bufSize int) error {
	if bufSize == 0 {
		bufSize = 256 << 10
	}
	down := make(chan error, 1)
	go func() {
		_, err := io.CopyBuffer(writerOnly{out}, stream, make([]byte, bufSize))
		down <- err
	}()
	up := make(chan error, 1)
	go func() {
		err := sendAll(stream, in, make([]byte, bufSize))
		if cw, ok := stream.(interface{ CloseWrite() error }); ok && err == nil {
			cw.CloseWrite()
		}
		up <- err
	}()
	var err error
	select {
	case err = <-down:
	case err = <-up:
		if err == nil {
			err = <-down
		}
	case <-ctx.Done():
	}
	stream.Close()
	return err
}

// writerOnly is an io.Writer and nothing else, so io.CopyBuffer uses the
// buffer it is given.
type writerOnly struct{ io.Writer }

// sendAll sends each read from in as one Write: over a Stream, one
// message in one write however the library chunks it.
func sendAll(nc io.Writer, in io.Reader, buf []byte) error {
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if _, werr := nc.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// cleanClose reports a close frame that ends the stream normally. NetConn
// turns only 1000 and 1001 into io.EOF; jupyter-server-proxy's raw mode
// sends a close frame without a status (1005) when hubsshd closes the
// socket after SSH's disconnect, which is just as normal: reporting it as
// "connection lost" printed false errors after 1-2 % of successful
// commands (#10).
func cleanClose(err error) bool {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return true
	}
	return false
}

func pingLoop(ctx context.Context, c *websocket.Conn, o Options) error {
	t := time.NewTicker(o.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, o.PingTimeout)
		err := c.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%w (no pong within %s)", ErrPingTimeout, o.PingTimeout)
		}
	}
}
