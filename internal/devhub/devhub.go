// Package devhub runs a real JupyterHub on loopback for the demo, the
// end-to-end tests and the benchmarks: JupyterHub 5 with
// configurable-http-proxy in front, SimpleLocalProcessSpawner, and
// jupyter-server-proxy starting hubsshd inside each user's server. Nothing
// in it is faked; it only needs the Python venv and the npm proxy that
// scripts/setup installs.
package devhub

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hubssh/hubssh/internal/hubapi"
)

// MarkerEnv is set in every process the hub spawns, so Close can find and
// stop stragglers a crashed run would otherwise leave behind.
const MarkerEnv = "HUBSSH_DEVHUB_DIR"

// Options say where the parts are. All paths must be absolute.
type Options struct {
	Venv    string   // a venv with jupyterhub, jupyter_server, jupyter-server-proxy
	CHP     string   // the configurable-http-proxy executable
	Hubsshd string   // the hubsshd binary the servers run
	Dir     string   // state directory; created if missing
	Users   []string // created at start, each with a token (default alice, bob)
	Extra   string   // appended to jupyterhub_config.py
	// ActivityInterval is hubsshd's activity interval, through
	// $HUBSSHD_ACTIVITY_INTERVAL in the servers' environment (tests shorten it
	// to see SSH use reach the hub quickly); empty keeps hubsshd's default.
	ActivityInterval string
	// ServerConfigPy, if set, is Python appended to the single-user
	// servers' configuration after hubsshd's entries are defined, e.g. to
	// add entries ("c.ServerProxy.servers['x'] = {...}"). The benchmark
	// uses it for the peer stacks.
	ServerConfigPy string
	// Env is added to every single-user server's environment.
	Env map[string]string
	// ImageEnvs maps users to a Python environment of their own, as a
	// single-user image would have: their servers run that environment's
	// jupyterhub-singleuser with an empty Jupyter config directory, so
	// jupyter-server-proxy sees only what is installed there (the
	// jupyter-hubsshd wheel's entry points), no configuration of devhub's.
	ImageEnvs map[string]ImageEnv
	// Subdomains runs the hub with c.JupyterHub.subdomain_host: the hub at
	// http://localhost:PORT/, each user's server on its own host
	// (http://alice.localhost:PORT/user/alice/), as sites with subdomain
	// isolation run it. The names under localhost reach loopback only
	// through a client that maps them (hubssh does, RFC 6761).
	Subdomains bool
}

// ImageEnv is a single-user image's Python environment.
type ImageEnv struct {
	Venv string            `json:"venv"`          // runs Venv/bin/jupyterhub-singleuser
	Env  map[string]string `json:"env,omitempty"` // added to the server's environment (PYTHONPATH, say)
}

// Hub is a running local JupyterHub.
type Hub struct {
	URL    *url.URL
	Dir    string
	admin  string
	tokens map[string]string
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // from cmd.Wait, valid after done
	once   sync.Once
	tmp    string // the servers' TMPDIR, or "" when they use the system's
	// proxyKilled: KillProxy ran, so one configurable-http-proxy may
	// outlive the hub (see KillProxy).
	proxyKilled bool
}

