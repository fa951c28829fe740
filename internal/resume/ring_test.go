package resume

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestRingKeepsOrderAcrossWrapsAndGrowth checks the ring against a plain
// slice doing the same appends and drops.
func TestRingKeepsOrderAcrossWrapsAndGrowth(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var r ring
	var model []byte
	const max = 300 << 10
	for step := 0; step < 5000; step++ {
		if rng.Intn(2) == 0 {
			p := make([]byte, rng.Intn(40<<10))
			rng.Read(p)
			k := r.write(p, max)
			if want := min(len(p), max-len(model)); k != want {
				t.Fatalf("step %d: wrote %d, want %d", step, k, want)
			}
			model = append(model, p[:k]...)
		} else {
			n := rng.Intn(len(model) + 1)
			r.drop(n)
			model = model[n:]
		}
		if r.n != len(model) {
			t.Fatalf("step %d: ring holds %d, want %d", step, r.n, len(model))
		}
		if len(model) > 0 {
			off := rng.Intn(len(model))
			got := make([]byte, rng.Intn(len(model)-off)+1)
			r.copyAt(off, got)
			if !bytes.Equal(got, model[off:off+len(got)]) {
				t.Fatalf("step %d: bytes at %d differ", step, off)
			}
		}
		if len(r.buf) > max {
			t.Fatalf("step %d: the ring grew to %d, past its %d", step, len(r.buf), max)
		}
	}
	r.drop(r.n)
	if r.buf != nil {
		t.Errorf("an emptied ring keeps %d bytes", len(r.buf))
	}
}
