package core

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/helper/internal/tunnel"
	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/hubapi"
	"github.com/hubssh/hubssh/internal/resume"
)

// Check is one finding of Diagnose.
type Check struct {
	Name   string
	Status string // "ok", "warn" or "fail"
	Detail string
	Fix    string
}

func ok(name, detail string) Check { return Check{Name: name, Status: "ok", Detail: detail} }
func bad(status, name, detail, fix string) Check {
	return Check{Name: name, Status: status, Detail: detail, Fix: fix}
}

// Diagnose checks everything a connection depends on, from the local ssh
// client to hubsshd in each known server. It never changes anything.
func (s *Service) Diagnose(ctx context.Context, hubRef string) ([]Check, error) {
	var checks []Check
	checks = append(checks, sshClientCheck(ctx))
	checks = append(checks, s.blockCheck())
	st, err := s.Store.Load()
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	if len(st.Hubs) == 0 {
		checks = append(checks, bad("warn", "hubs", "no hub yet", `run "hubssh login https://YOUR-HUB"`))
		return checks, nil
	}
	for _, h := range st.Hubs {
		if hubRef != "" {
			if sel, err := s.hubRecord(hubRef); err != nil || sel.URL != h.URL {
				continue
			}
		}
		checks = append(checks, s.hubChecks(ctx, h)...)
	}
	return checks, nil
}

// installSSH is the fix for a machine without OpenSSH's ssh.
const installSSH = "install OpenSSH (Windows: Settings → Apps → Optional features → OpenSSH Client; Debian: apt install openssh-client)"

func sshClientCheck(ctx context.Context) Check {
	out, err := exec.CommandContext(ctx, "ssh", "-V").CombinedOutput()
	if err != nil {
		return bad("fail", "ssh client", "OpenSSH's ssh is not on PATH", installSSH)
	}
	return ok("ssh client", strings.TrimSpace(string(out)))
}

func (s *Service) blockCheck() Check {
	cfg, _ := os.ReadFile(s.SSH.User)
	has, err := sshconfig.HasBlock(cfg)
	switch {
	case err != nil:
		return bad("fail", "ssh config", s.SSH.User+": "+err.Error(), "")
	case has:
		return ok("ssh config", s.SSH.User+" has hubssh's block of Host entries")
	}
	return bad("warn", "ssh config", s.SSH.User+" has no hubssh entries", `run "hubssh connect" (or "hubssh ssh-config")`)
}

func (s *Service) hubChecks(ctx context.Context, h store.Hub) []Check {
	name := "hub " + h.URL
	var checks []Check
	t, err := s.hubTarget(&h, "", "")
	if err != nil {
		return append(checks, bad("fail", name, "no token stored", `run "hubssh login `+h.URL+`"`))
	}
	api := t.api
	where := h.TokenStore
	if s.ciMode() {
		where = "environment (" + store.TokenEnv + "); minted server tokens in memory only"
	}
	checks = append(checks, ok(name+": token store", where))
	var v string
	err = s.retryOutage(ctx, h.URL, func() (err error) {
		v, err = api.Info(ctx)
		return err
	})
	if err != nil {
		e := s.classify(h.URL, err)
		return append(checks, bad("fail", name+": reachable", e.Message, ""))
	}
	checks = append(checks, ok(name+": reachable", "JupyterHub "+v))
	u, err := api.CurrentUser(ctx)
	if err != nil {
		var e error = s.classify(h.URL, err)
		if hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			e = s.loginRejected(ctx, t, err)
		}
		return append(checks, bad("fail", name+": token", e.Error(), ""))
	}
	checks = append(checks, s.expiryCheck(ctx, api, name, u))
	for _, srv := range h.Servers {
		st := *t
		st.user, st.server = srv.User, srv.Name
		checks = append(checks, s.serverChecks(ctx, &st, srv)...)
	}
	return checks
}

func (s *Service) expiryCheck(ctx context.Context, api *hubapi.Client, name string, u *hubapi.User) Check {
	if u.TokenID == "" {
		return ok(name+": token", "valid, owner "+u.Name+" (this hub does not report expiry)")
	}
	exp, err := api.TokenExpiry(ctx, u.Name, u.TokenID)
	switch {
	case err != nil:
		return ok(name+": token", "valid, owner "+u.Name+" (expiry unknown: "+err.Error()+")")
	case exp == nil:
		return ok(name+": token", "valid, owner "+u.Name+", never expires")
	}
	days := time.Until(*exp).Hours() / 24
	if days < 7 {
		return bad("warn", name+": token", fmt.Sprintf("valid, owner %s, expires in %.1f days", u.Name, days),
			"create a new token at "+api.Base().String()+"hub/token and run hubssh login again")
	}
	return ok(name+": token", fmt.Sprintf("valid, owner %s, expires in %.0f days", u.Name, days))
}

