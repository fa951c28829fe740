package rpc

import (
	"bytes"
	"io"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Stdio joins stdin and stdout into the connection "hubssh serve" speaks
// on. Closing it closes stdout, so the client sees the end.
type Stdio struct {
	In  io.Reader
	Out io.WriteCloser
}

func (s Stdio) Read(p []byte) (int, error)  { return s.In.Read(p) }
func (s Stdio) Write(p []byte) (int, error) { return s.Out.Write(p) }
func (s Stdio) Close() error                { return s.Out.Close() }
