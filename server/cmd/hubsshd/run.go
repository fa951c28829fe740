package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/jspsocket"
	"github.com/hubssh/hubssh/internal/resume"
	"github.com/hubssh/hubssh/internal/version"
	"github.com/hubssh/hubssh/server/internal/activity"
	"github.com/hubssh/hubssh/server/internal/authkeys"
	"github.com/hubssh/hubssh/server/internal/control"
	"github.com/hubssh/hubssh/server/internal/sshd"
)

// Environment variables hubsshd reads. The JUPYTERHUB_* ones are set by the
// hub's spawner in every single-user server; HUBSSHD_* are for admins who
// configure through the image's environment rather than the proxy entry.
const (
	envAPIURL      = "JUPYTERHUB_API_URL"
	envAPIToken    = "JUPYTERHUB_API_TOKEN"
	envActivityURL = "JUPYTERHUB_ACTIVITY_URL"
	envUser        = "JUPYTERHUB_USER"
	envServerName  = "JUPYTERHUB_SERVER_NAME"
	envIdleTimeout = "HUBSSHD_IDLE_TIMEOUT"
	// envActivityInterval sets --activity-interval's default: the image's
	// or spawner's environment reaches both entries, which the
	// jupyter-server-proxy configuration (docs/hubsshd.md) leaves as is.
	envActivityInterval = "HUBSSHD_ACTIVITY_INTERVAL"
	// envResumeWindow sets --resume-window's default the same way.
	envResumeWindow = "HUBSSHD_RESUME_WINDOW"
)

