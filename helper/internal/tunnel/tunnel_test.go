package tunnel

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/" }

// echoServer sends every binary message back and records the largest.
func echoServer(t *testing.T, maxSeen *int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token tok" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.SetReadLimit(-1)
		ctx := r.Context()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if maxSeen != nil && len(b) > *maxSeen {
				*maxSeen = len(b)
			}
			if err := c.Write(ctx, typ, b); err != nil {
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPipeRoundTrip(t *testing.T) {
	var maxMsg int
	s := echoServer(t, &maxMsg)
	ctx := ctxT(t)
	c, err := Dial(ctx, wsURL(s), "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20)
	rand.Read(data)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Pipe(ctx, c, inR, outW, Options{BufferSize: 64 << 10}) }()
	go func() { inW.Write(data) }()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(outR, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("echoed bytes differ")
	}
	if maxMsg > 64<<10 {
		t.Errorf("a message of %d bytes went out; BufferSize is 64 KiB", maxMsg)
	}
	inW.Close() // ssh closed its end
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Pipe after stdin EOF = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Pipe did not end after stdin EOF")
	}
}

func TestPipeServerCloses(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Write(r.Context(), websocket.MessageBinary, []byte("bye"))
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer s.Close()
	ctx := ctxT(t)
	c, err := Dial(ctx, wsURL(s), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe() // stays open: the server ends first
	defer inW.Close()
	var out bytes.Buffer
	if err := Pipe(ctx, c, inR, &out, Options{}); err != nil {
		t.Fatalf("Pipe = %v, want nil on a normal close", err)
	}
	if out.String() != "bye" {
		t.Errorf("received %q, want %q", out.String(), "bye")
	}
}

func TestPipePingTimeout(t *testing.T) {
	// A server that never reads never answers pings: a dead hub.
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		<-release
	}))
	defer s.Close()
	defer close(release)
	ctx := ctxT(t)
	c, err := Dial(ctx, wsURL(s), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	defer inW.Close()
	err = Pipe(ctx, c, inR, io.Discard, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrPingTimeout) {
		t.Fatalf("Pipe = %v, want ErrPingTimeout", err)
	}
}

func TestDialRefused(t *testing.T) {
	tests := []struct {
		name         string
		handler      http.HandlerFunc
		wantStatus   int
		wantLocation string
	}{
		{name: "redirect not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/hub/user/alice/sshd/", http.StatusFound)
		}, wantStatus: 302, wantLocation: "/hub/user/alice/sshd/"},
		{name: "not found", handler: http.NotFound, wantStatus: 404},
		{name: "forbidden", handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusForbidden) }, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(tt.handler)
			defer s.Close()
			_, err := Dial(ctxT(t), wsURL(s), "tok", nil)
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want HandshakeError", err)
			}
			if he.Status != tt.wantStatus || he.Location != tt.wantLocation {
				t.Errorf("status %d location %q, want %d %q", he.Status, he.Location, tt.wantStatus, tt.wantLocation)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		u := wsURL(s)
		s.Close()
		_, err := Dial(ctxT(t), u, "tok", nil)
		var he *HandshakeError
		if !errors.As(err, &he) || he.Status != 0 {
			t.Fatalf("err = %v, want HandshakeError with status 0", err)
		}
	})
}

// TestPipeServerCloseEndsCleanly: the server ending the stream is a normal
// end whatever close code it sends; jupyter-server-proxy's raw mode sends
// none (1005). Only a failure in between is an error.
func TestPipeServerCloseEndsCleanly(t *testing.T) {
	tests := []struct {
		name    string
		code    websocket.StatusCode
		wantErr bool
	}{
		{"normal", websocket.StatusNormalClosure, false},
		{"going away", websocket.StatusGoingAway, false},
		{"no status (jupyter-server-proxy)", websocket.StatusNoStatusRcvd, false},
		{"internal error", websocket.StatusInternalError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				c.Write(r.Context(), websocket.MessageBinary, []byte("bye"))
				c.Close(tt.code, "")
			}))
			defer s.Close()
			ctx := ctxT(t)
			c, err := Dial(ctx, wsURL(s), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			in, inW := io.Pipe() // ssh has not closed its end
			defer inW.Close()    // … until the test ends: Pipe must not need it
			var out bytes.Buffer
			err = Pipe(ctx, c, in, &out, Options{})
			if (err != nil) != tt.wantErr || out.String() != "bye" {
				t.Errorf("Pipe = %v, out %q; want error %v and %q", err, out.String(), tt.wantErr, "bye")
			}
		})
	}
}
