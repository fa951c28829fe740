package sshd

import (
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// agentSocket is a connection's SSH_AUTH_SOCK: a unix socket in a private
// directory whose connections become auth-agent@openssh.com channels to the
// client's agent (OpenSSH's PROTOCOL, "agent forwarding").
//
// Like sshd, one per connection: once any session asked, every later
// session of the connection gets it. ssh2 (open-remote-ssh) relies on
// that: it sends auth-agent-req@openssh.com only on its first exec.
type agentSocket struct {
	dir, path string
	ln        net.Listener
}

// startAgent sets up agent forwarding for the connection (idempotent).
func (c *conn) startAgent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.agent != nil {
		return true
	}
	dir, err := os.MkdirTemp("", "hubsshd-agent-") // mode 0700
	if err != nil {
		c.log.Warn("agent forwarding", "err", err)
		return false
	}
	path := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		c.log.Warn("agent forwarding", "err", err)
		return false
	}
	os.Chmod(path, 0o600)
	c.agent = &agentSocket{dir: dir, path: path, ln: ln}
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

// agentPath is SSH_AUTH_SOCK for new sessions, "" without forwarding.
func (c *conn) agentPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.agent == nil {
		return ""
	}
	return c.agent.path
}

// close removes the socket and its directory; nil-safe.
func (a *agentSocket) close() {
	if a == nil {
		return
	}
	a.ln.Close()
	os.RemoveAll(a.dir)
}
