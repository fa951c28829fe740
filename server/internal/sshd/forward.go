package sshd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// Port forwarding, RFC 4254 §7 and OpenSSH's PROTOCOL for the streamlocal
// (unix socket) variants. Remote-SSH's main tunnel is "-D" (SOCKS, handled
// by the client) turned into direct-tcpip channels to 127.0.0.1:PORT; with
// remoteServerListenOnSocket it is direct-streamlocal to a unix socket.

const dialTimeout = 10 * time.Second

type directTCPIP struct {
	Host       string
	Port       uint32
	OriginHost string
	OriginPort uint32
}

type directStreamLocal struct {
	SocketPath string
	Reserved0  string
	Reserved1  uint32
}

// handleDirect opens the local end of a -L/-D forward and joins it to the
// channel. A failed dial is answered with ConnectionFailed and its reason,
// which OpenSSH shows as "open failed: connect failed: REASON".
func (c *conn) handleDirect(nch ssh.NewChannel) {
	var network, addr string
	switch nch.ChannelType() {
	case "direct-tcpip":
		var p directTCPIP
		if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
			nch.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
			return
		}
		network, addr = "tcp", net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))
	default: // direct-streamlocal@openssh.com
		var p directStreamLocal
		if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
			nch.Reject(ssh.ConnectionFailed, "malformed direct-streamlocal request")
			return
		}
		network, addr = "unix", p.SocketPath
	}
	d := net.Dialer{Timeout: dialTimeout}
	local, err := d.DialContext(c.ctx, network, addr)
	if err != nil {
		c.log.Info("forward refused", "to", addr, "err", err)
		nch.Reject(ssh.ConnectionFailed, fmt.Sprintf("connect to %s: %v", addr, rootErr(err)))
		return
	}
	ch, reqs, err := c.accept(nch)
	if err != nil {
		local.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	join(ch, local)
}

// join copies both ways with half-close: EOF on one side becomes CloseWrite
// on the other, and both are closed once both directions ended.
func join(ch ssh.Channel, local net.Conn) {
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(local, ch)
		if cw, ok := local.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			local.Close()
		}
		done <- struct{}{}
	}()
	go func() {
		io.Copy(ch, local)
		ch.CloseWrite()
		done <- struct{}{}
	}()
	<-done
	<-done
	ch.Close()
	local.Close()
}

func rootErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		var se *os.SyscallError
		if errors.As(oe.Err, &se) {
			return se.Err
		}
		return oe.Err
	}
	return err
}
