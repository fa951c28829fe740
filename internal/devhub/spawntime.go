package devhub

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// spawnLine is JupyterHub's own measure of a spawn, logged when the server
// answers (jupyterhub/handlers/base.py): "User alice took 2.285 seconds to
// start", "User carol:work took …" for a named server.
var spawnLine = regexp.MustCompile(`\] User (\S+) took ([0-9.]+) seconds to start$`)

// LastSpawnTime is how long the hub says the last spawn of user's server
// took: the spawner's own time, apart from whoever asked for it.
func (h *Hub) LastSpawnTime(user, server string) (time.Duration, error) {
	f, err := os.Open(filepath.Join(h.Dir, "jupyterhub.log"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return lastSpawnTime(f, user, server)
}

func lastSpawnTime(r io.Reader, user, server string) (time.Duration, error) {
	who := user
	if server != "" {
		who += ":" + server
	}
	var last time.Duration
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := spawnLine.FindStringSubmatch(sc.Text())
		if m == nil || m[1] != who {
			continue
		}
		s, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return 0, fmt.Errorf("hub log: spawn time %q: %w", m[2], err)
		}
		last, found = time.Duration(s*float64(time.Second)), true
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read hub log: %w", err)
	}
	if !found {
		return 0, fmt.Errorf("the hub log has no spawn time for %s", who)
	}
	return last, nil
}
