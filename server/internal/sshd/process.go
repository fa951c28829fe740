package sshd

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type ptyRequest struct {
	Term                   string
	Columns, Rows          uint32
	WidthPixels, HeightPix uint32
	Modes                  string
}

type windowChange struct {
	Columns, Rows          uint32
	WidthPixels, HeightPix uint32
}

// allowedEnv is the list of variables a client may set with "env" requests,
// the same spirit as OpenSSH's default AcceptEnv (LANG LC_*). Anything else
// could change how the user's own shell or Jupyter tools behave unseen.
func allowedEnv(name string) bool {
	switch name {
	case "LANG", "LANGUAGE", "TZ", "COLORTERM":
		return true
	}
	return strings.HasPrefix(name, "LC_")
}

// command builds the process for a shell (cmdline nil) or an exec, the way
// sshd does: "$SHELL -c CMD" for exec, a login shell (argv[0] "-bash") for
// shell, started in the user's home.
func (sess *session) command(cmdline *string) *exec.Cmd {
	cfg := &sess.srv.cfg
	cmd := &exec.Cmd{Path: cfg.Shell, Dir: cfg.Home}
	if cmdline == nil {
		cmd.Args = []string{"-" + filepath.Base(cfg.Shell)}
	} else {
		cmd.Args = []string{filepath.Base(cfg.Shell), "-c", *cmdline}
	}
	cmd.Env = sess.environ()
	return cmd
}

// environ is the server's own environment (the same one JupyterLab's
// terminal sees) plus what sshd would set for a login.
func (sess *session) environ() []string {
	cfg := &sess.srv.cfg
	env := newEnv(cfg.Env)
	env.set("HOME", cfg.Home)
	env.set("SHELL", cfg.Shell)
	if cfg.User != "" {
		env.set("USER", cfg.User)
		env.set("LOGNAME", cfg.User)
	}
	// Behind the hub there is no meaningful peer address. Tools only test
	// these for presence ("am I in an ssh session?"), so loopback it is.
	env.set("SSH_CONNECTION", "127.0.0.1 0 127.0.0.1 22")
	env.set("SSH_CLIENT", "127.0.0.1 0 22")
	for _, kv := range sess.env {
		k, v, _ := strings.Cut(kv, "=")
		env.set(k, v)
	}
	if p := sess.conn.agentPath(); p != "" {
		env.set("SSH_AUTH_SOCK", p)
	}
	if sess.pty != nil && sess.pty.Term != "" {
		env.set("TERM", sess.pty.Term)
	}
	return env.list()
}

// prepare starts the shell or exec command and leaves the byte pumping to
// run, which begins after the request's reply.
func (sess *session) prepare(cmdline *string) bool {
	if !sess.claim() {
		return false
	}
	cmd := sess.command(cmdline)
	var start func(*exec.Cmd) (pendingRun, error)
	if sess.pty != nil {
		start = sess.startPTY
	} else {
		start = sess.startPipes
	}
	f, err := start(cmd)
	if err != nil {
		sess.log.Warn("start command", "err", err)
		return false
	}
	kind := "exec"
	if cmdline == nil {
		kind = "shell"
	}
	sess.log.Info("command started", "kind", kind, "pty", sess.pty != nil, "pid", cmd.Process.Pid)
	sess.setPending(f)
	return true
}

// startPipes runs cmd without a terminal. The child gets its own session
// (setsid) and plain pipes: when it exits, hubsshd waits for EOF on stdout and
// stderr, like sshd, so output is never cut; a background child that
// redirected its output keeps running after the channel closes.
func (sess *session) startPipes(cmd *exec.Cmd) (pendingRun, error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	inR.Close()
	outW.Close()
	errW.Close()
	sess.setProc(cmd.Process)
	return func() {
		go func() {
			io.Copy(inW, sess.ch)
			inW.Close() // the client's EOF becomes the child's EOF
		}()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			io.Copy(sess.ch, outR)
			outR.Close()
		}()
		go func() {
			defer wg.Done()
			io.Copy(sess.ch.Stderr(), errR)
			errR.Close()
		}()
		err := cmd.Wait()
		wg.Wait()
		sess.finish(exitOf(cmd, err))
	}, nil
}

// ptyDrain is how long output is still read from a terminal after its
// command exited; a background process holding the terminal open must not
// keep the session alive (sshd hangs such processes up too).
const ptyDrain = 200 * time.Millisecond

func (sess *session) startPTY(cmd *exec.Cmd) (pendingRun, error) {
	ptmx, tty, err := openPTY()
	if err != nil {
		return nil, err
	}
	p := sess.pty
	if err := setWinsize(ptmx, p.Columns, p.Rows); err != nil {
		ptmx.Close()
		tty.Close()
		return nil, err
	}
	cmd.Env = append(cmd.Env, "SSH_TTY="+tty.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// Setctty makes the terminal (fd 0 in the child) its controlling tty.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		tty.Close()
		return nil, err
	}
	tty.Close()
	sess.mu.Lock()
	sess.ptmx = ptmx
	sess.mu.Unlock()
	sess.setProc(cmd.Process)
	return func() {
		go io.Copy(ptmx, sess.ch)
		outDone := make(chan struct{})
		go func() {
			defer close(outDone)
			io.Copy(sess.ch, ptmx) // ends with EIO once every holder closed the tty
		}()
		err := cmd.Wait()
		ptmx.SetReadDeadline(time.Now().Add(ptyDrain))
		<-outDone
		sess.mu.Lock()
		ptmx.Close()
		sess.ptmx = nil
		sess.mu.Unlock()
		sess.finish(exitOf(cmd, err))
	}, nil
}

func clamp16(v uint32) uint16 {
	if v > 0xffff {
		return 0xffff
	}
	return uint16(v)
}

func (sess *session) setProc(p *os.Process) {
	sess.mu.Lock()
	sess.proc = p
	sess.mu.Unlock()
}

func (sess *session) resize(cols, rows uint32) bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.ptmx == nil {
		return false
	}
	return setWinsize(sess.ptmx, cols, rows) == nil
}

// sshSignals maps RFC 4254 §6.10 signal names to the local signals.
var sshSignals = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "FPE": syscall.SIGFPE,
	"HUP": syscall.SIGHUP, "ILL": syscall.SIGILL, "INT": syscall.SIGINT,
	"KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE, "QUIT": syscall.SIGQUIT,
	"SEGV": syscall.SIGSEGV, "TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2,
}

// signal delivers a client's signal to the command's process group (the
// command leads its own session, so the group is its pid).
func (sess *session) signal(name string) bool {
	sig, ok := sshSignals[name]
	sess.mu.Lock()
	p := sess.proc
	sess.mu.Unlock()
	if !ok || p == nil {
		return false
	}
	return syscall.Kill(-p.Pid, sig) == nil
}

func exitOf(cmd *exec.Cmd, err error) exitMessage {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return exitStatus(255)
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		for name, s := range sshSignals {
			if s == ws.Signal() {
				return exitSignal(name, ws.CoreDump())
			}
		}
		return exitStatus(128 + int(ws.Signal()))
	}
	return exitStatus(cmd.ProcessState.ExitCode())
}
