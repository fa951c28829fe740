package sftpfront

import (
	"encoding/binary"
	"io"
	"os/user"
	"path"
	"strconv"
	"strings"
)

// MaxRead is the most data one read request returns, as
// limits@openssh.com reports it (sftp-server's 255 KiB): pkg/sftp's
// Server must be told the same (sftp.WithMaxTxPacket). OpenSSH's sftp
// sizes its downloads by it; without the extension it asks for 32 KiB.
// Through a hub: sftp get 172–215 → 197–252 MiB/s and hubsshd's CPU per
// GiB 1.64–2.02 → 1.34–1.66 s, 4 interleaved rounds (docs/benchmarks.md).
const MaxRead = 255 * 1024

// MaxWrite is the write size reported. Uploads stay at 32 KiB: 255 KiB
// writes were slower in 9 of 10 interleaved rounds (sftp put 96–122 vs
// 113–143 MiB/s). The session channel's 2 MiB window bounds the bytes in
// flight either way, and a larger request only reaches pkg/sftp later.
const MaxWrite = 32 * 1024

// maxMessage is pkg/sftp's packet limit (its maxMsgLength).
const maxMessage = 256 * 1024

// extensions are the SSH_FXP_EXTENDED requests Front answers itself, with
// the version advertised in SSH_FXP_VERSION (OpenSSH's PROTOCOL.sftp-server
// names them). pkg/sftp answers posix-rename, statvfs and hardlink.
var extensions = []struct{ name, version string }{
	{"limits@openssh.com", "1"},
	{"expand-path@openssh.com", "1"},
	{"home-directory", "1"},
	{"users-groups-by-id@openssh.com", "1"},
}

// extended answers req (an SSH_FXP_EXTENDED body) when it is one of
// extensions; false hands it to pkg/sftp.
func (f *Front) extended(req []byte) (bool, error) {
	if len(req) < 4 {
		return false, nil
	}
	id := binary.BigEndian.Uint32(req)
	name, rest, ok := readString(req[4:])
	if !ok {
		return false, nil
	}
	switch name {
	case "limits@openssh.com":
		var b []byte
		b = binary.BigEndian.AppendUint64(b, maxMessage)
		b = binary.BigEndian.AppendUint64(b, MaxRead)
		b = binary.BigEndian.AppendUint64(b, MaxWrite)
		b = binary.BigEndian.AppendUint64(b, 0) // open handles: no limit of ours
		return true, f.reply(fxpExtendedRep, id, b)
	case "expand-path@openssh.com":
		return true, f.pathReply(id, rest, f.expand)
	case "home-directory":
		return true, f.pathReply(id, rest, f.homeOf)
	case "users-groups-by-id@openssh.com":
		uids, rest, ok1 := readString(rest)
		gids, _, ok2 := readString(rest)
		if !ok1 || !ok2 || len(uids)%4 != 0 || len(gids)%4 != 0 {
			return true, f.status(id, fxFailure, "bad message")
		}
		names := func(ids string, lookup func(string) string) []byte {
			var b []byte
			for i := 0; i < len(ids); i += 4 {
				b = appendString(b, lookup(strconv.FormatUint(uint64(binary.BigEndian.Uint32([]byte(ids[i:]))), 10)))
			}
			return b
		}
		userName := func(uid string) string {
			if u, err := user.LookupId(uid); err == nil {
				return u.Username
			}
			return "" // unknown: the client shows the number
		}
		groupName := func(gid string) string {
			if g, err := user.LookupGroupId(gid); err == nil {
				return g.Name
			}
			return ""
		}
		b := appendString(nil, string(names(uids, userName)))
		b = appendString(b, string(names(gids, groupName)))
		return true, f.reply(fxpExtendedRep, id, b)
	}
	return false, nil
}

// expand is expand-path@openssh.com: "~" and "~/x" against the home,
// "~user/x" against user's, a relative path against the home (the working
// directory), then cleaned (as pkg/sftp's SSH_FXP_REALPATH does).
func (f *Front) expand(p string) (string, error) {
	if strings.HasPrefix(p, "~") {
		who, rest, _ := strings.Cut(p[1:], "/")
		home, err := f.homeOf(who)
		if err != nil {
			return "", err
		}
		p = path.Join(home, rest)
	}
	return path.Clean(f.resolve(p)), nil
}

// homeOf is the home of the named user; "" (or the session's own user) is
// the session's home.
func (f *Front) homeOf(who string) (string, error) {
	if who == "" {
		return f.home, nil
	}
	if me, err := user.Current(); err == nil && me.Username == who {
		return f.home, nil
	}
	u, err := user.Lookup(who)
	if err != nil {
		return "", err
	}
	return u.HomeDir, nil
}

// pathReply answers a request whose one argument is a string with the
// name resolve gives for it, or "no such file".
func (f *Front) pathReply(id uint32, args []byte, resolve func(string) (string, error)) error {
	arg, _, ok := readString(args)
	if !ok {
		return f.status(id, fxFailure, "bad message")
	}
	p, err := resolve(arg)
	if err != nil {
		return f.status(id, fxNoSuchFile, err.Error())
	}
	return f.name(id, p)
}

// name writes an SSH_FXP_NAME reply of one name with no attributes.
func (f *Front) name(id uint32, name string) error {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = appendString(b, name)
	b = appendString(b, "")                 // longname
	b = binary.BigEndian.AppendUint32(b, 0) // attribute flags: none
	return f.reply(fxpName, id, b)
}

// writeVersion holds pkg/sftp's first packet until it is whole, and sends
// it with extensions added when it is SSH_FXP_VERSION.
func (f *Front) writeVersion(p []byte) (int, error) {
	f.version = append(f.version, p...)
	if len(f.version) < 4 {
		return len(p), nil
	}
	need := 4 + int(binary.BigEndian.Uint32(f.version))
	if len(f.version) < need {
		return len(p), nil
	}
	pkt, rest := f.version[:need], f.version[need:]
	if len(pkt) >= 9 && pkt[4] == fxpVersion {
		out := append([]byte{}, pkt...)
		for _, e := range extensions {
			out = appendString(out, e.name)
			out = appendString(out, e.version)
		}
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		pkt = out
	}
	f.versionSent, f.version = true, nil
	f.mu.Lock()
	_, err := f.ch.Write(pkt)
	f.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		if _, err := f.writePackets(rest); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

var _ io.Writer = (*Front)(nil)
