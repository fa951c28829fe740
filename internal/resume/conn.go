package resume

import (
	"bufio"
	"io"
	"net"
	"time"
)

// Conn is a resumable stream as a net.Conn: what SSH runs on. Its
// addresses are those of the first transport.
type Conn struct {
	*session
	local, remote net.Addr
}

func (c *Conn) LocalAddr() net.Addr  { return c.local }
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline bounds reads; writes only wait for room in the replay
// buffer, which the peer's acknowledgements make, so they take no deadline.
func (c *Conn) SetDeadline(t time.Time) error      { return c.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }

// Resumable marks a stream that survives its transport: hubsshd leaves
// liveness to it and sends no SSH keepalives of its own, which would end
// a session whose laptop sleeps (docs/resume.md, "Keepalives").
func (c *Conn) Resumable() bool { return true }

// Attached reports whether a transport carries the stream now.
func (c *Conn) Attached() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t != nil
}

// Buffered is the bytes held for the peer (sent, unacknowledged): what a
// detached session costs beyond SSH's own state.
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.n + c.inLen
}

// peeked is a transport whose first bytes went through a bufio.Reader
// during the handshake: reads drain it first.
type peeked struct {
	net.Conn
	r io.Reader
}

func (p *peeked) Read(b []byte) (int, error) { return p.r.Read(b) }

func withReader(c net.Conn, br *bufio.Reader) net.Conn {
	if br.Buffered() == 0 {
		return c
	}
	return &peeked{Conn: c, r: io.MultiReader(io.LimitReader(br, int64(br.Buffered())), c)}
}
