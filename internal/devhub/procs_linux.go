package devhub

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// killMarked kills every process whose environment carries MarkerEnv=dir
// and returns their "pid (name)" labels.
func killMarked(dir string) []string {
	want := []byte(MarkerEnv + "=" + dir + "\x00")
	ents, _ := os.ReadDir("/proc")
	var killed []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, e.Name()+" ("+string(bytes.TrimSpace(comm))+")")
		}
	}
	return killed
}
