//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hubssh/hubssh/internal/testutil"
)

// The SSH libraries users already have, each through the alias "hubssh
// login" + "hubssh connect" wrote into ~/.ssh/config, every byte through
// the hub (#16). The client programs report what they saw as JSON; the
// expectations are here. Each exercises what its users lean on: paramiko
// and fabric (Python tooling; config read without Include), asyncssh (its
// own config reader, SFTP extensions), sshj (JetBrains IDEs: exec, SFTP,
// a forward), sshfs (a FUSE mount: the kernel's file operations as SFTP).

// clientsSetup is one user logged in and connected, a file to move, and
// what ssh -G says about the alias.
type clientsSetup struct {
	*loggedIn
	local, sum string
	g          map[string]string
}

func newClientsSetup(t *testing.T, user string) *clientsSetup {
	t.Helper()
	ensureServer(t, user, "")
	s := &clientsSetup{loggedIn: loginAndConnect(t, user)}
	s.local = filepath.Join(t.TempDir(), "big.bin")
	s.sum = writeRandom(t, s.local, 8<<20)
	r := s.run(t, "", "ssh", "-G", "-F", s.config, s.alias)
	if r.code != 0 {
		t.Fatalf("ssh -G %s: %s", s.alias, r.stderr)
	}
	s.g = map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if k, v, _ := strings.Cut(line, " "); s.g[k] == "" {
			s.g[k] = v
		}
	}
	return s
}

