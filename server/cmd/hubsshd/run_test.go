package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  string
		wantIdle time.Duration
		wantAct  time.Duration // 0: the default, 1m
	}{
		{name: "socket", args: []string{"--socket", "/tmp/s"}},
		{name: "control", args: []string{"--control-socket", "/tmp/c"}},
		{name: "no mode", args: nil, wantErr: "exactly one of"},
		{name: "two modes", args: []string{"--socket", "/a", "--control-socket", "/b"}, wantErr: "exactly one of"},
		{name: "idle from env", args: []string{"--socket", "/a"}, env: map[string]string{envIdleTimeout: "2h"}, wantIdle: 2 * time.Hour},
		{name: "flag beats env", args: []string{"--socket", "/a", "--idle-timeout", "30m"}, env: map[string]string{envIdleTimeout: "2h"}, wantIdle: 30 * time.Minute},
		{name: "bad env", args: []string{"--socket", "/a"}, env: map[string]string{envIdleTimeout: "two hours"}, wantErr: "is not a duration"},
		{name: "activity from env", args: []string{"--socket", "/a"}, env: map[string]string{envActivityInterval: "1s"}, wantAct: time.Second},
		{name: "activity flag beats env", args: []string{"--socket", "/a", "--activity-interval", "5s"}, env: map[string]string{envActivityInterval: "1s"}, wantAct: 5 * time.Second},
		{name: "bad activity env", args: []string{"--socket", "/a"}, env: map[string]string{envActivityInterval: "soon"}, wantErr: "HUBSSHD_ACTIVITY_INTERVAL"},
		{name: "stray arg", args: []string{"--socket", "/a", "extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.idleTimeout != tt.wantIdle {
				t.Errorf("idle timeout %s, want %s", o.idleTimeout, tt.wantIdle)
			}
			if want := cmp.Or(tt.wantAct, time.Minute); o.activityInterval != want {
				t.Errorf("activity interval %s, want %s", o.activityInterval, want)
			}
		})
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:22", ":22"} {
		if ln, err := listen(&options{listen: addr}); err == nil {
			ln.Close()
			t.Errorf("--listen %s accepted", addr)
		}
	}
}

func TestRunShutdownClosesEverything(t *testing.T) {
	// SIGTERM from jupyter-server-proxy cancels run's context: sessions
	// end, remote-forward listeners close, run returns 0.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("JUPYTERHUB_ACTIVITY_URL", "")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--listen", addr}, io.Discard) }()
	var client *ssh.Client
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		client, err = ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "u", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), // a test of shutdown, not of host keys
		})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hubsshd did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rl, err := client.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fwd := rl.Addr().String()
	s, _ := client.NewSession()
	out, _ := s.StdoutPipe()
	if err := s.Start("echo $$; exec sleep 60"); err != nil {
		t.Fatal(err)
	}
	// The command outlives the server by design; the test must not.
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run returned %d after shutdown, want 0", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after shutdown")
	}
	closed := make(chan struct{})
	go func() { client.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Error("client connection still open after shutdown")
	}
	if c, err := net.Dial("tcp", fwd); err == nil {
		c.Close()
		t.Error("remote forward listener still open after shutdown (orphaned forwarder)")
	}
}
