package resume

import (
	"bufio"
	"crypto/ecdh"
	"crypto/hmac"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// ServerOptions configure hubsshd's side.
type ServerOptions struct {
	Options
	// Window is how long a detached session is kept for its client to come
	// back (default 15 min: a laptop's lid closed over lunch).
	Window time.Duration
	// PlainAfter is how long to wait for a client's first byte before
	// treating it as a plain client that waits for the server to speak.
	PlainAfter time.Duration
	// HandshakeTimeout bounds the resume handshake.
	HandshakeTimeout time.Duration
	Log              *slog.Logger
}

// DefaultWindow is the detach window unless the admin sets another.
const DefaultWindow = 15 * time.Minute

// Listener wraps hubsshd's listener: Accept returns plain connections as
// they are and each new resumable session once, as a *Conn; reattaching
// transports are joined to their session and never returned.
type Listener struct {
	ln       net.Listener
	opts     ServerOptions
	instance string

	mu       sync.Mutex
	sessions map[string]*serverSession
	closed   bool

	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

type serverSession struct {
	conn   *Conn
	id     string
	secret []byte
	expiry *time.Timer
}

// Listen serves the resume handshake on ln's connections.
func Listen(ln net.Listener, opts ServerOptions) *Listener {
	if opts.Window == 0 {
		opts.Window = DefaultWindow
	}
	if opts.PlainAfter == 0 {
		opts.PlainAfter = 2 * time.Second
	}
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{
		ln: ln, opts: opts, instance: randomID(), sessions: map[string]*serverSession{},
		conns: make(chan net.Conn), done: make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Instance identifies this hubsshd process in every advertisement.
func (l *Listener) Instance() string { return l.instance }

func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Accept returns the next plain connection or new session.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting. The sessions already accepted end as their
// owner closes them (hubsshd tells each why first), so their last bytes
// still reach an attached client.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
	})
	l.wg.Wait()
	return err
}

func (l *Listener) closedNow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Sessions counts the sessions held, and how many of them are detached.
func (l *Listener) Sessions() (total, detached int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sessions {
		total++
		if !s.conn.Attached() {
			detached++
		}
	}
	return total, detached
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	backoff := time.Duration(0)
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				l.once.Do(func() { close(l.done) })
				return
			}
			if l.closedNow() {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.opts.Log.Warn("accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.handshake(raw)
		}()
	}
}

func (l *Listener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// handshake advertises, then tells a resuming client from a plain one.
func (l *Listener) handshake(raw net.Conn) {
	deadline := time.Now().Add(l.opts.HandshakeTimeout)
	raw.SetDeadline(deadline)
	priv, err := newKey()
	if err != nil {
		raw.Close()
		return
	}
	adv := Advert{Instance: l.instance, Key: priv.PublicKey().Bytes(), Window: l.opts.Window}
	if _, err := io.WriteString(raw, adv.line()); err != nil {
		raw.Close() // jupyter-server-proxy's readiness probe goes at once
		return
	}
	br := bufio.NewReaderSize(raw, 4096)
	raw.SetReadDeadline(time.Now().Add(l.opts.PlainAfter))
	first, err := br.Peek(1)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		// A client that waits for the server's identification: plain.
		raw.SetDeadline(time.Time{})
		l.deliver(withReader(raw, br))
		return
	case err != nil:
		raw.Close()
		return
	case first[0] != 0:
		raw.SetDeadline(time.Time{})
		l.deliver(withReader(raw, br))
		return
	}
	raw.SetReadDeadline(deadline)
	line, err := readLine(br)
	if err != nil {
		raw.Close()
		return
	}
	h, err := parseHello(line)
	if err != nil {
		l.opts.Log.Info("resume handshake refused", "err", err)
		raw.Close()
		return
	}
	if h.New {
		l.newSession(raw, br, priv, adv, h)
		return
	}
	l.resumeSession(raw, br, adv, h)
}

func (l *Listener) newSession(raw net.Conn, br *bufio.Reader, priv *ecdh.PrivateKey, adv Advert, h hello) {
	id, secret, err := derive(priv, h.Key, adv.Key, h.Key, l.instance)
	if err != nil {
		l.opts.Log.Info("resume handshake refused", "err", err)
		raw.Close()
		return
	}
	if _, err := io.WriteString(raw, reply{ID: id}.line()); err != nil {
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	ss := &serverSession{id: id, secret: secret}
	ss.conn = &Conn{session: newSession(l.opts.Options), local: raw.LocalAddr(), remote: raw.RemoteAddr()}
	ss.conn.onDetach = func(err error) { l.detached(ss, err) }
	ss.conn.onDone = func() { l.forget(ss) }
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		raw.Close()
		return
	}
	l.sessions[id] = ss
	l.mu.Unlock()
	ss.conn.attach(withReader(raw, br), 0)
	l.opts.Log.Info("resumable session", "id", id[:8])
	l.deliver(ss.conn)
}

// resumeSession joins a transport to its session: a valid proof pre-empts
// the attachment the server still holds (a sleeping laptop's websocket
// looks alive from here).
func (l *Listener) resumeSession(raw net.Conn, br *bufio.Reader, adv Advert, h hello) {
	refuse := func(err error, why string) {
		l.opts.Log.Info("resume refused", "id", short(h.ID), "why", why)
		io.WriteString(raw, reply{Err: err}.line())
		raw.Close()
	}
	l.mu.Lock()
	ss := l.sessions[h.ID]
	l.mu.Unlock()
	if ss == nil {
		refuse(ErrUnknownSession, "no such session (ended, or detached past the window)")
		return
	}
	if !hmac.Equal(h.Proof, clientProof(ss.secret, h.ID, adv.Key, h.Nonce, h.Received)) {
		refuse(ErrBadProof, "bad proof")
		return
	}
	c := ss.conn
	c.detach()
	c.mu.Lock()
	inRange := h.Received >= c.outStart && h.Received <= c.outEnd()
	received := c.received
	c.mu.Unlock()
	if !inRange {
		refuse(ErrOutOfRange, "position outside the buffer")
		c.fail(ErrOutOfRange)
		return
	}
	r := reply{Received: received, Proof: serverProof(ss.secret, h.ID, adv.Key, h.Nonce, received)}
	if _, err := io.WriteString(raw, r.line()); err != nil {
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	l.mu.Lock()
	if ss.expiry != nil {
		ss.expiry.Stop()
		ss.expiry = nil
	}
	l.mu.Unlock()
	if err := c.attach(withReader(raw, br), h.Received); err != nil {
		l.opts.Log.Info("resume failed", "id", short(h.ID), "err", err)
		return
	}
	l.opts.Log.Info("session resumed", "id", short(h.ID), "from", h.Received)
}

// detached starts the window: a session not back by then ends.
func (l *Listener) detached(ss *serverSession, cause error) {
	l.opts.Log.Info("session detached", "id", short(ss.id), "cause", cause, "window", l.opts.Window)
	l.mu.Lock()
	defer l.mu.Unlock()
	if ss.expiry != nil {
		ss.expiry.Stop()
	}
	ss.expiry = time.AfterFunc(l.opts.Window, func() {
		if ss.conn.Attached() {
			return
		}
		l.opts.Log.Info("detach window passed; ending the session", "id", short(ss.id), "window", l.opts.Window)
		ss.conn.fail(ErrExpired)
	})
}

func (l *Listener) forget(ss *serverSession) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ss.expiry != nil {
		ss.expiry.Stop()
	}
	if l.sessions[ss.id] == ss {
		delete(l.sessions, ss.id)
	}
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
