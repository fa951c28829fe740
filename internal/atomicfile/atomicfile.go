// Package atomicfile replaces files so that a reader, or a crash, sees the
// old content or the new one, never half of either.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data: a temp file in the same directory, synced,
// given mode, then renamed over path.
func Write(path string, data []byte, mode os.FileMode) error {
	return put(path, data, mode, os.Rename)
}

// Create puts data at path only if nothing is there yet, atomically: a
// temp file, synced, given mode, then hard-linked to path. Of processes
// creating one path at once, exactly one wins; created reports whether it
// was this one (then the others read its content, never half of it).
func Create(path string, data []byte, mode os.FileMode) (created bool, err error) {
	err = put(path, data, mode, os.Link)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// put writes data to a temp file beside path and installs it with install
// (rename: replace; link: create only).
func put(path string, data []byte, mode os.FileMode, install func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a rename: no-op; after a link: the temp name
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = install(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
