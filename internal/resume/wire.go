// Package resume keeps one byte stream alive across broken transports: the
// stream between "hubssh proxy" and hubsshd, so that every SSH client on top
// keeps one unbroken SSH connection when the websocket under it drops (a
// proxy restart, a Wi-Fi change, a laptop asleep). docs/resume.md is the
// protocol; this file is its wire format.
//
// Negotiation is in band and invisible to plain clients. hubsshd opens every
// connection with an advertisement line, which RFC 4253 §4.2 lets a server
// send before its identification and which every SSH client skips. A
// resuming client answers with a line that begins with a NUL byte, which an
// SSH identification can never contain; anything else is a plain client and
// gets plain SSH. A resuming client that sees no advertisement (an older
// hubsshd) carries plain SSH too.
package resume

import (
	"bufio"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Magic opens the advertisement and every handshake line.
const Magic = "HUBSSH-RESUME-1"

// maxLine bounds a handshake line; the longest is under 200 bytes.
const maxLine = 512

// Advert is hubsshd's first line: who it is and what it offers.
type Advert struct {
	Instance string        // random per hubsshd process: a resume aimed at another fails at once
	Key      []byte        // ephemeral X25519 public key of this connection
	Window   time.Duration // how long a detached session is kept
}

func (a Advert) line() string {
	return fmt.Sprintf("%s %s %s %d\r\n", Magic, a.Instance, b64(a.Key), int(a.Window.Seconds()))
}

// parseAdvert reads an advertisement line; ok is false for any other line
// (an older hubsshd's SSH identification).
func parseAdvert(line string) (a Advert, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != Magic {
		return Advert{}, false, nil
	}
	if len(f) != 4 {
		return Advert{}, true, fmt.Errorf("resume advertisement %q: want 4 fields", strings.TrimSpace(line))
	}
	key, err := unb64(f[2])
	if err != nil {
		return Advert{}, true, fmt.Errorf("resume advertisement key: %w", err)
	}
	secs, err := strconv.Atoi(f[3])
	if err != nil || secs < 0 {
		return Advert{}, true, fmt.Errorf("resume advertisement window %q", f[3])
	}
	return Advert{Instance: f[1], Key: key, Window: time.Duration(secs) * time.Second}, true, nil
}

// ParseAdvert reports whether line is a resume advertisement, and what it
// offers (hubssh doctor reports it).
func ParseAdvert(line string) (Advert, bool) {
	a, ok, err := parseAdvert(line)
	return a, ok && err == nil
}

// hello is the client's answer: a new session, or a resume of one.
type hello struct {
	New      bool
	Key      []byte // NEW: the client's ephemeral X25519 public key
	ID       string // RESUME: the session
	Received uint64 // RESUME: bytes the client has received
	Nonce    []byte // RESUME: freshness for the server's proof
	Proof    []byte // RESUME: HMAC(secret, the server's fresh key …)
}

func (h hello) line() string {
	if h.New {
		return fmt.Sprintf("\x00%s NEW %s\r\n", Magic, b64(h.Key))
	}
	return fmt.Sprintf("\x00%s RESUME %s %d %s %s\r\n", Magic, h.ID, h.Received, b64(h.Nonce), b64(h.Proof))
}

func parseHello(line string) (hello, error) {
	f := strings.Fields(strings.TrimPrefix(line, "\x00"))
	bad := fmt.Errorf("resume hello %q", strings.TrimSpace(strings.TrimPrefix(line, "\x00")))
	if len(f) < 3 || f[0] != Magic {
		return hello{}, bad
	}
	switch {
	case f[1] == "NEW" && len(f) == 3:
		key, err := unb64(f[2])
		if err != nil {
			return hello{}, bad
		}
		return hello{New: true, Key: key}, nil
	case f[1] == "RESUME" && len(f) == 6:
		n, err1 := strconv.ParseUint(f[3], 10, 64)
		nonce, err2 := unb64(f[4])
		proof, err3 := unb64(f[5])
		if err1 != nil || err2 != nil || err3 != nil {
			return hello{}, bad
		}
		return hello{ID: f[2], Received: n, Nonce: nonce, Proof: proof}, nil
	}
	return hello{}, bad
}

// Refusals a server gives, each its own word on the wire.
var (
	ErrUnknownSession = errors.New("the server no longer holds this session")
	ErrBadProof       = errors.New("the resume proof did not match")
	ErrRestarted      = errors.New("the server was restarted")
	ErrOutOfRange     = errors.New("a stream position is outside the replay buffer")
	ErrExpired        = errors.New("detached longer than the server's window")
)

var refusalWords = map[string]error{
	"unknown-session": ErrUnknownSession,
	"bad-proof":       ErrBadProof,
	"out-of-range":    ErrOutOfRange,
}

func refusalWord(err error) string {
	for w, e := range refusalWords {
		if errors.Is(err, e) {
			return w
		}
	}
	return "unknown-session"
}

// reply is the server's answer to a hello.
type reply struct {
	Err      error  // a refusal
	ID       string // NEW: the session's ID, as the client derived it too
	Received uint64 // RESUME: bytes the server has received
	Proof    []byte // RESUME: the server knows the secret as well
}

func (r reply) line() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("\x00%s ERR %s\r\n", Magic, refusalWord(r.Err))
	case r.Proof == nil:
		return fmt.Sprintf("\x00%s OK %s\r\n", Magic, r.ID)
	}
	return fmt.Sprintf("\x00%s OK %d %s\r\n", Magic, r.Received, b64(r.Proof))
}

