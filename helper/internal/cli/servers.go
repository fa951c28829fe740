package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hubssh/hubssh/helper/internal/rpc"
)

// optionFlags collects repeated --option key=value into user_options.
type optionFlags map[string]any

func (o optionFlags) String() string { return "" }
func (o optionFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	o[k] = v
	return nil
}

func runServers(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("servers", stdio.Err)
	user := fs.String("user", "", "whose servers (default: you)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	list, err := svc.Servers(ctx, first(pos), *user)
	if err != nil {
		return asExit(err)
	}
	if *asJSON {
		return json.NewEncoder(stdio.Out).Encode(rpc.ServersOf(list))
	}
	tw := tabwriter.NewWriter(stdio.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tSTATE\tLAST ACTIVITY\tSSH HOST")
	for _, s := range list {
		name, last := s.Name, "-"
		if name == "" {
			name = "(default)"
		}
		if s.LastActivity != nil {
			last = time.Since(*s.LastActivity).Round(time.Second).String() + " ago"
		}
		alias := s.Alias
		if alias == "" {
			alias = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, s.State, last, alias)
	}
	return tw.Flush()
}

func runStartStop(ctx context.Context, f *Factory, start bool, args []string) error {
	stdio := f.IO
	name := "stop"
	if start {
		name = "start"
	}
	fs := newFlagSet(name, stdio.Err)
	server := fs.String("server", "", "a named server (default: the default server)")
	user := fs.String("user", "", "whose server (default: you)")
	opts := optionFlags{}
	remove := new(bool)
	if start {
		fs.Var(opts, "option", "a spawner option key=value (repeatable), e.g. --option profile=gpu")
	} else {
		remove = fs.Bool("remove", false, "also delete the named server from the hub")
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	if start {
		var o map[string]any
		if len(opts) > 0 {
			o = opts
		}
		err = svc.Start(ctx, first(pos), *user, *server, o, progressPrinter(stdio.Err))
	} else {
		err = svc.Stop(ctx, first(pos), *user, *server, *remove)
	}
	return asExit(err)
}

func runServe(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("serve", stdio.Err)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fail(ExitUsage, "serve takes no arguments, got %q", pos[0])
	}
	// stdout is the protocol from here on: notices go to stderr.
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	out, ok := stdio.Out.(io.WriteCloser)
	if !ok {
		out = nopCloser{stdio.Out}
	}
	return rpc.Serve(ctx, svc, rpc.Stdio{In: stdio.In, Out: out})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func runDoctor(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	fs := newFlagSet("doctor", stdio.Err)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	checks, err := svc.Diagnose(ctx, first(pos))
	if err != nil {
		return asExit(err)
	}
	failed := 0
	for _, c := range checks {
		if c.Status == "fail" {
			failed++
		}
	}
	if *asJSON {
		if err := json.NewEncoder(stdio.Out).Encode(rpc.ChecksOf(checks)); err != nil {
			return err
		}
	} else {
		marks := map[string]string{"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
		for _, c := range checks {
			fmt.Fprintf(stdio.Out, "%s  %s: %s\n", marks[c.Status], c.Name, c.Detail)
			if c.Fix != "" {
				fmt.Fprintf(stdio.Out, "      fix: %s\n", c.Fix)
			}
		}
	}
	if failed > 0 {
		return &exitError{code: ExitError, msg: fmt.Sprintf("%d check(s) failed", failed)}
	}
	return nil
}