// Start writes the configuration, starts the hub and waits until its API
// answers and the users exist. The hub's log is in Dir/jupyterhub.log.
func Start(ctx context.Context, o Options) (*Hub, error) {
	if err := checkOptions(&o); err != nil {
		return nil, err
	}
	for _, d := range []string{"jupyter-config", "jupyter-config-image"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create hub dir: %w", err)
		}
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	admin := randomToken()
	// The servers get a TMPDIR of their own, so Close can tell whether
	// hubsshd removed the socket directories jupyter-server-proxy makes
	// there (it never does), and nothing is left in /tmp. Only when the
	// socket paths stay within the 104-byte limit (macOS; Linux allows 108).
	tmp := filepath.Join(o.Dir, "tmp")
	if len(tmp+"/jupyter-server-proxy-12345678/socket") >= 104 {
		tmp = ""
	} else if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("make the servers' TMPDIR: %w", err)
	}
	env := map[string]string{}
	for k, v := range o.Env {
		env[k] = v
	}
	if _, set := env["TMPDIR"]; !set && tmp != "" {
		env["TMPDIR"] = tmp
	}
	if o.ActivityInterval != "" {
		env["HUBSSHD_ACTIVITY_INTERVAL"] = o.ActivityInterval
	}
	cfg := hubConfig(configParams{
		dir: o.Dir, venv: o.Venv, chp: o.CHP,
		publicPort: ports[0], hubPort: ports[1], proxyAPIPort: ports[2],
		adminToken: admin, extra: o.Extra, env: env, imageEnvs: o.ImageEnvs,
		subdomains: o.Subdomains,
	})
	cfgPath := filepath.Join(o.Dir, "jupyterhub_config.py")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("write hub config: %w", err)
	}
	spc, err := serverProxyConfig(o.Hubsshd)
	if err != nil {
		return nil, err
	}
	name, content := "jupyter_server_config.json", spc
	if o.ServerConfigPy != "" {
		// One Python file: a .json beside it would replace the whole
		// servers dict it builds (traitlets replaces dict values).
		name = "jupyter_server_config.py"
		content = []byte("import json\nc.ServerProxy.servers = json.loads(" + pyString(string(spc)) + ")[\"ServerProxy\"][\"servers\"]\n" + o.ServerConfigPy + "\n")
	}
	if err := os.WriteFile(filepath.Join(o.Dir, "jupyter-config", name), content, 0o600); err != nil {
		return nil, fmt.Errorf("write server config: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(o.Dir, "jupyterhub.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open hub log: %w", err)
	}
	defer logf.Close()

	cmd := exec.Command(filepath.Join(o.Venv, "bin", "jupyterhub"), "-f", cfgPath)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(o.Venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"VIRTUAL_ENV="+o.Venv,
		MarkerEnv+"="+o.Dir,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: Close signals the hub and the proxy together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start jupyterhub: %w", err)
	}
	h := &Hub{
		URL:    &url.URL{Scheme: "http", Host: publicHost(o.Subdomains, ports[0]), Path: "/"},
		Dir:    o.Dir,
		admin:  admin,
		tokens: map[string]string{},
		cmd:    cmd,
		done:   make(chan struct{}),
		tmp:    tmp,
	}
	go func() {
		h.err = cmd.Wait()
		close(h.done)
	}()
	if err := h.setup(ctx, o.Users); err != nil {
		h.Close()
		return nil, fmt.Errorf("%w\n%s", err, h.LogTail(30))
	}
	return h, nil
}

func checkOptions(o *Options) error {
	for name, p := range map[string]string{"Venv": o.Venv, "CHP": o.CHP, "Hubsshd": o.Hubsshd, "Dir": o.Dir} {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("devhub: %s must be an absolute path, got %q", name, p)
		}
	}
	for _, p := range []string{filepath.Join(o.Venv, "bin", "jupyterhub"), o.CHP, o.Hubsshd} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("devhub: %s is missing: run scripts/setup first (%w)", p, err)
		}
	}
	if len(o.Users) == 0 {
		o.Users = []string{"alice", "bob"}
	}
	return nil
}

func (h *Hub) setup(ctx context.Context, users []string) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := h.waitReady(ctx); err != nil {
		return err
	}
	api := h.Admin()
	if err := api.CreateUsers(ctx, users...); err != nil {
		return fmt.Errorf("create users: %w", err)
	}
	for _, u := range users {
		tok, err := api.NewToken(ctx, u, hubapi.TokenRequest{Note: "devhub test token"})
		if err != nil {
			return fmt.Errorf("token for %s: %w", u, err)
		}
		h.tokens[u] = tok.Token
	}
	return nil
}

