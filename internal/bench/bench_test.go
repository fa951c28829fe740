package bench

import (
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestSummarise(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Stats
	}{
		{"empty", nil, Stats{}},
		{"one", []float64{3}, Stats{N: 1, Median: 3, P50: 3, Min: 3, Max: 3, P95: 3, P99: 3}},
		{"unsorted five", []float64{5, 1, 4, 2, 3}, Stats{N: 5, Median: 3, P50: 3, Min: 1, Max: 5, P95: 5, P99: 5}},
	}
	for _, tt := range tests {
		if got := Summarise(tt.in); got != tt.want {
			t.Errorf("%s: Summarise = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1
	}
	if s := Summarise(xs); s.P95 != 95 || s.P99 != 99 || s.Median != 51 {
		t.Errorf("1..100: p95 %v p99 %v median %v", s.P95, s.P99, s.Median)
	}
}

func TestTreeRSS(t *testing.T) {
	if r := TreeRSS(os.Getpid()); r < 1<<20 {
		t.Errorf("TreeRSS(self) = %d bytes; a Go test binary uses more than 1 MiB", r)
	}
	if r := TreeRSS(-1); r != 0 {
		t.Errorf("TreeRSS(-1) = %d", r)
	}
}

func TestZeros(t *testing.T) {
	b := []byte{1, 2, 3}
	if n, err := io.ReadFull(zeros{}, b); n != 3 || err != nil || b[0]|b[1]|b[2] != 0 {
		t.Errorf("zeros read %v %d %v", b, n, err)
	}
}

func TestCPUCountsReapedChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("CPU reads /proc: the benchmarks run on Linux")
	}
	self := os.Getpid()
	before, ownBefore := CPU(self, true), CPU(self, false)
	// A child that burns about 0.4 s of CPU, then is reaped by Run.
	cmd := exec.Command("sh", "-c", `end=$(($(date +%s%N) + 400000000)); while [ "$(date +%s%N)" -lt "$end" ]; do :; done`)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	tree, own := CPU(self, true)-before, CPU(self, false)-ownBefore
	if tree < 200*time.Millisecond {
		t.Errorf("the tree's CPU grew by %s after a child burned about 400 ms", tree)
	}
	if own >= tree {
		t.Errorf("the process alone grew by %s, the tree by %s: children are not told apart", own, tree)
	}
	if CPU(0, true) != 0 || PPID(self) != os.Getppid() {
		t.Errorf("CPU(0) = %s, PPID(self) = %d (want %d)", CPU(0, true), PPID(self), os.Getppid())
	}
}
