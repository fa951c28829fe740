package resume

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Options size a session; zero values mean the defaults.
type Options struct {
	// Buffer bounds the bytes sent and not yet acknowledged: the replay
	// buffer. A full buffer blocks the writer, which is back-pressure into
	// SSH's own flow control; nothing is dropped and nothing grows beyond
	// it. It also bounds throughput to Buffer per round trip.
	Buffer int
	// Heartbeat is how often an attachment with nothing to say sends an
	// empty frame; three silent heartbeats and it is declared dead.
	Heartbeat time.Duration
}

const (
	defaultBuffer    = 8 << 20
	defaultHeartbeat = 10 * time.Second
	maxFrame         = 256 << 10 // under jupyter-server-proxy's 10 MiB message limit
	pieceSize        = 64 << 10  // a frame's data is handed on in pieces this big
)

func (o Options) withDefaults() Options {
	if o.Buffer == 0 {
		o.Buffer = defaultBuffer
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = defaultHeartbeat
	}
	return o
}

// session is a byte stream that outlives its transports. Positions are
// absolute byte counts since the session began; a FIN counts as one more
// position, so acknowledging it is acknowledging the end.
//
// Frames, both ways: uvarint ack, uvarint len<<1|fin, then len bytes. The
// ack is what the application has read, not what arrived: a side never
// stops reading its transport (the acks that free its own buffer come in
// on it), and the peer's Buffer bounds what can arrive unread. Each side
// keeps what it sent until an ack covers it; on attach both say how much
// arrived, so each resends from there.
type session struct {
	opts Options

	mu   sync.Mutex
	cond *sync.Cond

	out      ring   // sent or to send, not yet acknowledged
	outStart uint64 // position of out[0] (past the FIN once that is acknowledged)
	dataEnd  uint64 // position after the last byte written
	sent     uint64 // position the current attachment has sent up to
	finOut   bool   // CloseWrite: a FIN follows out

	in       []inChunk // received, not yet read: the frames' own buffers
	inLen    int
	frames   frames
	received uint64 // positions received, a FIN included
	consumed uint64 // positions the application has read (the ack)
	acked    uint64 // consumed, as last told to the peer
	finIn    bool   // the peer's FIN arrived

	t    net.Conn      // the attachment; nil while detached
	stop chan struct{} // closed when the attachment ends
	gen  uint64        // bumped by every attach and detach: a stale goroutine sees it change
	wake chan struct{}

	closed       bool  // Close: nothing more is read
	err          error // the stream is over: every call returns it
	readDeadline time.Time
	timer        *time.Timer

	// onDetach hears of every lost attachment (the client redials, the
	// server starts the window); onDone of the stream's end.
	onDetach func(error)
	onDone   func()
	done     bool
}

func newSession(opts Options) *session {
	s := &session{opts: opts.withDefaults(), wake: make(chan struct{}, 1)}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *session) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// outEnd is the position after the last byte (and the FIN) to send.
func (s *session) outEnd() uint64 {
	if s.finOut {
		return s.dataEnd + 1
	}
	return s.dataEnd
}

// Write appends to the stream, waiting while the replay buffer is full.
func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for len(p) > 0 {
		for s.err == nil && !s.finOut && s.out.n >= s.opts.Buffer {
			s.cond.Wait()
		}
		switch {
		case s.err != nil:
			return n, s.err
		case s.finOut:
			return n, net.ErrClosed
		}
		k := s.out.write(p, s.opts.Buffer)
		s.dataEnd += uint64(k)
		p, n = p[k:], n+k
		s.kick()
	}
	return n, nil
}

// Read returns received bytes; io.EOF after the peer's FIN.
func (s *session) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inLen == 0 && !s.finIn && s.err == nil && !s.closed && !s.pastDeadline() {
		s.cond.Wait()
	}
	switch {
	case s.inLen > 0:
		n := 0
		for n < len(p) && len(s.in) > 0 {
			ch := &s.in[0]
			c := copy(p[n:], ch.b[ch.off:])
			n += c
			if ch.off += c; ch.off == len(ch.b) {
				s.frames.put(ch.b)
				s.in[0] = inChunk{}
				s.in = s.in[1:]
			}
		}
		s.inLen -= n
		s.consume(uint64(n))
		return n, nil
	case s.closed:
		return 0, net.ErrClosed
	case s.finIn:
		if s.consumed < s.received {
			s.consume(1) // the FIN
		}
		return 0, io.EOF
	case s.err != nil:
		return 0, s.err
	}
	return 0, os.ErrDeadlineExceeded
}

