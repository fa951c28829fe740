// Package sftpfront sits between an SSH channel and pkg/sftp's Server and
// answers the requests whose pkg/sftp handling loses users' files (#16),
// as OpenSSH's sftp-server does; every other request, and every byte of
// data, passes through unchanged.
//
//   - SSH_FXP_SYMLINK: pkg/sftp makes a relative target absolute against its
//     working directory ("ln -s target.txt link" made a link to
//     $HOME/target.txt, which dangles once moved). The target is stored
//     exactly as sent; only the link's own path is resolved.
//   - SSH_FXP_RENAME: pkg/sftp calls rename(2), which replaces an existing
//     file. sftp-server refuses when the new path exists (replacing is
//     posix-rename@openssh.com's job, which still goes to pkg/sftp).
//   - SSH_FXP_SYMLINK's argument order: OpenSSH sends the target first,
//     the reverse of the draft, and servers read it so. AsyncSSH sends the
//     draft's order to any server whose banner does not say OpenSSH or
//     paramiko; hubsshd's does not (CLIENTS.md), so for AsyncSSH clients
//     the order is read the draft's way, and their links come out as they
//     do against sftp-server.
//
// Replies to these go out between pkg/sftp's, never inside one: Front
// forwards pkg/sftp's writes as whole packets (pkg/sftp writes a data reply
// as a header and then its payload).
package sftpfront

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
)

// SFTP packet types and status codes (draft-ietf-secsh-filexfer-02).
const (
	fxpVersion     = 2
	fxpRename      = 18
	fxpSymlink     = 20
	fxpStatus      = 101
	fxpName        = 104
	fxpExtended    = 200
	fxpExtendedRep = 201

	fxOK               = 0
	fxNoSuchFile       = 2
	fxPermissionDenied = 3
	fxFailure          = 4
)

// maxPacket bounds a request Front reads whole; the ones it answers carry
// a path or two, far below it.
const maxPacket = 1 << 18

// Front is the io.ReadWriteCloser to hand pkg/sftp in place of the channel.
type Front struct {
	ch   io.ReadWriteCloser
	home string // relative paths resolve against it, as pkg/sftp's do
	// draftSymlink: the client sends SSH_FXP_SYMLINK as the draft says,
	// link path first.
	draftSymlink bool

	// Read side, used by pkg/sftp's single reader.
	hdr    [5]byte
	hdrOut int    // bytes of hdr not yet given to the reader
	body   int    // bytes of the current passed-through packet left to read
	replay []byte // a request read whole and passed on after all

	// Write side: mu is held from the first byte of a packet to its last.
	mu      sync.Mutex
	outLeft int    // bytes of pkg/sftp's current packet still to come
	partial []byte // a length prefix split across writes
	// pkg/sftp's first reply, SSH_FXP_VERSION, is held until whole and
	// sent with the extensions Front answers added (extended.go).
	versionSent bool
	version     []byte
}

// New returns a Front for ch, resolving relative paths against home, for
// a client whose SSH identification string is clientVersion.
func New(ch io.ReadWriteCloser, home, clientVersion string) *Front {
	return &Front{ch: ch, home: home, draftSymlink: strings.HasPrefix(clientVersion, "SSH-2.0-AsyncSSH_")}
}

// Read gives pkg/sftp the request stream without the requests Front
// answers.
func (f *Front) Read(p []byte) (int, error) {
	for {
		if len(f.replay) > 0 {
			n := copy(p, f.replay)
			f.replay = f.replay[n:]
			return n, nil
		}
		if f.hdrOut > 0 {
			n := copy(p, f.hdr[len(f.hdr)-f.hdrOut:])
			f.hdrOut -= n
			return n, nil
		}
		if f.body > 0 {
			if len(p) > f.body {
				p = p[:f.body]
			}
			n, err := f.ch.Read(p)
			f.body -= n
			return n, err
		}
		if _, err := io.ReadFull(f.ch, f.hdr[:]); err != nil {
			return 0, err
		}
		length := int(binary.BigEndian.Uint32(f.hdr[:4]))
		if length < 1 {
			return 0, fmt.Errorf("sftp: packet of length %d", length)
		}
		typ := f.hdr[4]
		if (typ != fxpRename && typ != fxpSymlink && typ != fxpExtended) || length > maxPacket {
			f.hdrOut, f.body = len(f.hdr), length-1
			continue
		}
		req := make([]byte, length-1)
		if _, err := io.ReadFull(f.ch, req); err != nil {
			return 0, err
		}
		if typ == fxpExtended {
			handled, err := f.extended(req)
			if err != nil {
				return 0, err
			}
			if !handled { // pkg/sftp's, as it came
				f.replay = append(append([]byte{}, f.hdr[:]...), req...)
			}
			continue
		}
		if err := f.answer(typ, req); err != nil {
			return 0, err
		}
	}
}

