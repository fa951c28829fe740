package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/term"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/rpc"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// asExit turns a core error into the CLI's exitError.
func asExit(err error) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return &exitError{code: codeExit[ce.Code], msg: ce.Message}
	}
	return err
}

func runLogin(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("login", stdio.Err)
	fromStdin := fs.Bool("token-stdin", false, "read the token from standard input (for scripts)")
	web := fs.Bool("web", false, "open the hub's token page in your browser first")
	asJSON := fs.Bool("json", false, "print the hub record as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fail(ExitUsage, "usage: hubssh login [--web] [--token-stdin] [--json] HUB_URL")
	}
	hub := first(pos)
	if *web {
		base, err := hubapi.ParseHubURL(hub)
		if err != nil {
			return fail(ExitUsage, "%v", err)
		}
		page := base.String() + "hub/token"
		if err := f.OpenBrowser(page); err != nil {
			fmt.Fprintf(stdio.Err, "hubssh: could not open a browser (%v); open %s yourself\n", err, page)
		}
	}
	token, err := readToken(hub, *fromStdin, stdio)
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	h, err := svc.Login(ctx, hub, token)
	if err != nil {
		return asExit(err)
	}
	if *asJSON {
		return json.NewEncoder(stdio.Out).Encode(rpc.HubOf(*h))
	}
	fmt.Fprintf(stdio.Out, "logged in to %s as %s (token kept in the %s)\n", h.URL, h.User, h.TokenStore)
	return nil
}

// openBrowser shows url in the user's browser; the page is the hub's own
// token page, so nothing secret is on the command line.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// readToken gets the token without it ever touching argv: piped in, or
// typed at a prompt that does not echo.
func readToken(hub string, fromStdin bool, stdio Stdio) (string, error) {
	if fromStdin {
		b, err := io.ReadAll(io.LimitReader(stdio.In, 64<<10))
		if err != nil {
			return "", fmt.Errorf("read the token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	f, ok := stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", fail(ExitUsage, "no token: pipe it in with --token-stdin, or run hubssh login in a terminal")
	}
	fmt.Fprintf(stdio.Err, "Create a token at %s/hub/token, then paste it here (it is not shown): ", strings.TrimRight(hub, "/"))
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stdio.Err)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func runLogout(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("logout", stdio.Err)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fail(ExitUsage, "usage: hubssh logout [HUB]")
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.Logout(ctx, first(pos)); err != nil {
		return asExit(err)
	}
	fmt.Fprintln(stdio.Out, "logged out; hubssh's ssh config entries for that hub are gone")
	return nil
}

func runConnect(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("connect", stdio.Err)
	server := fs.String("server", "", "a named server (default: the default server)")
	user := fs.String("user", "", "whose server (default: you)")
	prepareOnly := fs.Bool("prepare-only", false, "set everything up and print the result as JSON; do not run ssh")
	// Everything after "--" goes to ssh. Split before parsing: the flag
	// package would swallow the "--" and the command would look like a hub.
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fail(ExitUsage, "usage: hubssh connect [flags] [HUB] [-- ssh arguments]; got %q", pos)
	}
	hub := first(pos)
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	p, err := svc.Prepare(ctx, hub, *user, *server, progressPrinter(stdio.Err))
	if err != nil {
		return asExit(err)
	}
	if *prepareOnly {
		return json.NewEncoder(stdio.Out).Encode(rpc.PreparedOf(*p, svc.SSH.User))
	}
	cmd := f.Command(ctx, "ssh", append(sshConfigArgs(svc.SSH.User), append([]string{p.Alias}, rest...)...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &exitError{code: ee.ExitCode(), quiet: true}
		}
		return fail(ExitError, "run ssh: %v (is OpenSSH installed?)", err)
	}
	return nil
}

// sshConfigArgs is "-F FILE" when OpenSSH would read another file than the
// one hubssh edited: ssh finds ~/.ssh/config through the passwd database,
// hubssh through $HOME, and the two differ under sudo -E, in containers and
// in tests.
func sshConfigArgs(edited string) []string {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		return nil
	}
	if filepath.Clean(filepath.Join(u.HomeDir, ".ssh", "config")) == filepath.Clean(edited) {
		return nil
	}
	return []string{"-F", edited}
}

func runSSHConfig(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("ssh-config", stdio.Err)
	dry := fs.Bool("dry-run", false, "show what would change in ~/.ssh/config, change nothing")
	remove := fs.Bool("remove", false, "take hubssh's lines out of ~/.ssh/config")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fail(ExitUsage, "ssh-config takes flags only (--dry-run, --remove), got %q", pos[0])
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	plan := svc.PlanSSHConfig
	if *remove {
		plan = svc.SSH.PlanRemove
	}
	ch, err := plan()
	if err != nil {
		return asExit(err)
	}
	if *dry {
		fmt.Fprint(stdio.Out, diff(ch))
		return nil
	}
	if *remove {
		if err := ch.Write(); err != nil {
			return fail(ExitError, "%v", err)
		}
		svc.SSH.RemoveLegacy()
		fmt.Fprintf(stdio.Out, "removed hubssh's block from %s\n", ch.Path)
		return nil
	}
	if err := svc.WriteSSHConfig(); err != nil {
		return asExit(err)
	}
	fmt.Fprintf(stdio.Out, "%s has hubssh's block of Host entries\n", ch.Path)
	return nil
}

// diff shows the lines an edit of hubssh's block adds or removes (the
// edit only ever adds or removes whole lines, so counting lines is exact).
func diff(ch sshconfig.Change) string {
	if !ch.Changed() {
		return "no change to " + ch.Path + "\n"
	}
	lines := func(b []byte) []string {
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			out = append(out, strings.TrimRight(l, "\r"))
		}
		return out
	}
	oldL, newL := lines(ch.Old), lines(ch.New)
	delta := map[string]int{} // > 0 added, < 0 removed
	for _, l := range newL {
		delta[l]++
	}
	for _, l := range oldL {
		delta[l]--
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s (after)\n", ch.Path, ch.Path)
	for _, l := range newL {
		if delta[l] > 0 {
			fmt.Fprintf(&b, "+%s\n", l)
			delta[l]--
		}
	}
	for _, l := range oldL {
		if delta[l] < 0 {
			fmt.Fprintf(&b, "-%s\n", l)
			delta[l]++
		}
	}
	return b.String()
}
