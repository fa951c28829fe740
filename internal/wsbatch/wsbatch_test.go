package wsbatch

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoServer answers every message with itself.
func echoServer(t *testing.T, tls bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
	})
	s := httptest.NewUnstartedServer(h)
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func countingClient(base *http.Client, writes *atomic.Int64) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if base != nil {
		t = base.Transport.(*http.Transport).Clone()
	}
	d := &net.Dialer{}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		return countingConn{c, writes}, err
	}
	return &http.Client{Transport: t}
}

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// TestOneWritePerMessage: without the wrapper a 256 KiB client message
// leaves in 4 KiB writes; with it, in one.
func TestOneWritePerMessage(t *testing.T) {
	s := echoServer(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := make([]byte, 256<<10)
	rand.Read(msg)

	var plain atomic.Int64
	c0, _, err := websocket.Dial(ctx, wsURL(s), &websocket.DialOptions{HTTPClient: countingClient(nil, &plain)})
	if err != nil {
		t.Fatal(err)
	}
	defer c0.CloseNow()
	before := plain.Load()
	if err := c0.Write(ctx, websocket.MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
	if n := plain.Load() - before; n < 32 {
		t.Fatalf("the library alone wrote a 256 KiB message in %d writes; this package exists because it takes 64", n)
	}

	var batched atomic.Int64
	c, _, message, err := Dial(ctx, wsURL(s), &websocket.DialOptions{HTTPClient: countingClient(nil, &batched)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	for i, size := range []int{1, 4095, 4096, 4097, 100 << 10, 256 << 10} {
		before := batched.Load()
		if err := message(func() error { return c.Write(ctx, websocket.MessageBinary, msg[:size]) }); err != nil {
			t.Fatal(err)
		}
		if n := batched.Load() - before; n != 1 {
			t.Errorf("message %d (%d bytes) left in %d writes, want 1", i, size, n)
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg[:size]) {
			t.Fatalf("message %d (%d bytes) came back different", i, size)
		}
	}
}

// TestUnflushedLeavesSoon: a ping the caller never flushes still goes out
// (the timer), and so does the close frame.
func TestUnflushedLeavesSoon(t *testing.T) {
	s := echoServer(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, _, err := Dial(ctx, wsURL(s), &websocket.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go c.Read(ctx) // pongs are read by a reader
	// Without the timer the ping would sit in the buffer for good; 2 s is
	// 2000 delays, room for a loaded machine without a timed assertion.
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	defer pcancel()
	if err := c.Ping(pctx); err != nil {
		t.Fatalf("ping without flush: %v", err)
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestTLS: the handshake's own writes wait for no timer (a read flushes),
// and messages arrive intact through TLS.
func TestTLS(t *testing.T) {
	s := echoServer(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var writes atomic.Int64
	c, _, message, err := Dial(ctx, "wss"+strings.TrimPrefix(s.URL, "https"), &websocket.DialOptions{HTTPClient: countingClient(s.Client(), &writes)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	msg := bytes.Repeat([]byte("hubssh"), 20000)
	before := writes.Load()
	if err := message(func() error { return c.Write(ctx, websocket.MessageBinary, msg) }); err != nil {
		t.Fatal(err)
	}
	if n := writes.Load() - before; n != 1 {
		t.Errorf("TLS message left in %d writes, want 1", n)
	}
	if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through TLS: %v", err)
	}
}

func TestWriteErrorSticks(t *testing.T) {
	a, b := net.Pipe()
	b.Close()
	c := New(a, 1024, time.Hour)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("a buffered write should not fail yet: %v", err)
	}
	if err := c.Flush(); err == nil {
		t.Fatal("flush to a closed peer succeeded")
	}
	if _, err := c.Write([]byte("y")); err == nil {
		t.Fatal("write after a failed flush succeeded")
	}
	c.Close()
}

// TestTimerLeavesMessageWhole: a writer descheduled mid-message for far
// longer than the delay still sends the message in one write (CI once
// saw a 100 KiB message cut in two by the timer).
func TestTimerLeavesMessageWhole(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	var writes atomic.Int64
	c := New(countingConn{a, &writes}, 1<<20, time.Microsecond)
	first := make(chan string, 1)
	go func() { // the peer: keeps reading, reports the first read
		buf := make([]byte, 64)
		for i := 0; ; i++ {
			n, err := b.Read(buf)
			if i == 0 {
				first <- string(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	err := c.Message(func() error {
		c.Write([]byte("first half, "))
		time.Sleep(20 * time.Millisecond) // 20000 delays
		_, err := c.Write([]byte("second half"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s := <-first; s != "first half, second half" {
		t.Errorf("first write carried %q, want the whole message", s)
	}
	if n := writes.Load(); n != 1 {
		t.Errorf("message left in %d writes, want 1", n)
	}
}
