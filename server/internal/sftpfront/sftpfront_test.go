package sftpfront

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// pipeChan is a channel stand-in: Read from in, Write to out.
type pipeChan struct {
	in  io.Reader
	out bytes.Buffer
}

func (p *pipeChan) Read(b []byte) (int, error)  { return p.in.Read(b) }
func (p *pipeChan) Write(b []byte) (int, error) { return p.out.Write(b) }
func (p *pipeChan) Close() error                { return nil }

func packet(typ byte, id uint32, strs ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = append(b, typ)
	b = binary.BigEndian.AppendUint32(b, id)
	for _, s := range strs {
		b = appendString(b, s)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// statuses parses the status replies Front wrote: id → code.
func statuses(t *testing.T, b []byte) map[uint32]uint32 {
	t.Helper()
	out := map[uint32]uint32{}
	for len(b) > 0 {
		n := binary.BigEndian.Uint32(b)
		p := b[4 : 4+n]
		if p[0] != fxpStatus {
			t.Fatalf("reply type %d, want status", p[0])
		}
		out[binary.BigEndian.Uint32(p[1:])] = binary.BigEndian.Uint32(p[5:])
		b = b[4+n:]
	}
	return out
}

// run feeds requests through a Front and returns what reached pkg/sftp's
// side and the replies Front wrote itself.
func run(t *testing.T, home string, reqs ...[]byte) (passed []byte, replies map[uint32]uint32) {
	t.Helper()
	return runAs(t, "SSH-2.0-OpenSSH_9.2p1", home, reqs...)
}

func runAs(t *testing.T, client, home string, reqs ...[]byte) (passed []byte, replies map[uint32]uint32) {
	t.Helper()
	ch := &pipeChan{in: bytes.NewReader(bytes.Join(reqs, nil))}
	f := New(ch, home, client)
	passed, err := io.ReadAll(f)
	if err != nil && err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	return passed, statuses(t, ch.out.Bytes())
}

func TestRenameLikeSFTPServer(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(dir string)
		old, new string
		want     uint32
		check    func(t *testing.T, dir string)
	}{
		{"file to a new name", func(d string) { os.WriteFile(filepath.Join(d, "a"), []byte("A"), 0o600) }, "a", "b", fxOK,
			func(t *testing.T, d string) { wantFile(t, d, "b", "A"); wantGone(t, d, "a") }},
		{"file onto an existing file is refused, both kept", func(d string) {
			os.WriteFile(filepath.Join(d, "a"), []byte("A"), 0o600)
			os.WriteFile(filepath.Join(d, "b"), []byte("B"), 0o600)
		}, "a", "b", fxFailure, func(t *testing.T, d string) { wantFile(t, d, "a", "A"); wantFile(t, d, "b", "B") }},
		{"directory to a new name", func(d string) { os.Mkdir(filepath.Join(d, "x"), 0o700) }, "x", "y", fxOK,
			func(t *testing.T, d string) { wantGone(t, d, "x") }},
		{"directory onto an existing one is refused", func(d string) {
			os.Mkdir(filepath.Join(d, "x"), 0o700)
			os.Mkdir(filepath.Join(d, "y"), 0o700)
		}, "x", "y", fxFailure, func(t *testing.T, d string) {}},
		{"missing source", func(string) {}, "nope", "b", fxNoSuchFile, func(t *testing.T, d string) { wantGone(t, d, "b") }},
		{"absolute paths", func(d string) { os.WriteFile(filepath.Join(d, "a"), []byte("A"), 0o600) }, "", "", fxOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			old, new := tt.old, tt.new
			if old == "" {
				old, new = filepath.Join(dir, "a"), filepath.Join(dir, "c")
			}
			passed, replies := run(t, dir, packet(fxpRename, 7, old, new))
			if len(passed) != 0 {
				t.Errorf("pkg/sftp got %d bytes of a request Front answers", len(passed))
			}
			if got, ok := replies[7]; !ok || got != tt.want {
				t.Errorf("status %d (%v), want %d", got, ok, tt.want)
			}
			if tt.check != nil {
				tt.check(t, dir)
			}
		})
	}
}

