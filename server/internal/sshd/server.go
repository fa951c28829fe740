// Package sshd is hubsshd's SSH server. Its core is HandleConn, a function of
// one net.Conn: whether the bytes came from jupyter-server-proxy's unix
// socket, a TCP listener in a benchmark or a net.Pipe in a test does not
// matter here.
package sshd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/server/internal/authkeys"
)

// Config is everything the server needs, filled by main from flags and the
// environment jupyter-server-proxy hands it.
type Config struct {
	HostKeys            []ssh.Signer // every one offered; clients pick by algorithm
	AuthorizedKeysFiles []string
	Home                string   // working directory of sessions and sftp
	Shell               string   // login shell, e.g. /bin/bash
	User                string   // unix user name hubsshd runs as
	Env                 []string // base environment of sessions
	Version             string
	Log                 *slog.Logger
	// HandshakeTimeout bounds the SSH handshake, so a peer that connects
	// and never speaks (jupyter-server-proxy's readiness probe does exactly
	// that, then closes) cannot hold a goroutine.
	HandshakeTimeout time.Duration
	// KeepaliveInterval is how often a quiet client is asked for a sign of
	// life; after KeepaliveCountMax unanswered asks the connection is
	// dropped (a laptop that went away leaves no TCP FIN behind the hub).
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
	// IdleTimeout, if set, closes a connection whose channels carried no
	// data for that long, so an abandoned client cannot keep the server
	// from the hub's idle culler forever. Keepalives do not count as use.
	IdleTimeout time.Duration
}

// Server serves SSH connections. Create it with New; it has no global state.
type Server struct {
	cfg   Config
	ssh   *ssh.ServerConfig
	log   *slog.Logger
	mu    sync.Mutex
	conns map[*conn]struct{}
	wg    sync.WaitGroup
	last  atomic.Int64 // unix nanos of the last channel traffic on any connection
}

func (s *Server) touch(now int64) { s.last.Store(now) }

// LastActivity is when any connection last carried channel data; zero if
// none has yet.
func (s *Server) LastActivity() time.Time {
	n := s.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// New checks cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	if len(cfg.HostKeys) == 0 {
		return nil, errors.New("sshd: no host key")
	}
	if cfg.Shell == "" {
		cfg.Shell = "/bin/sh"
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = time.Minute
	}
	if cfg.KeepaliveInterval == 0 {
		cfg.KeepaliveInterval = 30 * time.Second
	}
	if cfg.KeepaliveCountMax == 0 {
		cfg.KeepaliveCountMax = 3
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Log, conns: map[*conn]struct{}{}}
	sc := &ssh.ServerConfig{
		// Our own banner, never an OpenSSH look-alike: clients key
		// compatibility quirks off it (CLIENTS.md).
		ServerVersion:     "SSH-2.0-hubsshd_" + versionToken(cfg.Version),
		PublicKeyCallback: s.checkPublicKey,
		// No PasswordCallback and no KeyboardInteractiveCallback: keys only.
	}
	for _, k := range cfg.HostKeys {
		sc.AddHostKey(k)
	}
	s.ssh = sc
	return s, nil
}

// versionToken keeps the banner within RFC 4253's allowed characters.
func versionToken(v string) string {
	if v == "" {
		return "dev"
	}
	b := []byte(v)
	for i, c := range b {
		if c <= ' ' || c > '~' || c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

func (s *Server) checkPublicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	keys, problems := authkeys.Load(s.cfg.AuthorizedKeysFiles)
	for _, p := range problems {
		s.log.Warn("authorized keys", "problem", p)
	}
	want := key.Marshal()
	for _, k := range keys {
		if bytes.Equal(k.Key.Marshal(), want) {
			return &ssh.Permissions{Extensions: map[string]string{
				"pubkey-fp": ssh.FingerprintSHA256(key),
				"source":    k.Source,
			}}, nil
		}
	}
	return nil, fmt.Errorf("key %s not in authorized keys", ssh.FingerprintSHA256(key))
}

// Serve accepts connections from ln until ctx ends or ln fails, then closes
// every open connection and waits for their handlers.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	backoff := time.Duration(0)
	for {
		var nc net.Conn
		nc, err = ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			// EMFILE and the like pass: wait and try again, as net/http
			// does, rather than end every user's SSH access.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.HandleConn(ctx, nc)
		}()
	}
	// Closed here too, not only by the AfterFunc: a unix listener's Close
	// removes its socket after Accept has already failed, and the process
	// may exit as soon as Serve returns.
	ln.Close()
	s.closeAll()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("accept: %w", err)
}

