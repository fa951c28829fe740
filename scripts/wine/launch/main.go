//go:build windows

// Command launch runs a command line the way Windows OpenSSH runs a
// ProxyCommand: CreateProcess with no application name and no shell, the
// standard handles inherited. The e2e test under Wine (e2e/wine_test.go)
// uses it as Linux ssh's ProxyCommand, so the line hubssh.exe wrote into the
// ssh config is what starts hubssh.exe proxy. The line comes from
// HUBSSH_WINE_PROXY_LINE; the exit code is the child's.
package main

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

func main() {
	line := os.Getenv("HUBSSH_WINE_PROXY_LINE")
	if line == "" {
		fmt.Fprintln(os.Stderr, "launch: HUBSSH_WINE_PROXY_LINE is empty")
		os.Exit(2)
	}
	os.Exit(run(line))
}

func run(line string) int {
	var handles [3]syscall.Handle
	for i, std := range []int{syscall.STD_INPUT_HANDLE, syscall.STD_OUTPUT_HANDLE, syscall.STD_ERROR_HANDLE} {
		h, err := syscall.GetStdHandle(std)
		if err != nil {
			fmt.Fprintln(os.Stderr, "launch:", err)
			return 2
		}
		syscall.SetHandleInformation(h, syscall.HANDLE_FLAG_INHERIT, syscall.HANDLE_FLAG_INHERIT)
		handles[i] = h
	}
	si := &syscall.StartupInfo{Flags: syscall.STARTF_USESTDHANDLES, StdInput: handles[0], StdOutput: handles[1], StdErr: handles[2]}
	si.Cb = uint32(unsafe.Sizeof(*si))
	cmdline, err := syscall.UTF16PtrFromString(line)
	if err != nil {
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 2
	}
	var pi syscall.ProcessInformation
	if err := syscall.CreateProcess(nil, cmdline, nil, nil, true, 0, nil, nil, si, &pi); err != nil {
		fmt.Fprintf(os.Stderr, "launch: CreateProcess %q: %v\n", line, err)
		return 2
	}
	defer syscall.CloseHandle(pi.Thread)
	defer syscall.CloseHandle(pi.Process)
	syscall.WaitForSingleObject(pi.Process, syscall.INFINITE)
	var code uint32
	syscall.GetExitCodeProcess(pi.Process, &code)
	return int(code)
}