func TestSymlinkTargetKeptAsSent(t *testing.T) {
	// Each client's order of the two paths, as it sends them to hubsshd.
	clients := []struct {
		version     string
		targetFirst bool
	}{
		{"SSH-2.0-OpenSSH_9.2p1", true},
		{"SSH-2.0-paramiko_4.0.0", true},
		{"SSH-2.0-SSHJ_0.40.0", true}, // sshj sends its arguments as given; users pass OpenSSH's order
		{"SSH-2.0-AsyncSSH_2.24.1", false},
	}
	for _, c := range clients {
		dir := t.TempDir()
		for i, target := range []string{"target.txt", "../up/there", "/abs/path"} {
			link := filepath.Join("sub", string(rune('a'+i)))
			os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
			req := packet(fxpSymlink, uint32(i), target, link)
			if !c.targetFirst {
				req = packet(fxpSymlink, uint32(i), link, target)
			}
			_, replies := runAs(t, c.version, dir, req)
			if replies[uint32(i)] != fxOK {
				t.Fatalf("%s: symlink %q: status %d", c.version, target, replies[uint32(i)])
			}
			if got, err := os.Readlink(filepath.Join(dir, link)); err != nil || got != target {
				t.Errorf("%s: link %s points to %q (%v), want %q exactly", c.version, link, got, err, target)
			}
		}
	}
}

func TestOtherRequestsPassThroughUnchanged(t *testing.T) {
	open := packet(3, 1, "file.bin") // SSH_FXP_OPEN (flags omitted: Front does not look)
	data := append(packet(6, 2), bytes.Repeat([]byte{0xAB}, 100_000)...)
	binary.BigEndian.PutUint32(data, uint32(len(data)-4))
	passed, replies := run(t, t.TempDir(), open, packet(fxpSymlink, 3, "t", "l"), data)
	if !bytes.Equal(passed, append(open, data...)) {
		t.Errorf("pkg/sftp got %d bytes, want the %d of the two requests it serves, unchanged", len(passed), len(open)+len(data))
	}
	if _, ok := replies[3]; !ok || len(replies) != 1 {
		t.Errorf("Front's replies %v, want one for the symlink", replies)
	}
}

// TestRepliesNeverInterleave: pkg/sftp writes a data reply as a header and
// then its payload; Front's own reply must wait for the packet's end.
func TestRepliesNeverInterleave(t *testing.T) {
	ch := &pipeChan{in: bytes.NewReader(nil)}
	f := New(ch, t.TempDir(), "SSH-2.0-OpenSSH_9.2p1")
	f.Write(versionPacket())
	ch.out.Reset()
	payload := bytes.Repeat([]byte{1}, 1000)
	hdr := binary.BigEndian.AppendUint32(nil, uint32(1+4+4+len(payload)))
	hdr = append(hdr, 103) // SSH_FXP_DATA
	hdr = binary.BigEndian.AppendUint32(hdr, 9)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(payload)))
	f.Write(hdr[:2]) // even the length prefix split
	f.Write(hdr[2:])
	if f.mu.TryLock() {
		t.Fatal("nothing holds the write lock inside pkg/sftp's packet: Front's reply could cut it")
	}
	done := make(chan struct{})
	go func() { f.status(5, fxOK, "Success"); close(done) }()
	f.Write(payload)
	<-done
	out := ch.out.Bytes()
	want := append(hdr, payload...)
	if !bytes.Equal(out[:len(want)], want) {
		t.Fatal("pkg/sftp's packet arrived cut")
	}
	if got := statuses(t, out[len(want):]); got[5] != fxOK {
		t.Errorf("after the packet: %v", got)
	}
}

func wantFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
		t.Errorf("%s: %q %v, want %q", name, b, err, content)
	}
}

func wantGone(t *testing.T, dir, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
		t.Errorf("%s still exists", name)
	}
}
