package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux the benchmarks run on.
const clockTicks = 100

// CPU is the CPU time (user + system) pid has used; with tree, also that of
// its children that have exited and been reaped (fields cutime, cstime).
// OpenSSH's sshd forks a process per connection, with sftp-server and the
// command below it, all reaped when the connection ends: tree covers them,
// as it covers the commands hubsshd runs. 0 if pid is gone.
func CPU(pid int, tree bool) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	// After the command name: state(3) ppid … utime(14) stime(15)
	// cutime(16) cstime(17), numbered as in proc(5).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0
	}
	field := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	ticks := field(14) + field(15)
	if tree {
		ticks += field(16) + field(17)
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// PPID is pid's parent (0 if gone).
func PPID(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