// report runs a client program and decodes the JSON it printed.
func (s *clientsSetup) report(t *testing.T, into any, prog string, args ...string) {
	t.Helper()
	r := s.run(t, "", prog, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout %s\nstderr %s", filepath.Base(prog), filepath.Base(args[0]), r.code, r.stdout, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), into); err != nil {
		t.Fatalf("%s printed no report (%v):\n%s\n%s", filepath.Base(args[0]), err, r.stdout, r.stderr)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestParamikoAndFabric(t *testing.T) {
	s := newClientsSetup(t, "lee")
	var got map[string]any
	s.report(t, &got, suite.clientsPython, clientProgram(t, "paramiko_check.py"), s.alias, s.local)
	if e, _ := got["error"].(string); e != "" {
		t.Fatalf("%s (config as paramiko read it: %v)", e, got["config"])
	}
	cfg, _ := got["config"].(map[string]any)
	check(t, "paramiko's User for the alias", cfg["user"], s.g["user"])
	check(t, "exec", got["exec"], []any{"paramiko-ok", s.g["user"]})
	check(t, "exit status", got["exec_status"], float64(0))
	check(t, "sha256 after put and get", got["roundtrip_sha256"], s.sum)
	check(t, "readlink of a relative symlink", got["readlink"], "big.bin")
	check(t, "size through the link", got["link_size"], float64(8<<20))
	check(t, "plain rename onto a file", got["rename_over_existing"], "errno None") // FX_FAILURE, as sftp-server
	check(t, "b.txt after the refused rename", got["b_after_rename"], "b")
	check(t, "posix_rename onto a file", got["posix_rename"], "ok")
	check(t, "b.txt after posix_rename", got["b_after_posix_rename"], "a")
	check(t, "mode after chmod", got["mode"], "0o640")
	check(t, "listdir", got["listdir"], []any{"b.txt", "big.bin", "link"})
	check(t, "remove of a missing file", got["remove_missing"], "errno 2") // ENOENT
	check(t, "mkdir of an existing dir", got["mkdir_existing"], "errno None")
	check(t, "fabric", got["fabric"], []any{"fabric-ok", s.g["user"]})
}

// clientProgram is the absolute path of a program in e2e/clients.
func clientProgram(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("clients", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAsyncSSH(t *testing.T) {
	s := newClientsSetup(t, "lee")
	var got map[string]any
	s.report(t, &got, suite.clientsPython, clientProgram(t, "asyncssh_check.py"), s.alias, s.local)
	check(t, "exec", got["exec"], []any{"asyncssh-ok", s.g["user"]})
	check(t, "sha256 after put and get", got["roundtrip_sha256"], s.sum)
	check(t, "readlink of a relative symlink", got["readlink"], "big.bin")
	check(t, "hardlink@openssh.com", got["hardlink"], "ok")
	r := s.ssh(t, "stat -c %h clients-asyncssh/big.bin; readlink clients-asyncssh/link")
	check(t, "on the server: links to big.bin, its symlink", strings.Fields(r.stdout), []string{"2", "big.bin"})
	check(t, "statvfs@openssh.com", got["statvfs_ok"], true)
	// Not offered: pkg/sftp keeps the file handles (left different from
	// sftp-server, docs/clients.md).
	check(t, "fsync@openssh.com", got["fsync"], "sftp code 8")
	check(t, "plain rename onto a file", got["rename_over_existing"], "sftp code 4")
	check(t, "posix_rename onto a file", got["posix_rename"], "ok")
	check(t, "lstat of a symlink", got["lstat_link_is_link"], true)
	check(t, "remove of a missing file", got["remove_missing"], "sftp code 2")
}

func TestSSHJ(t *testing.T) {
	s := newClientsSetup(t, "lee")
	echo := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
	var got map[string]string
	s.report(t, &got, "java", "-cp", filepath.Join(suite.sshjLib, "*"), clientProgram(t, "sshj/SshjCheck.java"),
		suite.hubssh, s.alias, s.g["user"], s.g["identityfile"], s.g["userknownhostsfile"], s.local,
		fmt.Sprint(echo.Addr().(*net.TCPAddr).Port))
	check(t, "host key", got["hostkey"], "verified")
	check(t, "exec", got["exec"], "sshj-ok "+s.g["user"])
	check(t, "exit status", got["exec_status"], "0")
	check(t, "sha256 after put and get", got["roundtrip_sha256"], s.sum)
	check(t, "readlink of a relative symlink", got["readlink"], "big.bin")
	check(t, "plain rename onto a file", got["rename_over_existing"], "refused FAILURE")
	check(t, "forward", got["forward"], "echo:via sshj")
}

// TestSSHFS mounts the server's home with sshfs (FUSE) through the alias
// and works on it with ordinary commands.
func TestSSHFS(t *testing.T) {
	s := newClientsSetup(t, "lee")
	mnt := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0o755)
	if r := s.run(t, "", "sshfs", "-F", s.config, s.alias+":", mnt, "-o", "reconnect"); r.code != 0 {
		t.Fatalf("sshfs: exit %d: %s", r.code, r.stderr)
	}
	t.Cleanup(func() {
		if r := s.run(t, "", "fusermount3", "-u", mnt); r.code != 0 {
			t.Errorf("fusermount3 -u: %s", r.stderr)
		}
	})
	sh := func(script string) result {
		t.Helper()
		r := s.run(t, "", "sh", "-ec", "cd "+mnt+"\n"+script)
		if r.code != 0 {
			t.Fatalf("on the mount:\n%s\nexit %d: %s", script, r.code, r.stderr)
		}
		return r
	}
	sh("mkdir clients-sshfs && cp " + s.local + " clients-sshfs/big.bin")
	check(t, "sha256 through the mount", strings.Fields(sh("sha256sum clients-sshfs/big.bin").stdout)[0], s.sum)
	sh("cd clients-sshfs && ln -s big.bin link && ln big.bin hard && echo a > a && echo b > b && mv a b")
	// What the server holds, seen with ssh itself.
	r := s.ssh(t, "cd clients-sshfs && readlink link && stat -c %h big.bin && cat b && ls")
	check(t, "on the server", strings.Fields(r.stdout), []string{"big.bin", "2", "a", "b", "big.bin", "hard", "link"})
	// statvfs@openssh.com: df sees the server's file system, not zeros.
	if df := sh("df -k . | tail -1").stdout; len(strings.Fields(df)) < 2 || strings.Fields(df)[1] == "0" {
		t.Errorf("df on the mount: %q", df)
	}
}

// TestEveryHostKeyPinned: clients without Ed25519 (older JSch and PuTTY,
// FIPS builds) find an ECDSA or RSA host key, pinned by "hubssh connect"
// like the Ed25519 one, and strict checking passes with each (#16).
func TestEveryHostKeyPinned(t *testing.T) {
	s := newClientsSetup(t, "lee")
	kh, err := os.ReadFile(s.g["userknownhostsfile"])
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, line := range strings.Split(string(kh), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == s.alias {
			types = append(types, f[1])
		}
	}
	check(t, "key types pinned for the alias", types, []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"})
	for _, algo := range []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"} {
		r := s.ssh(t, "-o", "HostKeyAlgorithms="+algo, "echo", "via", algo)
		if r.code != 0 || r.stdout != "via "+algo+"\n" {
			t.Errorf("HostKeyAlgorithms=%s: exit %d, out %q, err %q", algo, r.code, r.stdout, r.stderr)
		}
	}
	// SHA-1 signatures are not offered, as OpenSSH's sshd since 8.8.
	if r := s.ssh(t, "-o", "HostKeyAlgorithms=ssh-rsa", "true"); r.code == 0 || !strings.Contains(r.stderr, "no matching host key type") {
		t.Errorf("HostKeyAlgorithms=ssh-rsa: exit %d, err %q; want no matching host key type", r.code, r.stderr)
	}
}

// TestSFTPLikeSFTPServer: what OpenSSH's sftp gets from hubsshd where
// sftp-server's behaviour is the reference: new files keep the mode the
// client sends (less the server's umask), downloads ask for 255 KiB per
// request (limits@openssh.com), and a missing file is "not found", not a generic
// failure. (OpenSSH 9.2's sftp makes "~/x" absolute itself; expand-path is
// covered by sftpfront's unit tests.)
func TestSFTPLikeSFTPServer(t *testing.T) {
	s := newClientsSetup(t, "lee")
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"run.sh": 0o755, "secret": 0o600} {
		os.WriteFile(filepath.Join(dir, name), []byte(name), mode)
		os.Chmod(filepath.Join(dir, name), mode)
	}
	batch := "mkdir modes\ncd modes\npwd\nput " + dir + "/run.sh\nput " + dir + "/secret\n-get nothing-here " + dir + "/x\n"
	r := s.run(t, batch, "sftp", "-vvv", "-b", "-", "-F", s.config, s.alias)
	if r.code != 0 {
		t.Fatalf("sftp: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	home := suite.hub.Home("lee")
	if !strings.Contains(r.stdout, "Remote working directory: "+home+"/modes\n") {
		t.Errorf("cd modes: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, "server upload/download buffer sizes 32768 / 261120") {
		t.Errorf("sftp did not size its requests by the server's limits:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, `File "`+home+`/modes/nothing-here" not found`) {
		t.Errorf("get of a missing file:\n%s", r.stderr)
	}
	out := s.ssh(t, "cd modes && stat -c '%n %a' run.sh secret")
	check(t, "modes on the server", strings.Fields(out.stdout), []string{"run.sh", "755", "secret", "600"})
}
