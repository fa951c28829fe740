package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  string
		wantIdle time.Duration
	}{
		{name: "socket", args: []string{"--socket", "/tmp/s"}},
		{name: "control", args: []string{"--control-socket", "/tmp/c"}},
		{name: "no mode", args: nil, wantErr: "exactly one of"},
		{name: "two modes", args: []string{"--socket", "/a", "--control-socket", "/b"}, wantErr: "exactly one of"},
		{name: "idle from env", args: []string{"--socket", "/a"}, env: map[string]string{envIdleTimeout: "2h"}, wantIdle: 2 * time.Hour},
		{name: "flag beats env", args: []string{"--socket", "/a", "--idle-timeout", "30m"}, env: map[string]string{envIdleTimeout: "2h"}, wantIdle: 30 * time.Minute},
		{name: "bad env", args: []string{"--socket", "/a"}, env: map[string]string{envIdleTimeout: "two hours"}, wantErr: "is not a duration"},
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
