package sshd

import (
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// agentSocket is a session's SSH_AUTH_SOCK: a unix socket in a private
// directory whose connections become auth-agent@openssh.com channels to the
// client's agent (OpenSSH's PROTOCOL, "agent forwarding").
type agentSocket struct {
	dir, path string
	ln        net.Listener
}

func (sess *session) startAgent() bool {
	if sess.agent != nil {
		return true
	}
	if sess.hasStarted() {
		return false // too late: the command's environment is fixed
	}
	dir, err := os.MkdirTemp("", "hubsshd-agent-") // mode 0700
	if err != nil {
		sess.log.Warn("agent forwarding", "err", err)
		return false
	}
	path := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		sess.log.Warn("agent forwarding", "err", err)
		return false
	}
	os.Chmod(path, 0o600)
	sess.agent = &agentSocket{dir: dir, path: path, ln: ln}
	c := sess.conn
	c.goFunc(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				ch, reqs, err := c.ssh.OpenChannel("auth-agent@openssh.com", nil)
				if err != nil {
					nc.Close()
					return
				}
				go ssh.DiscardRequests(reqs)
				join(ch, nc)
			}()
		}
	})
	return true
}

// close removes the socket and its directory; nil-safe.
func (a *agentSocket) close() {
	if a == nil {
		return
	}
	a.ln.Close()
	os.RemoveAll(a.dir)
}
