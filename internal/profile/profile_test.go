package profile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStart(t *testing.T) {
	t.Setenv("TEST_PROFILE", "")
	stop, err := Start("TEST_PROFILE")
	if err != nil {
		t.Fatal(err)
	}
	stop() // unset: nothing to write, nothing to fail

	prefix := filepath.Join(t.TempDir(), "cpu")
	t.Setenv("TEST_PROFILE", prefix)
	stop, err = Start("TEST_PROFILE")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	files, _ := filepath.Glob(prefix + ".*")
	if len(files) != 1 {
		t.Fatalf("profile files %v, want one PREFIX.PID", files)
	}
	if st, _ := os.Stat(files[0]); st.Size() == 0 {
		t.Error("profile is empty")
	}
	t.Setenv("TEST_PROFILE", filepath.Join(t.TempDir(), "missing", "dir", "cpu"))
	if _, err := Start("TEST_PROFILE"); err == nil {
		t.Error("an unwritable profile path was accepted")
	}
}