// consume advances the ack; a quarter of the peer's buffer read is worth
// a frame of its own, so a one-way transfer keeps flowing.
func (s *session) consume(n uint64) {
	s.consumed += n
	if s.consumed-s.acked >= uint64(s.opts.Buffer/4) || (s.finIn && s.consumed == s.received) {
		s.kick()
	}
}

func (s *session) pastDeadline() bool {
	return !s.readDeadline.IsZero() && !time.Now().Before(s.readDeadline)
}

// CloseWrite ends the stream this way: a FIN goes after what was written.
func (s *session) CloseWrite() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finOut {
		s.finOut = true
		s.kick()
		s.cond.Broadcast()
	}
	s.maybeDone()
	return nil
}

// Close ends both ways: what was written is still delivered (the stream
// lives until the peer acknowledges the FIN, or fails); nothing more is
// read.
func (s *session) Close() error {
	s.mu.Lock()
	s.closed = true
	s.in, s.inLen = nil, 0
	s.consume(s.received - s.consumed)
	s.mu.Unlock()
	return s.CloseWrite()
}

// fail ends the stream with err at once, attached or not.
func (s *session) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(err)
}

func (s *session) failLocked(err error) {
	if s.err == nil {
		s.err = err
	}
	s.endAttachment()
	s.cond.Broadcast()
	s.finish()
}

// endAttachment closes the attachment, if any, and stops its goroutines.
func (s *session) endAttachment() {
	if s.t != nil {
		s.t.Close()
		s.t = nil
		close(s.stop)
	}
	s.gen++
}

// maybeDone ends a stream both of whose FINs are through.
func (s *session) maybeDone() {
	if s.finOut && s.outStart >= s.outEnd() && (s.finIn || s.closed) {
		s.endAttachment()
		if s.err == nil {
			s.err = net.ErrClosed
		}
		s.cond.Broadcast()
		s.finish()
	}
}

func (s *session) finish() {
	if s.done {
		return
	}
	s.done = true
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.onDone != nil {
		go s.onDone()
	}
}

// SetReadDeadline bounds Read, as a net.Conn's does (hubsshd bounds the SSH
// handshake with it).
func (s *session) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readDeadline = t
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !t.IsZero() {
		s.timer = time.AfterFunc(time.Until(t), func() {
			s.mu.Lock()
			s.cond.Broadcast()
			s.mu.Unlock()
		})
	}
	s.cond.Broadcast()
	return nil
}

// received reports the position received so far (for a handshake).
func (s *session) receivedPos() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// detach drops the current attachment, if any, so that a new one can be
// set up without the old one still delivering bytes.
func (s *session) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t != nil {
		s.endAttachment()
	}
}

// attach makes t the attachment, resending from peerReceived, the position
// the peer has received up to.
func (s *session) attach(t net.Conn, peerReceived uint64) error {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		t.Close()
		return s.err
	}
	if peerReceived < s.outStart || peerReceived > s.outEnd() {
		err := fmt.Errorf("%w: the peer has %d, this side holds %d–%d", ErrOutOfRange, peerReceived, s.outStart, s.outEnd())
		s.failLocked(err)
		s.mu.Unlock()
		t.Close()
		return err
	}
	s.release(peerReceived)
	s.endAttachment()
	s.t = t
	s.stop = make(chan struct{})
	stop := s.stop
	g := s.gen
	s.sent = s.outStart
	s.acked = 0 // the first frame says where reading stands
	s.mu.Unlock()
	go s.readLoop(t, g)
	go s.writeLoop(t, g, stop)
	s.kick()
	return nil
}

// release drops what the peer acknowledged.
func (s *session) release(ack uint64) {
	if ack <= s.outStart {
		return
	}
	s.out.drop(int(min(ack-s.outStart, uint64(s.out.n))))
	s.outStart = ack
	if s.sent < ack {
		s.sent = ack
	}
	s.cond.Broadcast()
	s.maybeDone()
}

// lost ends attachment g: detach, and say so once. After the peer's FIN
// there is nothing to resume: the peer has ended and reads no more.
func (s *session) lost(g uint64, err error) {
	s.mu.Lock()
	if s.gen != g || s.err != nil {
		s.mu.Unlock()
		return
	}
	if s.finIn {
		s.failLocked(net.ErrClosed)
		s.mu.Unlock()
		return
	}
	s.endAttachment()
	s.cond.Broadcast()
	f := s.onDetach
	s.mu.Unlock()
	if f != nil {
		f(err)
	}
}