// closeAll tells every connection's sessions the server is going away,
// then closes the connections.
func (s *Server) closeAll() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.closeFor("hubsshd is shutting down (the server is stopping or restarting); connect again once it is back")
		}()
	}
	wg.Wait()
}

// HandleConn runs one SSH connection on nc to its end. It owns nc and closes
// it. Cancelling ctx closes the connection.
func (s *Server) HandleConn(ctx context.Context, nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	// A client still in the handshake (at a passphrase prompt, say) must
	// not hold a shutdown for the handshake timeout (#11).
	stopHandshake := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.ssh)
	if !stopHandshake() || err != nil {
		if err == nil {
			sc.Close()
			return
		}
		// EOF before any byte is the readiness probe; not worth a line.
		if !isQuietHandshakeError(err) {
			s.log.Info("handshake failed", "err", err)
		}
		return
	}
	nc.SetDeadline(time.Time{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &conn{
		srv: s, ssh: sc, ctx: ctx, sessions: map[*session]struct{}{},
		log: s.log.With("session", fmt.Sprintf("%x", sc.SessionID()[:6]), "user", sc.User()),
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	c.last.Store(time.Now().UnixNano())
	c.log.Info("connected", "key", sc.Permissions.Extensions["pubkey-fp"], "client", string(sc.ClientVersion()))
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()

	c.goFunc(func() {
		for r := range reqs {
			c.handleGlobal(r)
		}
	})
	// A resumable stream keeps its own liveness and outlives a dead
	// transport; SSH keepalives would end a session while its laptop
	// sleeps (docs/resume.md, "Keepalives").
	if r, ok := nc.(interface{ Resumable() bool }); !ok || !r.Resumable() {
		c.goFunc(func() { c.keepalive() })
	}
	if s.cfg.IdleTimeout > 0 {
		c.goFunc(func() { c.idleWatch() })
	}
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			c.goFunc(func() { s.handleSession(c, nch) })
		case "direct-tcpip", "direct-streamlocal@openssh.com":
			c.goFunc(func() { c.handleDirect(nch) })
		default:
			nch.Reject(ssh.UnknownChannelType, fmt.Sprintf("hubsshd does not support %q channels", nch.ChannelType()))
		}
	}
	cancel()
	sc.Close()
	c.close()
	c.log.Info("disconnected")
}

// keepalive asks the client for a reply every KeepaliveInterval and drops
// the connection after KeepaliveCountMax intervals without one.
func (c *conn) keepalive() {
	cfg := &c.srv.cfg
	t := time.NewTicker(cfg.KeepaliveInterval)
	defer t.Stop()
	replied := make(chan struct{}, 1)
	missed := 0
	inFlight := false
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-replied:
			inFlight, missed = false, 0
			continue
		case <-t.C:
		}
		if inFlight {
			missed++
			if missed >= cfg.KeepaliveCountMax {
				c.log.Info("client stopped answering keepalives; closing", "after", cfg.KeepaliveInterval*time.Duration(missed))
				c.ssh.Close()
				return
			}
			continue
		}
		inFlight = true
		go func() {
			// Any reply, failure included, proves the client is there.
			if _, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil); err == nil {
				replied <- struct{}{}
			}
		}()
	}
}

// idleWatch closes the connection once no channel carried data for
// IdleTimeout.
func (c *conn) idleWatch() {
	limit := c.srv.cfg.IdleTimeout
	check := min(limit/4, 30*time.Second)
	t := time.NewTicker(max(check, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			if idle := c.idleFor(now); idle >= limit {
				c.log.Info("idle limit reached; closing", "idle", idle.Round(time.Second), "limit", limit)
				c.closeFor(fmt.Sprintf("closing this connection: no use for %s, this server's idle limit", limit))
				return
			}
		}
	}
}

// isQuietHandshakeError is true for a peer that went away before saying
// anything, as jupyter-server-proxy's readiness probe does.
func isQuietHandshakeError(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
