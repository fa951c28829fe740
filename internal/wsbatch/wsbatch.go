// Package wsbatch makes a websocket client send each message with one
// system call. coder/websocket masks client frames through a 4 KiB
// bufio.Writer, so a 64 KiB message leaves as sixteen write(2) calls and
// as many TCP segments, each one a wakeup for every proxy on the way
// (configurable-http-proxy, jupyter-server-proxy). Conn collects the
// library's writes; the caller wraps each message it sends in Message,
// which sends it whole when the write returns; a Read flushes first (a
// request waits for its answer), and a short timer sends whatever no
// Message covered once writes pause (pings, pongs, the close frame).
package wsbatch

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Conn buffers writes to a net.Conn until Flush, a Read, a full buffer or
// the timer.
type Conn struct {
	net.Conn
	delay time.Duration

	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
	armed bool
	// writing counts Message calls under way; the timer leaves their
	// writes alone, so a message is never cut by a writer descheduled for
	// longer than the delay (it happened on a loaded CI machine).
	writing int
	err     error // the first write error, returned from then on
}

// New wraps c with a buffer of size bytes; unflushed data leaves after delay.
func New(c net.Conn, size int, delay time.Duration) *Conn {
	b := &Conn{Conn: c, delay: delay, buf: make([]byte, 0, size)}
	b.timer = time.AfterFunc(time.Hour, b.timerFlush)
	b.timer.Stop()
	return b
}

func (c *Conn) timerFlush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writing > 0 {
		// The Message under way flushes when it ends, this write with it.
		c.armed = false
		return
	}
	c.flushLocked()
}

// Message runs write, which writes one message, and sends everything
// buffered when it returns: the message leaves in one write however the
// library chunks it.
func (c *Conn) Message(write func() error) error {
	c.mu.Lock()
	c.writing++
	c.mu.Unlock()
	err := write()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing--
	if ferr := c.flushLocked(); err == nil {
		err = ferr
	}
	return err
}

func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.buf)+len(p) > cap(c.buf) {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(c.buf) {
			n, err := c.Conn.Write(p)
			if err != nil {
				c.err = err
			}
			return n, err
		}
	}
	c.buf = append(c.buf, p...)
	// The timer counts from the last write; inside a Message it is not
	// needed at all.
	if c.writing == 0 {
		c.armed = true
		c.timer.Reset(c.delay)
	}
	return len(p), nil
}

// Flush sends what is buffered.
func (c *Conn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *Conn) flushLocked() error {
	if c.armed {
		c.timer.Stop()
		c.armed = false
	}
	if c.err != nil || len(c.buf) == 0 {
		return c.err
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	if err != nil {
		c.err = err
	}
	return err
}

// Read flushes first: whoever reads may be waiting for the answer to what
// they just wrote (the TLS and HTTP handshakes do).
func (c *Conn) Read(p []byte) (int, error) {
	c.Flush()
	return c.Conn.Read(p)
}

// Close sends what is buffered, then closes.
func (c *Conn) Close() error {
	c.Flush()
	c.mu.Lock()
	c.timer.Stop()
	c.armed = false
	c.mu.Unlock()
	return c.Conn.Close()
}

// Buffer sizes: large enough for the biggest message a caller sends (the
// tunnel's reads are at most 256 KiB) plus frame headers.
const (
	BufferSize = 512 << 10
	Delay      = time.Millisecond
)

// Dial is websocket.Dial over a Conn. message is Conn.Message: wrap each
// message written in it. When opts.HTTPClient has a transport other than
// *http.Transport, nothing is batched and message just calls write.
func Dial(ctx context.Context, url string, opts *websocket.DialOptions) (c *websocket.Conn, resp *http.Response, message func(write func() error) error, err error) {
	o := *opts
	hc := &http.Client{}
	if o.HTTPClient != nil {
		*hc = *o.HTTPClient
	}
	base, ok := hc.Transport.(*http.Transport)
	if hc.Transport == nil {
		base, ok = http.DefaultTransport.(*http.Transport)
	}
	var bc *Conn
	if ok {
		t := base.Clone()
		dial := t.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			bc = New(nc, BufferSize, Delay)
			return bc, nil
		}
		hc.Transport = t
	}
	o.HTTPClient = hc
	c, resp, err = websocket.Dial(ctx, url, &o)
	if err != nil {
		return nil, resp, nil, err
	}
	message = func(write func() error) error { return write() }
	if bc != nil {
		message = bc.Message
	}
	return c, resp, message, nil
}