func (s *Service) serverChecks(ctx context.Context, t *target, srv store.Server) []Check {
	name := "server " + srv.Alias
	checks := []Check{s.effectiveConfigCheck(ctx, srv.Alias)}
	u, err := t.api.User(ctx, t.user)
	if err != nil {
		return append(checks, bad("fail", name, s.userError(ctx, t, err).Error(), ""))
	}
	if !u.Servers[t.server].Running() {
		return append(checks, ok(name, "stopped; it starts when you connect"))
	}
	checks = append(checks, ok(name, "running"))
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := s.dialServer(dctx, t, false, nil) // doctor changes nothing: no start
	if err != nil {
		return append(checks, bad("fail", name+": sshd", err.Error(), ""))
	}
	banner, offer, err := readBanner(dctx, c)
	c.CloseNow()
	if err != nil || !strings.HasPrefix(banner, "SSH-2.0-") {
		return append(checks, bad("fail", name+": sshd", "no SSH banner on the websocket", "hubsshd may have crashed: see the server's log"))
	}
	if offer != "" {
		banner += "; " + offer
	}
	checks = append(checks, ok(name+": sshd", strings.TrimSpace(banner)))
	var keys []string
	err = s.control(ctx, t, func(ctl *controlapi.Client) (err error) {
		keys, err = ctl.HostKeys(ctx)
		return err
	})
	if err != nil {
		return append(checks, bad("fail", name+": host key", "cannot read it: "+err.Error(), `run "hubssh connect" once more`))
	}
	pinned, _ := os.ReadFile(s.Store.KnownHosts())
	for _, k := range keys {
		if !bytes.Contains(pinned, []byte(srv.Alias+" "+strings.TrimSpace(k))) {
			return append(checks, bad("fail", name+": host key", "the server's host key is not the one pinned",
				`run "hubssh connect" to pin the current key (it changes when the server's home was reset)`))
		}
	}
	return append(checks, ok(name+": host key", "pinned in "+s.Store.KnownHosts()))
}

// effectiveConfigCheck asks ssh itself which options it would use for the
// alias: an option set before hubssh's block (a "Host *" block on top,
// say) wins in OpenSSH and silently breaks the connection.
func (s *Service) effectiveConfigCheck(ctx context.Context, alias string) Check {
	name := "server " + alias + ": ssh -G"
	args := []string{"-G"}
	if u, err := user.Current(); err == nil && filepath.Join(u.HomeDir, ".ssh", "config") != s.SSH.User {
		args = append(args, "-F", s.SSH.User)
	}
	out, err := exec.CommandContext(ctx, "ssh", append(args, alias)...).Output()
	if errors.Is(err, exec.ErrNotFound) {
		// Seen on Windows without the optional OpenSSH Client (#14):
		// the alias is set up, but nothing can use it yet.
		return bad("fail", name, "OpenSSH's ssh is not on PATH, so nothing can use "+alias+" yet", installSSH)
	}
	if err != nil {
		return bad("fail", name, "ssh -G failed: "+err.Error(), "")
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		if _, seen := got[k]; !seen {
			got[k] = v
		}
	}
	var wrong []string
	if !strings.HasSuffix(got["proxycommand"], " proxy "+alias) {
		wrong = append(wrong, "ProxyCommand "+got["proxycommand"])
	}
	if got["userknownhostsfile"] == "" || !strings.Contains(got["userknownhostsfile"], filepath.ToSlash(s.Store.KnownHosts())) {
		wrong = append(wrong, "UserKnownHostsFile "+got["userknownhostsfile"])
	}
	if got["stricthostkeychecking"] != "true" {
		wrong = append(wrong, "StrictHostKeyChecking "+got["stricthostkeychecking"])
	}
	if len(wrong) > 0 {
		return bad("fail", name, "ssh would use "+strings.Join(wrong, "; ")+" instead of hubssh's settings",
			"an option set above hubssh's block in "+s.SSH.User+" wins (OpenSSH keeps the first value): move those lines below the block, or narrow their Host pattern")
	}
	return ok(name, "ssh uses hubssh's ProxyCommand, key and pinned host key")
}

// readBanner reads hubsshd's identification. A hubsshd that offers resume
// first sends its advertisement and then waits for the client's first
// bytes: doctor answers as a plain SSH client would, and reports the offer.
func readBanner(ctx context.Context, c *tunnel.Conn) (banner, offer string, err error) {
	st := c.Stream(ctx)
	br := bufio.NewReader(st)
	for i := 0; i < 4; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		if adv, ok := resume.ParseAdvert(line); ok {
			offer = fmt.Sprintf("resumes sessions detached up to %s", adv.Window)
			if _, err := st.Write([]byte("SSH-2.0-hubssh_doctor\r\n")); err != nil {
				return "", "", err
			}
			continue
		}
		if strings.HasPrefix(line, "SSH-") {
			return strings.TrimSpace(line), offer, nil
		}
	}
	return "", "", errors.New("no SSH identification in the first lines")
}
