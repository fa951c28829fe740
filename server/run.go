package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/version"
	"github.com/hubssh/hubssh/server/internal/sshd"
)

type options struct {
	socket         string
	listen         string
	stateDir       string
	authorizedKeys []string
	printVersion   bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("hubsshd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.socket, "socket", "", "listen on this unix socket (jupyter-server-proxy passes {unix_socket})")
	fs.StringVar(&o.listen, "listen", "", "listen on this loopback TCP address instead, e.g. 127.0.0.1:2222 (tests, benchmarks)")
	fs.StringVar(&o.stateDir, "state-dir", "", "where the host key lives (default $XDG_STATE_HOME/hubsshd or ~/.local/state/hubsshd)")
	fs.Func("authorized-keys", "an authorized_keys file; repeat for more (default ~/.ssh/authorized_keys and STATE_DIR/authorized_keys)", func(s string) error {
		o.authorizedKeys = append(o.authorizedKeys, s)
		return nil
	})
	fs.BoolVar(&o.printVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.printVersion {
		return o, nil
	}
	if (o.socket == "") == (o.listen == "") {
		return nil, errors.New("give exactly one of --socket PATH or --listen 127.0.0.1:PORT")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "hubsshd:", err)
		}
		return 2
	}
	if o.printVersion {
		fmt.Fprintln(stderr, "hubsshd", version.Version)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("app", "hubsshd")
	if err := serve(ctx, o, log); err != nil {
		log.Error("stopped", "err", err)
		fmt.Fprintln(stderr, "hubsshd:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o *options, log *slog.Logger) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("find home: %w", err)
	}
	stateDir := o.stateDir
	if stateDir == "" {
		stateDir = defaultStateDir(home)
	}
	keys := o.authorizedKeys
	if len(keys) == 0 {
		keys = []string{filepath.Join(home, ".ssh", "authorized_keys"), filepath.Join(stateDir, "authorized_keys")}
	}
	hostKey, err := sshd.LoadOrCreateHostKey(stateDir)
	if err != nil {
		return err
	}
	cfg := sshd.Config{
		HostKey:             hostKey,
		AuthorizedKeysFiles: keys,
		Home:                home,
		Shell:               loginShell(),
		User:                currentUser(),
		Env:                 os.Environ(),
		Version:             version.Version,
		Log:                 log,
	}
	srv, err := sshd.New(cfg)
	if err != nil {
		return err
	}
	ln, err := listen(o)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", version.Version, "hostkey", ssh.FingerprintSHA256(hostKey.PublicKey()))
	return srv.Serve(ctx, ln)
}

func listen(o *options) (net.Listener, error) {
	if o.listen != "" {
		host, _, err := net.SplitHostPort(o.listen)
		if err != nil {
			return nil, fmt.Errorf("--listen %q: %w", o.listen, err)
		}
		// hubsshd must be reachable only through the hub (DESIGN.md,
		// security model 2); a TCP port is for local tests and benchmarks.
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("--listen %q: only loopback addresses are allowed; use --socket behind jupyter-server-proxy", o.listen)
		}
		return net.Listen("tcp", o.listen)
	}
	// A socket left by a crashed earlier run would make listen fail.
	if st, err := os.Lstat(o.socket); err == nil && st.Mode()&fs.ModeSocket != 0 {
		os.Remove(o.socket)
	}
	ln, err := net.Listen("unix", o.socket)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.socket, err)
	}
	if err := os.Chmod(o.socket, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", o.socket, err)
	}
	return ln, nil
}

func defaultStateDir(home string) string {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "hubsshd")
	}
	return filepath.Join(home, ".local", "state", "hubsshd")
}

// loginShell is $SHELL when it is an absolute path to an executable, else
// bash, else sh. Single-user images do not always set SHELL.
func loginShell() string {
	candidates := []string{os.Getenv("SHELL"), "/bin/bash", "/bin/sh"}
	for _, c := range candidates {
		if !filepath.IsAbs(c) {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c
		}
	}
	return "/bin/sh"
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strings.TrimSpace(os.Getenv("USER"))
}
