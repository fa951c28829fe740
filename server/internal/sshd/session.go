package sshd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"

	"github.com/pkg/sftp"

	"github.com/hubssh/hubssh/server/internal/sftpfront"
	"golang.org/x/crypto/ssh"
)

// session is one "session" channel: at most one shell, exec or subsystem,
// plus the requests that shape it (env, pty-req, window-change, signal).
type session struct {
	srv  *Server
	conn *conn
	ch   ssh.Channel
	log  *slog.Logger
	// ctx ends when the client closes the channel or the connection ends:
	// what the session runs in-process (sftp) stops with it; the pty is
	// hung up. A command without a pty keeps running, as under sshd.
	ctx context.Context

	env []string // from accepted "env" requests
	pty *ptyRequest

	mu      sync.Mutex
	started bool
	proc    *os.Process
	ptmx    *os.File
	// pendingRun is set by a successful shell/exec/subsystem request and
	// started by run once the reply is on the wire.
	pendingRun pendingRun
}

func (s *Server) handleSession(c *conn, nch ssh.NewChannel) {
	ch, reqs, err := c.accept(nch)
	if err != nil {
		c.log.Info("accept session", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	sess := &session{srv: s, conn: c, ch: ch, log: c.log, ctx: ctx}
	c.addSession(sess)
	defer c.dropSession(sess)
	// The client closed the channel (or the connection ended): a pty is
	// closed, which hangs its processes up as sshd does. A command without
	// one keeps running (background children must survive: Remote-SSH
	// starts its server that way).
	defer cancel()
	context.AfterFunc(ctx, func() {
		sess.mu.Lock()
		defer sess.mu.Unlock()
		if sess.ptmx != nil {
			sess.ptmx.Close()
		}
	})
	for req := range reqs {
		ok := sess.handle(req)
		if req.WantReply {
			req.Reply(ok, nil)
		}
		if ok && sess.isStartRequest(req.Type) {
			// The reply must go out before any output of the command:
			// clients match the reply to the request, then read data.
			sess.run()
		}
	}
}

func (sess *session) isStartRequest(t string) bool {
	return t == "shell" || t == "exec" || t == "subsystem"
}

// handle applies one request and says whether it succeeded. For shell, exec
// and subsystem it prepares the command; run starts moving bytes.
func (sess *session) handle(req *ssh.Request) bool {
	switch req.Type {
	case "env":
		var p struct{ Name, Value string }
		if ssh.Unmarshal(req.Payload, &p) != nil || !allowedEnv(p.Name) {
			return false
		}
		sess.env = append(sess.env, p.Name+"="+p.Value)
		return true
	case "pty-req":
		var p ptyRequest
		if sess.hasStarted() || ssh.Unmarshal(req.Payload, &p) != nil {
			return false
		}
		sess.pty = &p
		return true
	case "window-change":
		var p windowChange
		if ssh.Unmarshal(req.Payload, &p) != nil {
			return false
		}
		return sess.resize(p.Columns, p.Rows)
	case "signal":
		var p struct{ Signal string }
		if ssh.Unmarshal(req.Payload, &p) != nil {
			return false
		}
		return sess.signal(p.Signal)
	case "auth-agent-req@openssh.com":
		// Answer success: ssh2 (open-remote-ssh) asks with want_reply and
		// fails every later exec when refused (CLIENTS.md).
		return sess.conn.startAgent()
	case "shell":
		return sess.prepare(nil)
	case "exec":
		var p struct{ Command string }
		if ssh.Unmarshal(req.Payload, &p) != nil {
			return false
		}
		return sess.prepare(&p.Command)
	case "subsystem":
		var p struct{ Name string }
		if ssh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
			sess.log.Info("subsystem refused", "name", p.Name)
			return false
		}
		return sess.prepareSFTP()
	default:
		return false
	}
}

func (sess *session) hasStarted() bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.started
}

