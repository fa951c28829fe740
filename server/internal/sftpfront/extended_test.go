package sftpfront

import (
	"bytes"
	"encoding/binary"
	"io"
	"os/user"
	"testing"
)

// versionPacket is pkg/sftp's SSH_FXP_VERSION: version 3 and its own
// extensions.
func versionPacket() []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = append(b, fxpVersion)
	b = binary.BigEndian.AppendUint32(b, 3)
	b = appendString(b, "posix-rename@openssh.com")
	b = appendString(b, "1")
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// replies parses the packets Front wrote: type, id and the rest.
type replyPkt struct {
	typ  byte
	id   uint32
	rest []byte
}

func replies(t *testing.T, b []byte) []replyPkt {
	t.Helper()
	var out []replyPkt
	for len(b) > 0 {
		n := binary.BigEndian.Uint32(b)
		p := b[4 : 4+n]
		out = append(out, replyPkt{p[0], binary.BigEndian.Uint32(p[1:]), p[5:]})
		b = b[4+n:]
	}
	return out
}

func TestVersionAdvertisesExtensions(t *testing.T) {
	ch := &pipeChan{in: bytes.NewReader(nil)}
	f := New(ch, "/home/u", "SSH-2.0-OpenSSH_9.2p1")
	v := versionPacket()
	f.Write(v[:3]) // split anywhere
	f.Write(v[3:])
	f.Write(packet(fxpStatus, 1, "after")) // the next packet passes as written
	got := ch.out.Bytes()
	n := binary.BigEndian.Uint32(got)
	ver := got[4 : 4+n]
	rest := ver[5:]
	var names []string
	for len(rest) > 0 {
		name, r, _ := readString(rest)
		_, r, _ = readString(r)
		names = append(names, name)
		rest = r
	}
	want := []string{"posix-rename@openssh.com", "limits@openssh.com", "expand-path@openssh.com", "home-directory", "users-groups-by-id@openssh.com"}
	if len(names) != len(want) {
		t.Fatalf("extensions %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("extension %d: %s, want %s", i, names[i], want[i])
		}
	}
	if !bytes.Equal(got[4+n:], packet(fxpStatus, 1, "after")) {
		t.Error("the packet after the version was changed")
	}
}

func extendedReq(id uint32, name string, args ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = append(b, fxpExtended)
	b = binary.BigEndian.AppendUint32(b, id)
	b = appendString(b, name)
	for _, a := range args {
		b = appendString(b, string(a))
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func TestExtendedRequests(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := binary.Append(nil, binary.BigEndian, uint32(0))
	reqs := [][]byte{
		extendedReq(1, "limits@openssh.com"),
		extendedReq(2, "expand-path@openssh.com", []byte("~/work/../x")),
		extendedReq(3, "expand-path@openssh.com", []byte("rel/dir")),
		extendedReq(4, "home-directory", []byte(me.Username)),
		extendedReq(5, "users-groups-by-id@openssh.com", uid, uid),
		extendedReq(6, "statvfs@openssh.com", []byte("/")), // pkg/sftp's
		extendedReq(7, "home-directory", []byte("no-such-user-hubssh")),
	}
	passed, _ := func() ([]byte, map[uint32]uint32) {
		ch := &pipeChan{in: bytes.NewReader(bytes.Join(reqs, nil))}
		f := New(ch, "/home/u", "SSH-2.0-OpenSSH_9.2p1")
		f.versionSent = true
		p, _ := io.ReadAll(f)
		got := replies(t, ch.out.Bytes())
		if len(got) != 6 {
			t.Fatalf("%d replies, want 6: %+v", len(got), got)
		}
		limits := got[0]
		if limits.typ != fxpExtendedRep || limits.id != 1 || len(limits.rest) != 32 ||
			binary.BigEndian.Uint64(limits.rest[8:]) != MaxRead || binary.BigEndian.Uint64(limits.rest[16:]) != MaxWrite {
			t.Errorf("limits reply %+v", limits)
		}
		for i, want := range map[int]string{1: "/home/u/x", 2: "/home/u/rel/dir", 3: "/home/u"} {
			r := got[i]
			name, _, _ := readString(r.rest[4:])
			if r.typ != fxpName || name != want {
				t.Errorf("reply %d: type %d name %q, want %q", r.id, r.typ, name, want)
			}
		}
		users, rest, _ := readString(got[4].rest)
		groups, _, _ := readString(rest)
		u, _, _ := readString([]byte(users))
		g, _, _ := readString([]byte(groups))
		if got[4].typ != fxpExtendedRep || u != "root" || g != "root" {
			t.Errorf("users-groups-by-id: %q %q", u, g)
		}
		if got[5].typ != fxpStatus || got[5].id != 7 || binary.BigEndian.Uint32(got[5].rest) != fxNoSuchFile {
			t.Errorf("home of an unknown user: %+v", got[5])
		}
		return p, nil
	}()
	if !bytes.Equal(passed, reqs[5]) {
		t.Errorf("pkg/sftp got %q, want the statvfs request unchanged", passed)
	}
}
