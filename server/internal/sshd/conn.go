package sshd

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// conn is the state of one SSH connection: its remote forwards, what it
// did last, and the goroutines that must end with it.
type conn struct {
	srv  *Server
	ssh  *ssh.ServerConn
	log  *slog.Logger
	ctx  context.Context // ends when the connection ends
	last atomic.Int64    // unix nanos of the last channel traffic

	mu       sync.Mutex
	sessions map[*session]struct{} // open session channels, to tell them why the connection ends
	forwards map[string]io.Closer  // remote forwards by "tcp host:port" or "unix path"
	agent    *agentSocket          // set by the first auth-agent-req
	wg       sync.WaitGroup
}

// touch records channel traffic: what counts as use of the server for the
// idle limit and for the hub's culler. Keepalives do not count.
func (c *conn) touch() {
	now := time.Now().UnixNano()
	c.last.Store(now)
	c.srv.touch(now)
}

func (c *conn) idleFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, c.last.Load()))
}

// go runs f as part of the connection: close waits for it.
func (c *conn) goFunc(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// closeFor tells every open session why the connection ends (a line on its
// stderr, which ssh prints; SSH_MSG_DISCONNECT's reason is not reachable
// through x/crypto/ssh), waits up to a second for the lines to leave, then
// closes the connection.
func (c *conn) closeFor(reason string) {
	c.mu.Lock()
	var chans []ssh.Channel
	for s := range c.sessions {
		chans = append(chans, s.ch)
	}
	c.mu.Unlock()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for _, ch := range chans {
			if t, ok := ch.(*trackedChannel); ok {
				ch = t.Channel // telling is not use
			}
			io.WriteString(ch.Stderr(), "hubsshd: "+reason+"\r\n")
		}
	}()
	select {
	case <-sent:
	case <-time.After(time.Second):
	}
	c.ssh.Close()
}

// addSession and dropSession keep the open sessions closeFor tells.
func (c *conn) addSession(s *session) {
	c.mu.Lock()
	c.sessions[s] = struct{}{}
	c.mu.Unlock()
}

func (c *conn) dropSession(s *session) {
	c.mu.Lock()
	delete(c.sessions, s)
	c.mu.Unlock()
}

// close stops the connection's remote forwards and agent socket, and waits
// for its workers.
func (c *conn) close() {
	c.mu.Lock()
	for k, l := range c.forwards {
		l.Close()
		delete(c.forwards, k)
	}
	c.agent.close()
	c.agent = nil
	c.mu.Unlock()
	c.wg.Wait()
}

// trackedChannel counts every read and write on a channel as activity.
type trackedChannel struct {
	ssh.Channel
	c *conn
}

func (t *trackedChannel) Read(p []byte) (int, error) {
	n, err := t.Channel.Read(p)
	if n > 0 {
		t.c.touch()
	}
	return n, err
}

func (t *trackedChannel) Write(p []byte) (int, error) {
	if len(p) > 0 {
		t.c.touch()
	}
	return t.Channel.Write(p)
}

func (t *trackedChannel) Stderr() io.ReadWriter {
	return &trackedRW{rw: t.Channel.Stderr(), c: t.c}
}

type trackedRW struct {
	rw io.ReadWriter
	c  *conn
}

func (t *trackedRW) Read(p []byte) (int, error) {
	n, err := t.rw.Read(p)
	if n > 0 {
		t.c.touch()
	}
	return n, err
}

func (t *trackedRW) Write(p []byte) (int, error) {
	if len(p) > 0 {
		t.c.touch()
	}
	return t.rw.Write(p)
}

// accept accepts a new channel with activity tracking and discards its
// requests (forwarding channels have none that matter).
func (c *conn) accept(nch ssh.NewChannel) (ssh.Channel, <-chan *ssh.Request, error) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return nil, nil, err
	}
	c.touch()
	return &trackedChannel{Channel: ch, c: c}, reqs, nil
}