func parseReply(line string, resuming bool) (reply, error) {
	f := strings.Fields(strings.TrimPrefix(line, "\x00"))
	bad := fmt.Errorf("resume reply %q", strings.TrimSpace(strings.TrimPrefix(line, "\x00")))
	if !strings.HasPrefix(line, "\x00") || len(f) < 3 || f[0] != Magic {
		return reply{}, bad
	}
	switch {
	case f[1] == "ERR":
		if e, ok := refusalWords[f[2]]; ok {
			return reply{Err: e}, nil
		}
		return reply{Err: fmt.Errorf("the server refused the resume (%s)", f[2])}, nil
	case f[1] == "OK" && !resuming && len(f) == 3:
		return reply{ID: f[2]}, nil
	case f[1] == "OK" && resuming && len(f) == 4:
		n, err := strconv.ParseUint(f[2], 10, 64)
		proof, perr := unb64(f[3])
		if err != nil || perr != nil {
			return reply{}, bad
		}
		return reply{Received: n, Proof: proof}, nil
	}
	return reply{}, bad
}

// readLine reads one handshake line, at most maxLine bytes.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for len(b) < maxLine {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		b = append(b, c)
		if c == '\n' {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("resume handshake line longer than %d bytes", maxLine)
}

// keys is one side's ephemeral key pair.
func newKey() (*ecdh.PrivateKey, error) { return ecdh.X25519().GenerateKey(rand.Reader) }

// derive is what a new session's two ends agree on: its ID (public) and
// its secret (never sent). instance binds them to one hubsshd.
func derive(priv *ecdh.PrivateKey, peer []byte, serverKey, clientKey []byte, instance string) (id string, secret []byte, err error) {
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return "", nil, fmt.Errorf("resume key: %w", err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return "", nil, fmt.Errorf("resume key exchange: %w", err)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(Magic), shared, serverKey, clientKey, []byte(instance)} {
		h.Write(lenPrefix(part))
	}
	prk := h.Sum(nil)
	return hex.EncodeToString(mac(prk, "id")[:16]), mac(prk, "secret"), nil
}

// clientProof proves the secret for one fresh server key: a recorded proof
// is worthless on the next connection, whose server key is new.
func clientProof(secret []byte, id string, serverKey, nonce []byte, received uint64) []byte {
	return mac(secret, "client", []byte(id), serverKey, nonce, []byte(strconv.FormatUint(received, 10)))
}

// serverProof proves to the client that the server holds the secret too.
func serverProof(secret []byte, id string, serverKey, nonce []byte, received uint64) []byte {
	return mac(secret, "server", []byte(id), serverKey, nonce, []byte(strconv.FormatUint(received, 10)))
}

func mac(key []byte, label string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(lenPrefix([]byte(label)))
	for _, p := range parts {
		m.Write(lenPrefix(p))
	}
	return m.Sum(nil)
}

func lenPrefix(b []byte) []byte {
	return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func nonce() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}
