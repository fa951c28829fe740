//go:build e2e

// Package e2e tests hubssh end to end against a real JupyterHub on loopback:
// JupyterHub 5 + configurable-http-proxy + jupyter-server-proxy starting
// hubsshd, reached by the real OpenSSH ssh and sftp through "hubssh proxy".
//
// Run through scripts/test, which installs the hub and sets
// HUBSSH_E2E_VENV and HUBSSH_E2E_CHP; without them the run fails.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/devhub"
)

// suite is the hub shared by every test in the package: starting one takes
// seconds, and the tests use separate users and servers where they must not
// interfere.
var suite struct {
	hub    *devhub.Hub
	hubssh string // the hubssh binary under test
	// Image environments with hubsshd installed by pip as the docs say
	// (scripts/image-envs): ivy's server runs imagePip, jo's the hub's own
	// environment with imageTarget on its PYTHONPATH.
	imagePip, imageTarget string
	// Wine: a prefix ready to run Go programs (scripts/test-windows), the
	// Windows build of hubssh and the ProxyCommand launcher.
	winePrefix, hubsshExe, wineLaunch string
	// The SSH libraries of e2e/clients_test.go: a Python with paramiko,
	// fabric and asyncssh, and the directory of sshj's jars.
	clientsPython, sshjLib string
	// What another hub of a test's own starts from.
	venv, chp, hubsshd string
	mu                 sync.Mutex
}

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	venv, chp := os.Getenv("HUBSSH_E2E_VENV"), os.Getenv("HUBSSH_E2E_CHP")
	imagePip, imageTarget := os.Getenv("HUBSSH_E2E_IMAGE_PIP"), os.Getenv("HUBSSH_E2E_IMAGE_TARGET")
	if venv == "" || chp == "" || imagePip == "" || imageTarget == "" {
		fmt.Fprintln(os.Stderr, "e2e: HUBSSH_E2E_VENV, HUBSSH_E2E_CHP, HUBSSH_E2E_IMAGE_PIP and HUBSSH_E2E_IMAGE_TARGET are not set: run scripts/test, which installs the hub, builds the jupyter-hubsshd wheel (scripts/image-envs) and sets them")
		return 1
	}
	suite.imagePip, suite.imageTarget = imagePip, imageTarget
	suite.venv, suite.chp = venv, chp
	suite.clientsPython, suite.sshjLib = os.Getenv("HUBSSH_E2E_CLIENTS_PYTHON"), os.Getenv("HUBSSH_E2E_SSHJ_LIB")
	if suite.clientsPython == "" || suite.sshjLib == "" {
		fmt.Fprintln(os.Stderr, "e2e: HUBSSH_E2E_CLIENTS_PYTHON and HUBSSH_E2E_SSHJ_LIB are not set: run scripts/test, which installs paramiko, fabric, asyncssh and sshj (scripts/setup)")
		return 1
	}
	for _, tool := range []string{"sshfs", "fusermount3", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is not on PATH: run scripts/setup, which installs it\n", tool)
			return 1
		}
	}
	suite.winePrefix = os.Getenv("HUBSSH_E2E_WINEPREFIX")
	if suite.winePrefix == "" {
		fmt.Fprintln(os.Stderr, "e2e: HUBSSH_E2E_WINEPREFIX is not set: run scripts/test, which prepares a Wine prefix (scripts/test-windows) for the Windows helper's session")
		return 1
	}
	dir, err := os.MkdirTemp("", "hubssh-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	bins := filepath.Join(dir, "bin")
	for name, pkg := range map[string]string{"hubssh": "./helper/cmd/hubssh", "hubsshd": "./server/cmd/hubsshd"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bins, name), pkg)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n%s", name, err, out)
			return 1
		}
	}
	for exe, pkg := range map[string]string{"hubssh.exe": "./helper/cmd/hubssh", "launch.exe": "./scripts/wine/launch"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bins, exe), pkg)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n%s", exe, err, out)
			return 1
		}
	}
	suite.hubsshExe, suite.wineLaunch = filepath.Join(bins, "hubssh.exe"), filepath.Join(bins, "launch.exe")
	suite.hubssh, suite.hubsshd = filepath.Join(bins, "hubssh"), filepath.Join(bins, "hubsshd")
	// HUBSSH_E2E_HUBSSH runs the suite against another hubssh binary: an
	// older build, to see a new test fail on the old behaviour.
	if other := os.Getenv("HUBSSH_E2E_HUBSSH"); other != "" {
		suite.hubssh = other
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	hub, err := devhub.Start(ctx, devhub.Options{ActivityInterval: "1s",
		Venv: venv, CHP: chp, Hubsshd: filepath.Join(bins, "hubsshd"),
		Dir: filepath.Join(dir, "hub"), Users: []string{"alice", "bob", "carol", "dave", "erin", "frank", "gwen", "hal", "ivy", "jo", "kim", "lee", "mia", "ned", "oli"},
		ImageEnvs: map[string]devhub.ImageEnv{
			"ivy": {Venv: imagePip},
			// jo's as docs/hubsshd.md's init container and extraEnv set it
			// up, with a short idle limit to see it work.
			"jo": {Venv: venv, Env: map[string]string{"PYTHONPATH": imageTarget, "HUBSSHD_IDLE_TIMEOUT": "3s"}},
			// ned's hubsshd keeps a detached session 10 s (to see the window
			// pass); oli's has resume off, the wire of hubsshd before it.
			"ned": {Venv: venv, Env: map[string]string{"PYTHONPATH": imageTarget, "HUBSSHD_RESUME_WINDOW": "10s"}},
			"oli": {Venv: venv, Env: map[string]string{"PYTHONPATH": imageTarget, "HUBSSHD_RESUME_WINDOW": "0"}},
		},
		// A server named "broken" fails while spawning, after the hub
		// accepted the request, as a bad image would.
		Extra: `import asyncio
from jupyterhub.spawner import SimpleLocalProcessSpawner

class FailingSpawner(SimpleLocalProcessSpawner):
    async def start(self):
        if self.name == "broken":
            await asyncio.sleep(0.3)
            raise RuntimeError("image pull failed: no such image (hubssh test)")
        return await super().start()

c.JupyterHub.spawner_class = FailingSpawner`,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start hub:", err)
		return 1
	}
	fmt.Printf("e2e: hub started in %.2f s at %s\n", time.Since(t0).Seconds(), hub.URL)
	suite.hub = hub
	code := m.Run()
	if err := hub.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, hub.LogTail(120))
		fmt.Fprintln(os.Stderr, "e2e: state kept for inspection in", dir)
		return code
	}
	os.RemoveAll(dir)
	return code
}
