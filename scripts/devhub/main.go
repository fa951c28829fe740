// Command devhub runs a real JupyterHub on loopback with hubsshd in its user
// servers. "devhub demo" is the README's main job: start the hub, then, in a
// throwaway home, run what a new user types — "hubssh login" and "hubssh
// connect", which starts alice's server and opens a live ssh session
// through hubssh. "devhub serve" keeps a hub running for experiments.
// scripts/demo installs everything first.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hubssh/hubssh/internal/atomicfile"
	"github.com/hubssh/hubssh/internal/devhub"
)

// tokenEnv is where hubssh proxy reads the token (helper/internal/cli.TokenEnv).
const tokenEnv = "HUBSSH_TOKEN"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	devhub.Options
	hubssh    string
	readyFile string
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "pipe-backend" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := pipeBackend(ctx, args[1:]); err != nil {
			fmt.Fprintln(stderr, "devhub pipe-backend:", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || (args[0] != "demo" && args[0] != "serve") {
		fmt.Fprintln(stderr, "usage: devhub demo [flags] [-- command args…] | devhub serve [flags]")
		return 2
	}
	mode := args[0]
	o := options{}
	fs := flag.NewFlagSet("devhub "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Venv, "venv", "", "venv with jupyterhub and jupyter-server-proxy")
	fs.StringVar(&o.CHP, "chp", "", "configurable-http-proxy executable")
	fs.StringVar(&o.Hubsshd, "hubsshd", "", "hubsshd binary")
	fs.StringVar(&o.hubssh, "hubssh", "", "hubssh binary")
	fs.StringVar(&o.Dir, "dir", "", "state directory (default: a new temporary one, removed at exit)")
	fs.StringVar(&o.readyFile, "ready-file", "", "serve: once the hub is up, write its URL, users' tokens and admin token here as JSON (0600), for test runners")
	fs.Func("server-env", "K=V added to every user server's environment (repeatable; debugging, profiling)", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want K=V, got %q", kv)
		}
		if o.Env == nil {
			o.Env = map[string]string{}
		}
		o.Env[k] = v
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := absPaths(&o); err != nil {
		fmt.Fprintln(stderr, "devhub:", err)
		return 2
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "hubssh-devhub-")
		if err != nil {
			fmt.Fprintln(stderr, "devhub:", err)
			return 1
		}
		defer os.RemoveAll(d)
		o.Dir = d
	}
	code, err := session(ctx, mode, o, fs.Args(), stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "devhub:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func absPaths(o *options) error {
	for _, p := range []*string{&o.Venv, &o.CHP, &o.Hubsshd, &o.hubssh, &o.Dir} {
		if *p == "" {
			continue
		}
		a, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = a
	}
	if o.Venv == "" || o.CHP == "" || o.Hubsshd == "" || o.hubssh == "" {
		return errors.New("--venv, --chp, --hubsshd and --hubssh are required (scripts/demo passes them)")
	}
	return nil
}

func session(ctx context.Context, mode string, o options, cmdArgs []string, stdout, stderr io.Writer) (int, error) {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "devhub: "+format+"\n", args...) }
	t0 := time.Now()
	hub, err := devhub.Start(ctx, o.Options)
	if err != nil {
		return 1, fmt.Errorf("start hub: %w", err)
	}
	defer func() {
		if err := hub.Close(); err != nil {
			say("%v", err)
		}
	}()
	say("JupyterHub is up at %s (%.1f s)", hub.URL, time.Since(t0).Seconds())

	if mode == "serve" {
		return serve(ctx, hub, o.readyFile, say)
	}

	// A new user's machine: a home of its own (hubssh's config, ssh
	// config, key), so the demo never touches the real ones.
	home := filepath.Join(o.Dir, "user-home")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		return 1, err
	}
	env := append(os.Environ(), "HOME="+home, "HUBSSH_CONFIG_DIR="+filepath.Join(home, ".config", "hubssh"), "HUBSSH_NO_KEYRING=1")
	run := func(stdin io.Reader, out io.Writer, args ...string) (int, error) {
		say("$ hubssh %s", strings.Join(args, " "))
		cmd := exec.Command(o.hubssh, args...)
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, stdin, out, stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), nil
			}
			return 1, fmt.Errorf("run hubssh: %w", err)
		}
		return 0, nil
	}
	// What a user types: the token goes to the prompt (here, on stdin),
	// never on a command line.
	say("a new user's machine in %s; alice's token is piped to the prompt", home)
	// Its report is narration too: stdout is the session's alone.
	if code, err := run(strings.NewReader(hub.Token("alice")+"\n"), stderr, "login", "--token-stdin", hub.URL.String()); code != 0 || err != nil {
		return cmp.Or(code, 1), err
	}
	args := []string{"connect"}
	if len(cmdArgs) == 0 {
		say("hubssh connect starts alice's server and opens an ssh session into it; type exit to end the demo")
	} else {
		args = append(append(args, "--"), cmdArgs...)
	}
	// Ctrl-C belongs to the ssh session now; ctx still stops the hub after.
	return run(os.Stdin, stdout, args...)
}

func serve(ctx context.Context, hub *devhub.Hub, readyFile string, say func(string, ...any)) (int, error) {
	tokFile := filepath.Join(hub.Dir, "alice.token")
	if err := os.WriteFile(tokFile, []byte(hub.Token("alice")), 0o600); err != nil {
		return 1, err
	}
	say("alice's token is in %s (export %s=\"$(cat %s)\")", tokFile, tokenEnv, tokFile)
	if readyFile != "" {
		// Tokens go through a private file, never argv or a log.
		ready := struct {
			URL    string            `json:"url"`
			Dir    string            `json:"dir"`
			Admin  string            `json:"admin"`
			Tokens map[string]string `json:"tokens"`
		}{URL: hub.URL.String(), Dir: hub.Dir, Admin: hub.AdminToken(), Tokens: map[string]string{}}
		for _, u := range []string{"alice", "bob"} {
			ready.Tokens[u] = hub.Token(u)
		}
		b, _ := json.Marshal(ready)
		if err := atomicfile.Write(readyFile, b, 0o600); err != nil {
			return 1, fmt.Errorf("write the ready file: %w", err)
		}
	}
	say("state and logs in %s; Ctrl-C stops the hub", hub.Dir)
	<-ctx.Done()
	return 0, nil
}
