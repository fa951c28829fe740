package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"

	"github.com/hubssh/hubssh/internal/jspsocket"
)

// pipeBackend serves the benchmark's measure of the hub's pipe itself (no
// SSH): jupyter-server-proxy relays a raw websocket to this unix socket, or
// with --websocket (its HTTP mode) proxies the websocket itself to an HTTP
// server here. Each connection starts with one line:
//
//	sink N     read N bytes, then answer "done\n"
//	source N   write N zero bytes
//	echo       write back whatever arrives
func pipeBackend(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pipe-backend", flag.ContinueOnError)
	sock := fs.String("socket", "", "unix socket to listen on")
	ws := fs.Bool("websocket", false, "serve HTTP and take websockets (jupyter-server-proxy's HTTP mode) instead of raw bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := jspsocket.Listen(*sock)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	if *ws {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Only jupyter-server-proxy reaches this socket; the Origin it
			// forwards is the user's browser's or none.
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
			if err != nil {
				return
			}
			c.SetReadLimit(-1)
			servePipe(websocket.NetConn(r.Context(), c, websocket.MessageBinary))
		})}
		srv.Serve(ln)
		ln.Close() // waits for the socket and its directory to go
		return nil
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			ln.Close()
			return nil
		}
		go servePipe(c)
	}
}

func servePipe(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 256<<10)
	line, err := r.ReadString('\n')
	if err != nil {
		return // jupyter-server-proxy's readiness probe
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return
	}
	n := int64(0)
	if len(f) > 1 {
		n, _ = strconv.ParseInt(f[1], 10, 64)
	}
	switch f[0] {
	case "sink":
		if _, err := io.CopyN(io.Discard, r, n); err == nil {
			fmt.Fprint(c, "done\n")
		}
	case "source":
		buf := make([]byte, 256<<10)
		for n > 0 {
			k := min(int64(len(buf)), n)
			if _, err := c.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
		io.Copy(io.Discard, r) // until the client closes
	case "echo":
		io.Copy(c, r)
	}
}
