package sshconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// Files names the user's config and the file older hubssh included from it.
type Files struct {
	User string // ~/.ssh/config
	// Legacy is the file hubssh wrote whole before the block (e.g.
	// ~/.ssh/hubssh/config): its Include goes, and the file with it.
	Legacy string
}

// Change is what an edit would do to the user's config.
type Change struct {
	Path     string // the file written (a symlink's target)
	Old, New []byte
}

// Changed reports whether the edit changes anything.
func (c Change) Changed() bool { return string(c.Old) != string(c.New) }

// resolve follows a symlinked config (dotfile managers keep it elsewhere)
// so the write lands in the target and the link stays.
func resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		if target, lerr := os.Readlink(path); lerr == nil {
			// A dangling link: write where it points.
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
			return target, nil
		}
		return path, nil
	}
	return real, err
}

// read returns the file's bytes and mode; a missing file is empty, 0600.
func read(path string) ([]byte, os.FileMode, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o600, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	return b, st.Mode().Perm(), nil
}

// plan reads the user's config (through a symlink) and applies edit.
func (f Files) plan(edit func(old []byte) ([]byte, error)) (Change, error) {
	path, err := resolve(f.User)
	if err != nil {
		return Change{}, fmt.Errorf("ssh config %s: %w", f.User, err)
	}
	old, _, err := read(path)
	if err != nil {
		return Change{}, err
	}
	out, err := edit(old)
	if err != nil {
		return Change{}, err
	}
	return Change{Path: path, Old: old, New: out}, nil
}

// PlanBlock computes the edit that puts body (Render's output) in
// hubssh's block of the user's config, without writing.
func (f Files) PlanBlock(body []byte) (Change, error) {
	return f.plan(func(old []byte) ([]byte, error) { return SetBlock(old, body, f.Legacy) })
}

// PlanRemove computes the edit that takes hubssh's lines out again.
func (f Files) PlanRemove() (Change, error) {
	return f.plan(func(old []byte) ([]byte, error) { return RemoveBlock(old, f.Legacy) })
}

// Write applies a planned change atomically, keeping the file's mode (a
// new file gets 0600, in a 0700 directory as OpenSSH wants). The file is
// re-read first: if it changed since the plan, nothing is written.
func (c Change) Write() error {
	if !c.Changed() {
		return nil
	}
	now, mode, err := read(c.Path)
	if err != nil {
		return err
	}
	if string(now) != string(c.Old) {
		return fmt.Errorf("%s changed while hubssh was editing it; nothing written, run the command again", c.Path)
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(c.Path), err)
	}
	return atomicfile.Write(c.Path, c.New, mode)
}

// RemoveLegacy deletes the file older hubssh included, once nothing
// includes it (after a Write).
func (f Files) RemoveLegacy() {
	if f.Legacy != "" {
		os.Remove(f.Legacy)
		os.Remove(filepath.Dir(f.Legacy)) // only when empty
	}
}
