package core

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// ConnectionStatus is what a "hubssh proxy" that is resuming tells the
// editor: Remote-SSH shows the proxy's stderr only in its own log, so the
// proxy also leaves its state in a file, and "hubssh serve" hands changes
// to the extension ($/connection), which shows them in the status bar.
type ConnectionStatus struct {
	Alias   string    `json:"alias"`
	Label   string    `json:"label"` // "alice's default server"
	State   string    `json:"state"` // "resuming" or "resumed"
	Retry   int       `json:"retry"`
	Since   float64   `json:"since"` // seconds since the connection broke
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
	PID     int       `json:"pid"`
}

// staleAfter is how old a "resuming" file may be before it is taken for
// one a crashed proxy left: a resuming proxy rewrites it at least every
// 40 s (10 s backoff, 30 s attempt).
const staleAfter = 2 * time.Minute

func (s *Service) statusPath(alias string) string {
	return filepath.Join(s.StatusDir, fmt.Sprintf("%s-%d.json", alias, os.Getpid()))
}

// writeStatus records this proxy's state; a failure to write costs the
// editor its status bar line, never the connection.
func (s *Service) writeStatus(st ConnectionStatus) {
	if s.StatusDir == "" {
		return
	}
	st.Time, st.PID = s.now().UTC(), os.Getpid()
	b, _ := json.Marshal(st)
	if os.MkdirAll(s.StatusDir, 0o700) == nil {
		atomicfile.Write(s.statusPath(st.Alias), b, 0o600)
	}
}

func (s *Service) clearStatus(alias string) {
	if s.StatusDir != "" {
		os.Remove(s.statusPath(alias))
	}
}

// Statuses lists what resuming proxies of this user report now, oldest
// first; files of proxies that are gone are ignored.
func (s *Service) Statuses() []ConnectionStatus {
	if s.StatusDir == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(s.StatusDir, "*.json"))
	var out []ConnectionStatus
	for _, f := range files {
		b, err := os.ReadFile(f)
		var st ConnectionStatus
		if err != nil || json.Unmarshal(b, &st) != nil || !strings.HasPrefix(filepath.Base(f), st.Alias+"-") {
			continue
		}
		if s.now().Sub(st.Time) > staleAfter {
			continue
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}
