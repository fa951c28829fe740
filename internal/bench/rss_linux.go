package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TreeRSS is the resident memory, in bytes, of pid and all its descendants
// (OpenSSH's sshd forks a process per connection; hubsshd is one process).
func TreeRSS(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// Fields after the ")" that ends the command name: state ppid …
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		self, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		children[ppid] = append(children[ppid], self)
	}
	var total int64
	var walk func(int)
	walk = func(p int) {
		total += rss(p)
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return total
}

// RSS is one process's resident memory in bytes (0 if gone).
func RSS(pid int) int64 { return rss(pid) }

// FindProcs returns the pids whose command line (arguments joined by
// spaces) and environment (NUL-separated) satisfy match.
func FindProcs(match func(cmdline, environ string) bool) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cl, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cl) == 0 {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		if match(strings.ReplaceAll(string(cl), "\x00", " "), string(env)) {
			if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
				out = append(out, pid)
			}
		}
	}
	return out
}

func rss(pid int) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
