package devhub

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hubssh/hubssh/docs"
	"github.com/hubssh/hubssh/internal/controlapi"
)

// hubConfig renders jupyterhub_config.py. Values go through JSON, whose
// strings, numbers and lists Python reads the same way.
func hubConfig(p configParams) string {
	q := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // only plain strings, ints and lists reach here
		}
		return string(b)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by hubssh's devhub for a throwaway local hub. Do not edit.")
	w("c = get_config()  # noqa")
	w("c.JupyterHub.bind_url = %s", q(fmt.Sprintf("http://127.0.0.1:%d", p.publicPort)))
	w("c.JupyterHub.hub_bind_url = %s", q(fmt.Sprintf("http://127.0.0.1:%d", p.hubPort)))
	if p.subdomains {
		w("c.JupyterHub.subdomain_host = %s", q("http://"+publicHost(true, p.publicPort)))
	}
	w("c.ConfigurableHTTPProxy.api_url = %s", q(fmt.Sprintf("http://127.0.0.1:%d", p.proxyAPIPort)))
	w("c.ConfigurableHTTPProxy.command = %s", q([]string{p.chp}))
	w("c.ConfigurableHTTPProxy.pid_file = %s", q(p.dir+"/proxy.pid"))
	w("c.JupyterHub.db_url = %s", q("sqlite:///"+p.dir+"/jupyterhub.sqlite"))
	w("c.JupyterHub.cookie_secret_file = %s", q(p.dir+"/cookie_secret"))
	w("c.JupyterHub.pid_file = %s", q(p.dir+"/jupyterhub.pid"))
	w(`c.JupyterHub.authenticator_class = "dummy"`)
	w("c.Authenticator.allow_all = True")
	w(`c.JupyterHub.spawner_class = "simple"`)
	w("c.SimpleLocalProcessSpawner.home_dir_template = %s", q(p.dir+"/home/{username}"))
	w("c.Spawner.cmd = %s", q([]string{p.venv + "/bin/jupyterhub-singleuser"}))
	// The machines run as root; a real deployment never needs this.
	w(`c.Spawner.args = ["--allow-root"]`)
	env := map[string]string{
		"JUPYTER_CONFIG_DIR": p.dir + "/jupyter-config",
		"SHELL":              "/bin/bash",
		MarkerEnv:            p.dir,
	}
	for k, v := range p.env {
		env[k] = v
	}
	w("c.Spawner.environment = %s", q(env))
	w("c.Spawner.start_timeout = 60")
	w("c.Spawner.http_timeout = 30")
	w("c.JupyterHub.allow_named_servers = True")
	w("c.JupyterHub.last_activity_interval = 10")
	// POST …/server returns 202 at once, so spawn progress is observable.
	w(`c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}`)
	w(`c.JupyterHub.services = [{"name": "devhub-admin", "api_token": %s}]`, q(p.adminToken))
	w(`c.JupyterHub.load_roles = [{"name": "devhub-admin", "services": ["devhub-admin"],`)
	w(`    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}]`)
	if len(p.imageEnvs) > 0 {
		// Users whose servers run from an image environment of their own
		// (Options.ImageEnvs), with no Jupyter configuration of devhub's.
		w("_image_envs = %s", q(p.imageEnvs))
		w("def _image_env(spawner):")
		w("    image = _image_envs.get(spawner.user.name)")
		w("    if image:")
		w(`        spawner.cmd = [image["venv"] + "/bin/jupyterhub-singleuser"]`)
		w(`        spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_DIR=%s, **image.get("env", {}))`, q(p.dir+"/jupyter-config-image"))
		w("c.Spawner.pre_spawn_hook = _image_env")
	}
	if p.extra != "" {
		w("# extra configuration from the caller")
		b.WriteString(p.extra)
		b.WriteString("\n")
	}
	return b.String()
}

type configParams struct {
	dir, venv, chp                    string
	publicPort, hubPort, proxyAPIPort int
	adminToken                        string
	extra                             string
	env                               map[string]string
	imageEnvs                         map[string]ImageEnv
	subdomains                        bool
}

// pyString quotes s as a Python string literal (JSON's rules are a subset).
func pyString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// docsBinary is where docs/hubsshd.md's by-hand configuration puts the
// binary; serverProxyConfig puts the harness's there instead.
const docsBinary = "/usr/local/bin/hubsshd"

// serverProxyConfig is the single-user server's jupyter_server_config.json:
// the by-hand configuration of docs/hubsshd.md ("By hand: the binary and a
// configuration file"), byte for byte but for the binary's path — the
// jupyter-server-proxy entry "sshd" (hubsshd on a private unix socket,
// raw websocket bytes, the entry name jupyter-sshd-proxy uses) and
// "sshd-control", the control API in HTTP mode.
func serverProxyConfig(hubsshd string) ([]byte, error) {
	block, err := docsConfigBlock(docs.HubsshdMD)
	if err != nil {
		return nil, err
	}
	if strings.Count(block, `"`+docsBinary+`"`) != 2 {
		return nil, fmt.Errorf("docs/hubsshd.md: the configuration block names %s %d times, want 2 (both entries)", docsBinary, strings.Count(block, docsBinary))
	}
	q, _ := json.Marshal(hubsshd)
	out := strings.ReplaceAll(block, `"`+docsBinary+`"`, string(q))
	var cfg struct {
		ServerProxy struct {
			Servers map[string]json.RawMessage `json:"servers"`
		}
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		return nil, fmt.Errorf("docs/hubsshd.md: the configuration block is not JSON: %w", err)
	}
	if cfg.ServerProxy.Servers["sshd"] == nil || cfg.ServerProxy.Servers[controlapi.EntryName] == nil {
		return nil, fmt.Errorf("docs/hubsshd.md: the configuration block lacks the sshd or %s entry", controlapi.EntryName)
	}
	return []byte(out), nil
}

// docsConfigBlock finds the one json code block of md that configures
// ServerProxy.
func docsConfigBlock(md []byte) (string, error) {
	var found []string
	parts := strings.Split(string(md), "```json\n")
	for _, p := range parts[1:] {
		body, _, ok := strings.Cut(p, "```")
		if ok && strings.Contains(body, `"ServerProxy"`) {
			found = append(found, body)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("docs/hubsshd.md has %d json blocks configuring ServerProxy, want 1", len(found))
	}
	return found[0], nil
}