// errSilent is an attachment that carried nothing for three heartbeats:
// the path is dead (asleep, unplugged) though no socket says so.
type errSilent struct{ d time.Duration }

func (e errSilent) Error() string { return fmt.Sprintf("nothing arrived for %s", e.d) }

func (s *session) readLoop(t net.Conn, g uint64) {
	br := bufio.NewReaderSize(t, 64<<10)
	dead := 3 * s.opts.Heartbeat
	for {
		since := time.Now()
		t.SetReadDeadline(since.Add(dead))
		ack, err := binary.ReadUvarint(br)
		var hdr uint64
		if err == nil {
			hdr, err = binary.ReadUvarint(br)
		}
		if err != nil {
			// A websocket reports its deadline as a cancelled context.
			if errors.Is(err, os.ErrDeadlineExceeded) || time.Since(since) >= dead {
				err = errSilent{dead}
			}
			s.lost(g, err)
			return
		}
		n, fin := int(hdr>>1), hdr&1 == 1
		if n > maxFrame {
			s.fail(fmt.Errorf("resume: a frame of %d bytes (at most %d)", n, maxFrame))
			return
		}
		s.mu.Lock()
		if s.gen != g {
			s.mu.Unlock()
			return
		}
		if ack > s.outEnd() {
			s.failLocked(fmt.Errorf("%w: acknowledged %d of %d", ErrOutOfRange, ack, s.outEnd()))
			s.mu.Unlock()
			return
		}
		s.release(ack)
		s.mu.Unlock()
		// The data is handed on as it arrives, not once the frame is
		// whole: a quarter-MiB frame held back delays SSH's window
		// adjusts behind it (download at +20 ms RTT: 0.85 of resume off).
		for left := n; left > 0 || n == 0; {
			buf := s.frames.get(min(left, pieceSize))
			if _, err := io.ReadFull(br, buf); err != nil {
				s.frames.put(buf)
				s.lost(g, err)
				return
			}
			s.mu.Lock()
			if s.gen != g {
				s.mu.Unlock()
				s.frames.put(buf)
				return
			}
			s.received += uint64(len(buf))
			if s.closed || len(buf) == 0 {
				s.consumed += uint64(len(buf)) // read by nobody: acknowledged at once
				s.frames.put(buf)
			} else {
				s.in = append(s.in, inChunk{b: buf})
				s.inLen += len(buf)
			}
			left -= len(buf)
			if left > 0 {
				s.cond.Broadcast()
				s.mu.Unlock()
				continue
			}
			break
		}
		if fin && !s.finIn {
			s.finIn = true
			s.received++
			if s.closed {
				s.consume(1)
			}
		}
		if s.closed && n > 0 {
			s.kick()
		}
		s.cond.Broadcast()
		s.maybeDone()
		s.mu.Unlock()
	}
}

func (s *session) writeLoop(t net.Conn, g uint64, stop <-chan struct{}) {
	hb := time.NewTicker(s.opts.Heartbeat)
	defer hb.Stop()
	frame := make([]byte, 0, maxFrame+2*binary.MaxVarintLen64)
	beat := false
	for {
		select {
		case <-s.wake:
		case <-hb.C:
			beat = true
		case <-stop:
			s.kick() // the wake may have been meant for the new writer
			return
		}
		for {
			s.mu.Lock()
			if s.gen != g {
				s.mu.Unlock()
				s.kick() // the wake may have been meant for the new writer
				return
			}
			dataEnd := s.dataEnd
			n := 0
			if s.sent < dataEnd {
				n = int(min(dataEnd-s.sent, maxFrame))
			}
			// The FIN rides on the frame that carries the last byte.
			finPending := s.finOut && s.sent+uint64(n) == dataEnd
			if n == 0 && !finPending && s.consumed == s.acked && !beat {
				s.mu.Unlock()
				break
			}
			frame = binary.AppendUvarint(frame[:0], s.consumed)
			hdr := uint64(n) << 1
			if finPending {
				hdr |= 1
			}
			frame = binary.AppendUvarint(frame, hdr)
			h := len(frame)
			frame = frame[:h+n]
			s.out.copyAt(int(s.sent-s.outStart), frame[h:])
			s.sent += uint64(n)
			if finPending {
				s.sent++
			}
			s.acked = s.consumed
			s.mu.Unlock()
			beat = false
			// One Write per frame: over a websocket, one message.
			if _, err := t.Write(frame); err != nil {
				s.lost(g, err)
				return
			}
		}
	}
}