// claim marks the session as running a command; only the first succeeds.
func (sess *session) claim() bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.started {
		return false
	}
	sess.started = true
	return true
}

// pending is what prepare made and run starts.
type pendingRun func()

func (sess *session) setPending(f pendingRun) {
	sess.mu.Lock()
	sess.pendingRun = f
	sess.mu.Unlock()
}

func (sess *session) run() {
	sess.mu.Lock()
	f := sess.pendingRun
	sess.pendingRun = nil
	sess.mu.Unlock()
	if f != nil {
		go f()
	}
}

func (sess *session) prepareSFTP() bool {
	if !sess.claim() {
		return false
	}
	// pkg/sftp closes its connection itself when it fails; routing that
	// Close through end means the exit status still goes out first.
	var once sync.Once
	end := func(code int) { once.Do(func() { sess.finish(exitStatus(code)) }) }
	conn := &sftpConn{Channel: sess.ch, close: func() { end(1) }}
	// WithAllocator reuses packet buffers instead of allocating 32 KiB per
	// request: sftp put 110 → 142 MiB/s and get 195 → 225 MiB/s through the
	// hub (docs/benchmarks.md). The sftp tests check every byte with it on.
	// sftpfront answers the requests pkg/sftp gets wrong for users' files
	// (relative symlink targets, rename onto an existing file, #16) and the
	// sftp-server extensions pkg/sftp lacks (limits, expand-path, …).
	front := sftpfront.New(conn, sess.srv.cfg.Home, string(sess.conn.ssh.ClientVersion()))
	// Reads as large as the limits@openssh.com sftpfront reports: OpenSSH's
	// sftp then downloads 255 KiB per request, as from sftp-server.
	srv, err := sftp.NewServer(front, sftp.WithServerWorkingDirectory(sess.srv.cfg.Home), sftp.WithAllocator(),
		sftp.WithMaxTxPacket(sftpfront.MaxRead))
	if err != nil {
		sess.log.Warn("sftp", "err", err)
		return false
	}
	sess.log.Info("sftp started")
	// A connection dropped mid-transfer must not leave the server (and its
	// buffers) waiting on a channel nobody reads.
	stop := context.AfterFunc(sess.ctx, func() { srv.Close() })
	sess.setPending(func() {
		defer stop()
		err := srv.Serve()
		// The allocator's buffers (up to ~16 MiB per busy session) are
		// garbage now; an idle server would hold them for minutes.
		debug.FreeOSMemory()
		if err != nil {
			sess.log.Info("sftp ended", "err", err)
			end(1)
		}
		// scp (SFTP mode since OpenSSH 9) exits 1 after a good transfer
		// if no exit-status follows the sftp server's end (pkg/sftp#321).
		end(0)
	})
	return true
}

// sftpConn is the channel as pkg/sftp sees it, with Close redirected.
type sftpConn struct {
	ssh.Channel
	close func()
}

func (c *sftpConn) Close() error {
	c.close()
	return nil
}

// finish sends the exit message, EOF and close, in the order OpenSSH does.
func (sess *session) finish(msg exitMessage) {
	if _, err := sess.ch.SendRequest(msg.kind, false, msg.payload); err != nil {
		sess.log.Debug("send exit", "err", err)
	}
	sess.ch.CloseWrite()
	sess.ch.Close()
	sess.log.Info("session ended", msg.kind, msg.String())
}

type exitMessage struct {
	kind    string // "exit-status" or "exit-signal"
	payload []byte
	text    string
}

func (m exitMessage) String() string { return m.text }

func exitStatus(code int) exitMessage {
	return exitMessage{
		kind:    "exit-status",
		payload: ssh.Marshal(struct{ Status uint32 }{uint32(code)}),
		text:    fmt.Sprint(code),
	}
}

func exitSignal(name string, core bool) exitMessage {
	return exitMessage{
		kind: "exit-signal",
		payload: ssh.Marshal(struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{name, core, "", ""}),
		text: name,
	}
}
