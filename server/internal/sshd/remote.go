package sshd

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// Remote forwarding (-R): the server listens and opens a channel back to the
// client per accepted connection.

type tcpipForward struct {
	BindAddr string
	BindPort uint32
}

type forwardedTCPIP struct {
	Addr       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

type streamLocalForward struct {
	SocketPath string
}

type forwardedStreamLocal struct {
	SocketPath string
	Reserved   string
}

// loopbackBind maps the address a client asks to listen on to the one used.
// Like OpenSSH's default "GatewayPorts no", every listener is on loopback:
// the user's server must not become reachable from the cluster network
// through an ssh -R. An explicit other address is refused, not rewritten.
func loopbackBind(addr string) (string, error) {
	switch addr {
	case "", "localhost", "*", "0.0.0.0", "::":
		return "127.0.0.1", nil
	}
	ip := net.ParseIP(addr)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("remote forwards bind to loopback only, not %q", addr)
	}
	return addr, nil
}

// handleGlobal answers one global request. Unknown ones, keepalives among
// them, get a failure reply as OpenSSH's sshd gives: any reply proves
// liveness, and nothing here is a reason to disconnect.
func (c *conn) handleGlobal(r *ssh.Request) {
	var ok bool
	var reply []byte
	switch r.Type {
	case "tcpip-forward":
		ok, reply = c.listenTCP(r.Payload)
	case "cancel-tcpip-forward":
		var p tcpipForward
		if ssh.Unmarshal(r.Payload, &p) == nil {
			if host, err := loopbackBind(p.BindAddr); err == nil {
				ok = c.cancelForward("tcp " + net.JoinHostPort(host, strconv.Itoa(int(p.BindPort))))
			}
		}
	case "streamlocal-forward@openssh.com":
		ok = c.listenUnix(r.Payload)
	case "cancel-streamlocal-forward@openssh.com":
		var p streamLocalForward
		if ssh.Unmarshal(r.Payload, &p) == nil {
			ok = c.cancelForward("unix " + p.SocketPath)
		}
	}
	if r.WantReply {
		r.Reply(ok, reply)
	}
}

func (c *conn) listenTCP(payload []byte) (bool, []byte) {
	var p tcpipForward
	if err := ssh.Unmarshal(payload, &p); err != nil || p.BindPort > 65535 {
		return false, nil
	}
	host, err := loopbackBind(p.BindAddr)
	if err != nil {
		c.log.Info("remote forward refused", "err", err)
		return false, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(int(p.BindPort))))
	if err != nil {
		c.log.Info("remote forward refused", "addr", p.BindAddr, "port", p.BindPort, "err", err)
		return false, nil
	}
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	key := "tcp " + net.JoinHostPort(host, strconv.Itoa(int(port)))
	if p.BindPort == 0 {
		// A client that asked for port 0 cancels with port 0 too.
		c.addForward("tcp "+net.JoinHostPort(host, "0"), ln)
	}
	c.addForward(key, ln)
	c.log.Info("remote forward", "listen", ln.Addr().String())
	c.goFunc(func() {
		c.serveForward(ln, func(nc net.Conn) ([]byte, string) {
			ra, _ := nc.RemoteAddr().(*net.TCPAddr)
			f := forwardedTCPIP{Addr: p.BindAddr, Port: port}
			if ra != nil {
				f.OriginAddr, f.OriginPort = ra.IP.String(), uint32(ra.Port)
			}
			return ssh.Marshal(f), "forwarded-tcpip"
		})
	})
	var reply []byte
	if p.BindPort == 0 {
		reply = ssh.Marshal(struct{ Port uint32 }{port})
	}
	return true, reply
}

func (c *conn) listenUnix(payload []byte) bool {
	var p streamLocalForward
	if err := ssh.Unmarshal(payload, &p); err != nil || p.SocketPath == "" {
		return false
	}
	ln, err := net.Listen("unix", p.SocketPath)
	if err != nil {
		c.log.Info("remote forward refused", "path", p.SocketPath, "err", err)
		return false
	}
	os.Chmod(p.SocketPath, 0o600)
	c.addForward("unix "+p.SocketPath, ln)
	c.log.Info("remote forward", "listen", p.SocketPath)
	c.goFunc(func() {
		c.serveForward(ln, func(net.Conn) ([]byte, string) {
			return ssh.Marshal(forwardedStreamLocal{SocketPath: p.SocketPath}), "forwarded-streamlocal@openssh.com"
		})
	})
	return true
}

// serveForward accepts until ln is closed, opening a channel to the client
// for each connection.
func (c *conn) serveForward(ln net.Listener, describe func(net.Conn) ([]byte, string)) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		payload, kind := describe(nc)
		go func() {
			ch, reqs, err := c.ssh.OpenChannel(kind, payload)
			if err != nil {
				nc.Close()
				return
			}
			go ssh.DiscardRequests(reqs)
			c.touch()
			join(&trackedChannel{Channel: ch, c: c}, nc)
		}()
	}
}

func (c *conn) addForward(key string, l net.Listener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forwards == nil {
		c.forwards = map[string]io.Closer{}
	}
	c.forwards[key] = l
}

func (c *conn) cancelForward(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.forwards[key]
	if !ok {
		return false
	}
	l.Close()
	// Drop every key that names the same listener (port 0 aliases).
	for k, v := range c.forwards {
		if v == l {
			delete(c.forwards, k)
		}
	}
	return true
}