type options struct {
	socket           string
	listen           string
	controlSocket    string
	stateDir         string
	authorizedKeys   []string
	idleTimeout      time.Duration
	activityInterval time.Duration
	resumeWindow     time.Duration
	printVersion     bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("hubsshd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.socket, "socket", "", "serve SSH on this unix socket (jupyter-server-proxy passes {unix_socket})")
	fs.StringVar(&o.listen, "listen", "", "serve SSH on this loopback TCP address instead, e.g. 127.0.0.1:2222 (tests, benchmarks)")
	fs.StringVar(&o.controlSocket, "control-socket", "", "serve the control API (key deployment, host keys) on this unix socket instead of SSH")
	fs.StringVar(&o.stateDir, "state-dir", "", "host key and deployed keys (default $XDG_STATE_HOME/hubsshd or ~/.local/state/hubsshd)")
	fs.Func("authorized-keys", "an authorized_keys file; repeat for more (default ~/.ssh/authorized_keys and STATE_DIR/authorized_keys)", func(s string) error {
		o.authorizedKeys = append(o.authorizedKeys, s)
		return nil
	})
	envDuration := func(name string, dflt time.Duration) (time.Duration, error) {
		v := getenv(name)
		if v == "" {
			return dflt, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s=%q is not a duration like 2h or 30m", name, v)
		}
		return d, nil
	}
	idleDefault, err := envDuration(envIdleTimeout, 0)
	if err != nil {
		return nil, err
	}
	activityDefault, err := envDuration(envActivityInterval, time.Minute)
	if err != nil {
		return nil, err
	}
	fs.DurationVar(&o.idleTimeout, "idle-timeout", idleDefault, "close connections whose channels carried no data for this long, e.g. 2h (default $"+envIdleTimeout+", else never)")
	fs.DurationVar(&o.activityInterval, "activity-interval", activityDefault, "how often SSH use is reported to the hub's idle culler (default $"+envActivityInterval+", else 1m)")
	resumeDefault, err := envDuration(envResumeWindow, resume.DefaultWindow)
	if err != nil {
		return nil, err
	}
	fs.DurationVar(&o.resumeWindow, "resume-window", resumeDefault, "how long a session whose network dropped is kept for hubssh to resume it; 0 turns resume off (default $"+envResumeWindow+", else 15m)")
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
	modes := 0
	for _, s := range []string{o.socket, o.listen, o.controlSocket} {
		if s != "" {
			modes++
		}
	}
	if modes != 1 {
		return nil, errors.New("give exactly one of --socket PATH, --listen 127.0.0.1:PORT or --control-socket PATH")
	}
	if o.activityInterval <= 0 {
		return nil, errors.New("--activity-interval must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, os.Getenv, stderr)
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
	if o.controlSocket != "" {
		err = serveControl(ctx, o, log)
	} else {
		err = serveSSH(ctx, o, log)
	}
	if err != nil {
		log.Error("stopped", "err", err)
		fmt.Fprintln(stderr, "hubsshd:", err)
		return 1
	}
	return 0
}

type paths struct {
	home, state string
	keys        []string
}

func resolvePaths(o *options) (paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return paths{}, fmt.Errorf("find home: %w", err)
	}
	p := paths{home: home, state: o.stateDir, keys: o.authorizedKeys}
	if p.state == "" {
		p.state = defaultStateDir(home)
	}
	if len(p.keys) == 0 {
		p.keys = []string{filepath.Join(home, ".ssh", "authorized_keys"), managedKeys(p.state)}
	}
	return p, nil
}

// managedKeys is the file the control API writes and the SSH server reads.
func managedKeys(stateDir string) string { return filepath.Join(stateDir, "authorized_keys") }

func serveSSH(ctx context.Context, o *options, log *slog.Logger) error {
	p, err := resolvePaths(o)
	if err != nil {
		return err
	}
	hostKeys, err := sshd.LoadOrCreateHostKeys(p.state)
	if err != nil {
		return err
	}
	srv, err := sshd.New(sshd.Config{
		HostKeys:            hostKeys,
		AuthorizedKeysFiles: p.keys,
		Home:                p.home,
		Shell:               loginShell(),
		User:                currentUser(),
		Env:                 os.Environ(),
		Version:             version.Version,
		Log:                 log,
		IdleTimeout:         o.idleTimeout,
	})
	if err != nil {
		return err
	}
	if u, tok := os.Getenv(envActivityURL), os.Getenv(envAPIToken); u != "" && tok != "" {
		r := &activity.Reporter{
			URL: u, Token: tok, Server: os.Getenv(envServerName),
			Interval: o.activityInterval, Last: srv.LastActivity, Log: log,
		}
		go r.Run(ctx)
	} else {
		log.Info("not in a JupyterHub server: SSH use is not reported to the hub", "missing", envActivityURL+" or "+envAPIToken)
	}
	ln, err := listen(o)
	if err != nil {
		return err
	}
	if o.resumeWindow > 0 {
		// Sessions survive the network (docs/resume.md): plain clients
		// (websocat + ssh) are served as before.
		ln = resume.Listen(ln, resume.ServerOptions{Window: o.resumeWindow, Log: log})
	}
	log.Info("serving SSH", "addr", ln.Addr().String(), "version", version.Version,
		"hostkey", ssh.FingerprintSHA256(hostKeys[0].PublicKey()), "idle_timeout", o.idleTimeout, "resume_window", o.resumeWindow)
	return srv.Serve(ctx, ln)
}

func serveControl(ctx context.Context, o *options, log *slog.Logger) error {
	api, user := os.Getenv(envAPIURL), os.Getenv(envUser)
	if api == "" || user == "" {
		return fmt.Errorf("%s and %s are not set: the control API checks tokens with the hub, so it runs only inside a JupyterHub server", envAPIURL, envUser)
	}
	p, err := resolvePaths(o)
	if err != nil {
		return err
	}
	hostKeys, err := sshd.LoadOrCreateHostKeys(p.state)
	if err != nil {
		return err
	}
	var pubs []ssh.PublicKey
	for _, k := range hostKeys {
		pubs = append(pubs, k.PublicKey())
	}
	h := &control.Handler{
		Info: controlapi.Info{Home: p.home, Version: version.Version, User: accountName(os.Getenv)},
		Checker: &control.HubChecker{
			APIURL: api, User: user, Server: os.Getenv(envServerName),
			Allow: 30 * time.Second, Deny: 5 * time.Second,
		},
		Keys:     authkeys.KeyFile{Path: managedKeys(p.state)},
		HostKeys: pubs,
		Log:      log,
	}
	ln, err := jspsocket.Listen(o.controlSocket)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	})
	defer stop()
	log.Info("serving the control API", "addr", ln.Addr().String(), "version", version.Version, "user", user)
	err = hs.Serve(ln)
	// Serve returns as soon as Accept fails; wait for the listener's own
	// Close (socket and directory removed) before the process exits.
	ln.Close()
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func listen(o *options) (net.Listener, error) {
	if o.listen == "" {
		return jspsocket.Listen(o.socket)
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w", o.listen, err)
	}
	// hubsshd must be reachable only through the hub (DESIGN.md, security
	// model 2); a TCP port is for local tests and benchmarks.
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--listen %q: only loopback addresses are allowed; use --socket behind jupyter-server-proxy", o.listen)
	}
	return net.Listen("tcp", o.listen)
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

// accountName is the name of the account hubsshd runs as: the passwd
// entry's, else what the environment says (images run under an arbitrary
// uid often set NB_USER or USER), else "".
func accountName(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"NB_USER", "USER", "LOGNAME"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}
