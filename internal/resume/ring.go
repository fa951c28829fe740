package resume

import "sync"

// ring holds the bytes sent and not yet acknowledged: a circular buffer
// that grows by doubling up to the session's Buffer, so an idle session
// holds little and a busy one never moves what it holds when an ack frees
// its front (a slice trimmed at the front and appended at the back copied
// megabytes per ack: resume cost a third of bulk throughput).
type ring struct {
	buf  []byte
	head int // index of the oldest byte
	n    int // bytes held
}

// write appends what fits under limit bytes held and returns how much.
func (r *ring) write(p []byte, limit int) int {
	k := min(len(p), limit-r.n)
	if k <= 0 {
		return 0
	}
	if r.n+k > len(r.buf) {
		r.grow(min(limit, max(2*len(r.buf), r.n+k, 64<<10)))
	}
	tail := (r.head + r.n) % len(r.buf)
	c := copy(r.buf[tail:], p[:k])
	copy(r.buf, p[c:k])
	r.n += k
	return k
}

func (r *ring) grow(size int) {
	nb := make([]byte, size)
	r.copyAt(0, nb[:r.n])
	r.buf, r.head = nb, 0
}

// copyAt copies the bytes from logical offset off into dst.
func (r *ring) copyAt(off int, dst []byte) {
	if len(dst) == 0 {
		return
	}
	start := (r.head + off) % len(r.buf)
	c := copy(dst, r.buf[start:])
	copy(dst[c:], r.buf)
}

// drop frees the n oldest bytes.
func (r *ring) drop(n int) {
	n = min(n, r.n)
	r.n -= n
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > 64<<10 {
			r.buf = nil // an idle session gives its buffer back
		}
		return
	}
	r.head = (r.head + n) % len(r.buf)
}

// frames reuses a session's receive buffers (pieces of frames): a bulk
// transfer would otherwise allocate one per piece for the collector.
type frames struct{ pool sync.Pool }

func (f *frames) get(n int) []byte {
	if b, ok := f.pool.Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, pieceSize)
}

func (f *frames) put(b []byte) {
	if cap(b) == pieceSize {
		b = b[:0]
		f.pool.Put(&b)
	}
}

// inChunk is one frame's data, read up to off.
type inChunk struct {
	b   []byte
	off int
}
