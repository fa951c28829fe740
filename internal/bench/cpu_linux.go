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
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	// Numbered as in proc(5): utime(14) stime(15) cutime(16) cstime(17).
	field := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	ticks := field(14) + field(15)
	if tree {
		ticks += field(16) + field(17)
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// PPID is pid's parent (0 if gone).
func PPID(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// statFields are the fields of /proc/PID/stat after the command name (which
// may hold spaces and parentheses): f[0] is field 3 of proc(5), the state.
func statFields(pid int) []string {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
