package devhub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// NewKey writes a fresh ed25519 key pair to dir/id_ed25519{,.pub} and
// returns the private key path and the public key line.
func NewKey(dir string) (path string, pub []byte, err error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "devhub")
	if err != nil {
		return "", nil, err
	}
	sshPub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", nil, fmt.Errorf("write key: %w", err)
	}
	pub = ssh.MarshalAuthorizedKey(sshPub)
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return "", nil, fmt.Errorf("write key: %w", err)
	}
	return path, pub, nil
}

// Control is a control API client for owner's server named server, with
// who's token: what hubssh uses to deploy keys and read host keys. The
// server's URL is the one without subdomains.
func (h *Hub) Control(who, owner, server string) *controlapi.Client {
	u, err := hubapi.ServerURL(h.URL, "", owner, server)
	if err != nil {
		panic(err) // base.Parse of an escaped relative path cannot fail
	}
	return &controlapi.Client{Server: u, Token: h.tokens[who]}
}

// DeployKey deploys a public key line to a running server through hubsshd's
// control API, as hubssh does.
func (h *Hub) DeployKey(ctx context.Context, user, server string, pub []byte) error {
	_, err := h.Control(user, user, server).AddKey(ctx, string(pub))
	return err
}

// HostKey reads the server's host key through the control API.
func (h *Hub) HostKey(ctx context.Context, user, server string) (string, error) {
	keys, err := h.Control(user, user, server).HostKeys(ctx)
	if err != nil {
		return "", err
	}
	return keys[0], nil
}

// AuthorizeKey appends an authorized_keys line to user's ~/.ssh directly on
// disk, as a user would from a JupyterLab terminal (no control API needed).
func (h *Hub) AuthorizeKey(user string, pub []byte) error {
	dir := filepath.Join(h.Home(user), ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("authorize key: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "authorized_keys"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("authorize key: %w", err)
	}
	if _, err := f.Write(pub); err != nil {
		f.Close()
		return fmt.Errorf("authorize key: %w", err)
	}
	return f.Close()
}
