package resume

import (
	"bufio"
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Dial opens a fresh transport to the server: for hubssh, a new
// hub-authenticated websocket with the user's own server token.
type Dial func(ctx context.Context) (net.Conn, error)

// Permanent marks a dial error no retry can mend (the token was revoked,
// the server was stopped): the client gives up at once with it.
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// Status is what the client tells the user while it resumes. A resume
// that works at the first attempt is one Resumed; one that does not is a
// Lost (Retry 0, once the first attempt failed), a Lost per failed retry,
// then a Resumed; one that cannot is neither, just the stream's error.
type Status struct {
	// Started: the transport just broke and the first attempt begins (no
	// line for the user yet: most resumes take one attempt).
	Started bool
	Lost    bool          // resuming, and not done yet
	Resumed bool          // a new transport carries the stream again
	Retry   int           // attempts that failed so far
	Since   time.Duration // detached for
	Cause   error         // why the transport broke (Retry 0, Resumed) or the last attempt failed
}

// ClientOptions configure hubssh's side.
type ClientOptions struct {
	Options
	// Status hears every change; nil hears nothing.
	Status func(Status)
	// Grace is how long past the server's window the client keeps trying
	// (its clock stops while the laptop sleeps; the server's does not).
	Grace time.Duration
	// MaxBackoff caps the wait between attempts.
	MaxBackoff time.Duration
}

// Connect opens the stream on dial's first transport. With a hubsshd that
// offers resume it returns a *Conn that reattaches by itself while ctx
// lasts; with an older one, the plain transport (what was read of it put
// back) and resumable false.
func Connect(ctx context.Context, dial Dial, opts ClientOptions) (net.Conn, bool, error) {
	if opts.Grace == 0 {
		opts.Grace = time.Minute
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	t, err := dial(ctx)
	if err != nil {
		return nil, false, err
	}
	t.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReaderSize(t, 4096)
	line, err := readLine(br)
	if err != nil {
		t.Close()
		return nil, false, fmt.Errorf("read the server's first line: %w", err)
	}
	adv, ok, err := parseAdvert(line)
	if err != nil {
		t.Close()
		return nil, false, err
	}
	if !ok {
		// An older hubsshd: its first line is SSH's identification.
		t.SetReadDeadline(time.Time{})
		return &peeked{Conn: t, r: io.MultiReader(strings.NewReader(line), io.LimitReader(br, int64(br.Buffered())), t)}, false, nil
	}
	priv, err := newKey()
	if err != nil {
		t.Close()
		return nil, false, err
	}
	pub := priv.PublicKey().Bytes()
	if _, err := io.WriteString(t, hello{New: true, Key: pub}.line()); err != nil {
		t.Close()
		return nil, false, fmt.Errorf("resume handshake: %w", err)
	}
	line, err = readLine(br)
	if err != nil {
		t.Close()
		return nil, false, fmt.Errorf("resume handshake: %w", err)
	}
	r, err := parseReply(line, false)
	if err == nil && r.Err != nil {
		err = r.Err
	}
	if err != nil {
		t.Close()
		return nil, false, err
	}
	id, secret, err := derive(priv, adv.Key, adv.Key, pub, adv.Instance)
	if err != nil || id != r.ID {
		t.Close()
		return nil, false, fmt.Errorf("resume handshake: the server derived another session ID")
	}
	t.SetReadDeadline(time.Time{})
	c := &client{ctx: ctx, dial: dial, opts: opts, id: id, secret: secret, instance: adv.Instance, window: adv.Window}
	c.conn = &Conn{session: newSession(opts.Options), local: t.LocalAddr(), remote: t.RemoteAddr()}
	c.conn.onDetach = func(err error) { go c.reconnect(err) }
	c.conn.attach(withReader(t, br), 0)
	return c.conn, true, nil
}

type client struct {
	ctx      context.Context
	dial     Dial
	opts     ClientOptions
	conn     *Conn
	id       string
	secret   []byte
	instance string
	window   time.Duration
}

func (c *client) status(s Status) {
	if c.opts.Status != nil {
		c.opts.Status(s)
	}
}

// reconnect dials until a transport carries the stream again, the server
// refuses, or the window (and grace) has passed.
func (c *client) reconnect(cause error) {
	if c.ctx.Err() != nil {
		// The proxy is ending (ssh is done with it): nothing to resume.
		c.conn.fail(c.ctx.Err())
		return
	}
	start := time.Now()
	c.status(Status{Started: true, Cause: cause})
	wait := 250 * time.Millisecond
	for retry := 0; ; retry++ {
		if time.Since(start) > c.window+c.opts.Grace {
			c.conn.fail(fmt.Errorf("%w (%s) and more: gave up", ErrExpired, c.window))
			return
		}
		err := c.attempt()
		if err == nil {
			c.status(Status{Resumed: true, Retry: retry, Since: time.Since(start), Cause: cause})
			return
		}
		var perm *Permanent
		if c.ctx.Err() != nil || errors.As(err, &perm) || errors.Is(err, ErrRestarted) || errors.Is(err, ErrUnknownSession) ||
			errors.Is(err, ErrBadProof) || errors.Is(err, ErrOutOfRange) {
			c.conn.fail(err)
			return
		}
		if retry == 0 {
			c.status(Status{Lost: true, Since: time.Since(start), Cause: cause})
		} else {
			c.status(Status{Lost: true, Retry: retry, Since: time.Since(start), Cause: err})
		}
		select {
		case <-c.ctx.Done():
			c.conn.fail(c.ctx.Err())
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, c.opts.MaxBackoff)
	}
}

// attempt is one reattach: a fresh transport, proof of the secret over
// the server's fresh key, and both positions.
func (c *client) attempt() error {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	t, err := c.dial(ctx)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	t.SetDeadline(time.Now().Add(15 * time.Second))
	br := bufio.NewReaderSize(t, 4096)
	line, err := readLine(br)
	if err != nil {
		return fmt.Errorf("read the server's first line: %w", err)
	}
	adv, isAdvert, err := parseAdvert(line)
	switch {
	case err != nil:
		return err
	case !isAdvert:
		return fmt.Errorf("%w (an hubsshd without resume answers now)", ErrRestarted)
	case adv.Instance != c.instance:
		return ErrRestarted
	}
	n := nonce()
	received := c.conn.receivedPos()
	h := hello{ID: c.id, Received: received, Nonce: n, Proof: clientProof(c.secret, c.id, adv.Key, n, received)}
	if _, err := io.WriteString(t, h.line()); err != nil {
		return err
	}
	line, err = readLine(br)
	if err != nil {
		return fmt.Errorf("resume reply: %w", err)
	}
	r, err := parseReply(line, true)
	if err != nil {
		return err
	}
	if r.Err != nil {
		return r.Err
	}
	if !hmac.Equal(r.Proof, serverProof(c.secret, c.id, adv.Key, n, r.Received)) {
		return fmt.Errorf("%w (the server's)", ErrBadProof)
	}
	t.SetDeadline(time.Time{})
	if err := c.conn.attach(withReader(t, br), r.Received); err != nil {
		return err
	}
	ok = true
	return nil
}
