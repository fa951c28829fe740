package bench

import (
	"sync"
	"time"
)

// CPUMeter measures the CPU that processes spend during one transfer:
// long-lived ones (the SSH server, the hub's proxies) by the difference of
// their totals, and a short-lived one (the ProxyCommand, which exits with
// the connection) by sampling it until it is gone.
type CPUMeter struct {
	before map[string]time.Duration
	pids   map[string]int
	tree   map[string]bool
	short  map[string]*shortLived
}

// NewCPUMeter starts measuring. long maps a role to its process, found
// before the transfer starts (a finder called later might find a
// per-connection child with the same command line); tree counts the
// process's reaped children too. short maps a role to a finder of the
// short-lived process, called until it finds it.
func NewCPUMeter(long map[string]func() int, tree map[string]bool, short map[string]func() int) *CPUMeter {
	m := &CPUMeter{before: map[string]time.Duration{}, pids: map[string]int{}, tree: tree, short: map[string]*shortLived{}}
	for role, find := range long {
		pid := find()
		m.pids[role] = pid
		m.before[role] = CPU(pid, tree[role])
	}
	for role, find := range short {
		s := &shortLived{find: find, stop: make(chan struct{})}
		s.wg.Add(1)
		go s.run()
		m.short[role] = s
	}
	return m
}

// Stop ends the measurement and returns the CPU each role spent. It waits
// until the long-lived processes' totals settle: a server's per-connection
// processes are reaped a moment after the client has its answer.
func (m *CPUMeter) Stop() map[string]time.Duration {
	out := map[string]time.Duration{}
	for role, pid := range m.pids {
		last := CPU(pid, m.tree[role])
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
			time.Sleep(150 * time.Millisecond)
			now := CPU(pid, m.tree[role])
			if now == last {
				break
			}
			last = now
		}
		out[role] = last - m.before[role]
	}
	for role, s := range m.short {
		close(s.stop)
		s.wg.Wait()
		out[role] = s.last
	}
	return out
}

type shortLived struct {
	find func() int
	stop chan struct{}
	wg   sync.WaitGroup
	last time.Duration
}

// run samples the process every 50 ms; the last sample before it exits is
// its total, short of at most the last 50 ms.
func (s *shortLived) run() {
	defer s.wg.Done()
	pid := 0
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if pid == 0 {
			pid = s.find()
		}
		if pid != 0 {
			if c := CPU(pid, false); c > 0 {
				s.last = c
			}
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}