// waitReady polls /hub/api/ until it answers 200; the proxy answers 404 or
// 503 while the hub is still starting.
func (h *Hub) waitReady(ctx context.Context) error {
	u := h.URL.String() + "hub/api/"
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-h.done:
			return fmt.Errorf("jupyterhub exited while starting: %v", h.err)
		case <-ctx.Done():
			return fmt.Errorf("jupyterhub did not answer at %s: %w", u, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Token returns the API token minted for user at start.
func (h *Hub) Token(user string) string { return h.tokens[user] }

// AdminToken is the harness's admin service token, for tests that need
// raw API calls.
func (h *Hub) AdminToken() string { return h.admin }

// Admin is an API client with the harness's admin service token.
func (h *Hub) Admin() *hubapi.Client { return hubapi.NewClient(h.URL, h.admin, nil) }

// Client is an API client with user's token.
func (h *Hub) Client(user string) *hubapi.Client {
	return hubapi.NewClient(h.URL, h.tokens[user], nil)
}

// Home is user's home directory on this machine.
func (h *Hub) Home(user string) string { return filepath.Join(h.Dir, "home", user) }

// StartServer starts a server and waits until it is ready.
func (h *Hub) StartServer(ctx context.Context, user, server string) error {
	api := h.Admin()
	if _, err := api.StartServer(ctx, user, server, nil); err != nil {
		return err
	}
	return api.WaitServer(ctx, user, server, true)
}

// StopServer stops a server and waits until the hub forgot it.
func (h *Hub) StopServer(ctx context.Context, user, server string) error {
	api := h.Admin()
	if err := api.StopServer(ctx, user, server); err != nil {
		return err
	}
	return api.WaitServer(ctx, user, server, false)
}

// LogTail returns the last n lines of the hub's log, for failure messages.
func (h *Hub) LogTail(n int) string {
	f, err := os.Open(filepath.Join(h.Dir, "jupyterhub.log"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return "--- last lines of " + filepath.Join(h.Dir, "jupyterhub.log") + " ---\n" + strings.Join(lines, "\n")
}

// Close stops the hub: SIGTERM (it stops its servers and the proxy), then
// SIGKILL for the group after 20 s, then any process the hub spawned that is
// still alive. It returns an error naming stragglers it had to kill.
func (h *Hub) Close() error {
	var err error
	h.once.Do(func() { err = h.stop() })
	return err
}

func (h *Hub) stop() error {
	pgid := h.cmd.Process.Pid
	syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-h.done
	}
	// The proxy and the user servers run in sessions of their own; any of
	// them still alive is found by the marker in its environment.
	syscall.Kill(-pgid, syscall.SIGKILL)
	stray := killMarked(h.Dir)
	if h.proxyKilled {
		stray = slices.DeleteFunc(stray, func(s string) bool { return strings.HasSuffix(s, " (node)") })
	}
	if len(stray) > 0 {
		return fmt.Errorf("devhub: killed %d process(es) left after the hub stopped: %s", len(stray), strings.Join(stray, ", "))
	}
	return h.checkSocketDirs()
}

// KillProxy kills the hub's configurable-http-proxy, as a crash would;
// JupyterHub's check_running starts another within about 5 s and restores
// the routes. It returns the killed process's pid.
//
// JupyterHub 5 then runs two periodic checks (start() adds one and the one
// that restarted the proxy is never stopped), and at shutdown the stale one
// may start a proxy again after stop() ended the current one. That one
// outlives the hub; Close kills it without counting it as a leak.
func (h *Hub) KillProxy() (int, error) {
	b, err := os.ReadFile(filepath.Join(h.Dir, "proxy.pid"))
	if err != nil {
		return 0, fmt.Errorf("find the proxy: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("find the proxy: proxy.pid holds %q", b)
	}
	h.proxyKilled = true
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill configurable-http-proxy %d: %w", pid, err)
	}
	return pid, nil
}

// ProxyPID is the pid in the proxy's pid file, or 0.
func (h *Hub) ProxyPID() int {
	b, _ := os.ReadFile(filepath.Join(h.Dir, "proxy.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// checkSocketDirs reports socket directories of jupyter-server-proxy that
// outlived the servers: hubsshd (and the benchmark's pipe backend) remove
// theirs when they stop (internal/jspsocket).
func (h *Hub) checkSocketDirs() error {
	if h.tmp == "" {
		return nil
	}
	left, err := filepath.Glob(filepath.Join(h.tmp, "jupyter-server-proxy-*"))
	if err != nil || len(left) == 0 {
		return err
	}
	return fmt.Errorf("devhub: %d socket director(ies) of jupyter-server-proxy left after the servers stopped (a process it started did not remove its own): %s", len(left), strings.Join(left, ", "))
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// publicHost is where users reach the hub.
func publicHost(subdomains bool, port int) string {
	if subdomains {
		return fmt.Sprintf("localhost:%d", port)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}
