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
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Config is everything the server needs, filled by main from flags and the
// environment jupyter-server-proxy hands it.
type Config struct {
	HostKey             ssh.Signer
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
}

// Server serves SSH connections. Create it with New; it has no global state.
type Server struct {
	cfg   Config
	ssh   *ssh.ServerConfig
	log   *slog.Logger
	mu    sync.Mutex
	conns map[*ssh.ServerConn]struct{}
	wg    sync.WaitGroup
}

// New checks cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	if cfg.HostKey == nil {
		return nil, errors.New("sshd: no host key")
	}
	if cfg.Shell == "" {
		cfg.Shell = "/bin/sh"
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Log, conns: map[*ssh.ServerConn]struct{}{}}
	sc := &ssh.ServerConfig{
		// Our own banner, never an OpenSSH look-alike: clients key
		// compatibility quirks off it (CLIENTS.md).
		ServerVersion:     "SSH-2.0-hubsshd_" + versionToken(cfg.Version),
		PublicKeyCallback: s.checkPublicKey,
		// No PasswordCallback and no KeyboardInteractiveCallback: keys only.
	}
	sc.AddHostKey(cfg.HostKey)
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
	keys, problems := loadAuthorizedKeys(s.cfg.AuthorizedKeysFiles)
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
	for {
		var nc net.Conn
		nc, err = ln.Accept()
		if err != nil {
			break
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.HandleConn(ctx, nc)
		}()
	}
	s.closeAll()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("accept: %w", err)
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// HandleConn runs one SSH connection on nc to its end. It owns nc and closes
// it. Cancelling ctx closes the connection.
func (s *Server) HandleConn(ctx context.Context, nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	conn, chans, reqs, err := ssh.NewServerConn(nc, s.ssh)
	if err != nil {
		// io.EOF before any byte is the readiness probe; not worth a line.
		if !isQuietHandshakeError(err) {
			s.log.Info("handshake failed", "err", err)
		}
		return
	}
	nc.SetDeadline(time.Time{})
	s.mu.Lock()
	s.conns[conn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
	}()
	log := s.log.With("session", fmt.Sprintf("%x", conn.SessionID()[:6]), "user", conn.User())
	log.Info("connected", "key", conn.Permissions.Extensions["pubkey-fp"], "client", string(conn.ClientVersion()))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		handleGlobalRequests(reqs)
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.handleSession(ctx, conn, nch, log)
			}()
		default:
			nch.Reject(ssh.UnknownChannelType, fmt.Sprintf("hubsshd does not support %q channels", nch.ChannelType()))
		}
	}
	conn.Close()
	wg.Wait()
	log.Info("disconnected")
}

// handleGlobalRequests answers every global request. keepalive@openssh.com
// gets a failure reply, as OpenSSH's sshd gives: any reply proves liveness,
// and a request we do not know is never a reason to disconnect.
func handleGlobalRequests(reqs <-chan *ssh.Request) {
	for r := range reqs {
		if r.WantReply {
			r.Reply(false, nil)
		}
	}
}

// isQuietHandshakeError is true for a peer that went away before saying
// anything, as jupyter-server-proxy's readiness probe does.
func isQuietHandshakeError(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
