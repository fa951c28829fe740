// Package httpjson sends one JSON request carrying a JupyterHub token and
// reads the reply: the shared part of hubssh's two HTTP clients, the hub's
// REST API (internal/hubapi) and hubsshd's control API
// (internal/controlapi). What a status means stays with each client.
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Request is one call.
type Request struct {
	Method, URL string
	// Token goes in "Authorization: token …", the one place JupyterHub and
	// jupyter-server read it; never in the URL.
	Token string
	Body  any // sent as JSON when not nil
	// MaxReply bounds the bytes of the reply body read (a misbehaving
	// server cannot make the client hold more).
	MaxReply int64
}

// Reply is the answer: its status, headers and body (at most MaxReply).
type Reply struct {
	Code   int
	Header http.Header
	Body   []byte
}

// Do sends r with hc. An error from hc.Do is returned as it is, for the
// caller to word; a reply of any status is a Reply.
func Do(ctx context.Context, hc *http.Client, r Request) (*Reply, error) {
	var rd io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, fmt.Errorf("encode the request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, rd)
	if err != nil {
		return nil, err
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "token "+r.Token)
	}
	req.Header.Set("Accept", "application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.MaxReply))
	if err != nil {
		return nil, fmt.Errorf("read the reply: %w", err)
	}
	return &Reply{Code: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Decode unmarshals a reply body into out when there is one; an empty
// body leaves out as it is.
func (r *Reply) Decode(out any) error {
	if out == nil || len(bytes.TrimSpace(r.Body)) == 0 {
		return nil
	}
	return json.Unmarshal(r.Body, out)
}