// answer handles one request and writes its status reply.
func (f *Front) answer(typ byte, req []byte) error {
	id, a, b, ok := idAndTwoStrings(req)
	if !ok {
		return f.status(id, fxFailure, "bad message")
	}
	var err error
	switch typ {
	case fxpSymlink:
		// OpenSSH's client sends the target first and the link second
		// (the reverse of the draft), as pkg/sftp reads them too.
		if f.draftSymlink {
			a, b = b, a
		}
		err = os.Symlink(a, f.resolve(b))
	case fxpRename:
		err = rename(f.resolve(a), f.resolve(b))
	}
	code, msg := statusOf(err)
	return f.status(id, code, msg)
}

func (f *Front) resolve(p string) string {
	if path.IsAbs(p) || f.home == "" {
		return p
	}
	return path.Join(f.home, p)
}

// rename is sftp-server's SSH_FXP_RENAME: a file is linked to its new name
// and then unlinked (so an existing new name makes it fail); where hard
// links are not possible, and for directories, it renames only if nothing
// is at the new name.
func rename(oldpath, newpath string) error {
	st, err := os.Lstat(oldpath)
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() {
		err := os.Link(oldpath, newpath)
		if err == nil {
			return os.Remove(oldpath)
		}
		if !linkUnsupported(err) {
			return err
		}
	}
	if _, err := os.Lstat(newpath); err == nil {
		return fs.ErrExist
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(oldpath, newpath)
}

// linkUnsupported: file systems that cannot hard-link (as sftp-server
// falls back for).
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) ||
		errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EMLINK)
}

// statusOf maps an error to a status code as sftp-server does.
func statusOf(err error) (uint32, string) {
	switch {
	case err == nil:
		return fxOK, "Success"
	case errors.Is(err, fs.ErrNotExist):
		return fxNoSuchFile, "No such file"
	case errors.Is(err, fs.ErrPermission):
		return fxPermissionDenied, "Permission denied"
	}
	return fxFailure, "Failure"
}

// status writes an SSH_FXP_STATUS reply between pkg/sftp's packets.
func (f *Front) status(id, code uint32, msg string) error {
	body := binary.BigEndian.AppendUint32(nil, code)
	body = appendString(body, msg)
	body = appendString(body, "")
	return f.reply(fxpStatus, id, body)
}

// reply writes one reply packet of Front's between pkg/sftp's.
func (f *Front) reply(typ byte, id uint32, payload []byte) error {
	pkt := binary.BigEndian.AppendUint32(nil, uint32(5+len(payload)))
	pkt = append(pkt, typ)
	pkt = binary.BigEndian.AppendUint32(pkt, id)
	pkt = append(pkt, payload...)
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.ch.Write(pkt)
	return err
}

// Write forwards pkg/sftp's replies, holding mu from a packet's first byte
// to its last so that a reply of Front's never lands inside one.
func (f *Front) Write(p []byte) (int, error) {
	if !f.versionSent {
		return f.writeVersion(p)
	}
	return f.writePackets(p)
}

func (f *Front) writePackets(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if f.outLeft == 0 {
			// A new packet: learn its length (the prefix may arrive
			// split, though pkg/sftp writes it whole).
			need := 4 - len(f.partial)
			if len(p) < need {
				f.partial = append(f.partial, p...)
				return written + len(p), nil
			}
			prefix := append(f.partial, p[:need]...)
			f.partial = nil
			f.mu.Lock()
			f.outLeft = 4 + int(binary.BigEndian.Uint32(prefix))
			if len(prefix) > need { // bytes held back from an earlier write
				if _, err := f.ch.Write(prefix[:len(prefix)-need]); err != nil {
					f.mu.Unlock()
					return written, err
				}
				f.outLeft -= len(prefix) - need
			}
		}
		n := min(len(p), f.outLeft)
		m, err := f.ch.Write(p[:n])
		written += m
		f.outLeft -= m
		if f.outLeft == 0 {
			f.mu.Unlock()
		}
		if err != nil {
			if f.outLeft > 0 {
				f.outLeft = 0
				f.mu.Unlock()
			}
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// Close closes the channel.
func (f *Front) Close() error { return f.ch.Close() }

func idAndTwoStrings(b []byte) (id uint32, a, c string, ok bool) {
	if len(b) < 4 {
		return 0, "", "", false
	}
	id, b = binary.BigEndian.Uint32(b), b[4:]
	a, b, ok = readString(b)
	if !ok {
		return id, "", "", false
	}
	c, _, ok = readString(b)
	return id, a, c, ok
}

func readString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
