package devhub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLastSpawnTime(t *testing.T) {
	// An excerpt of a real devhub log: spawns of alice's default server
	// and of carol's named one, among lines that look alike.
	log, err := os.ReadFile(filepath.Join("..", "..", "testdata", "devhub", "spawns.log"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, server string
		want         time.Duration
		wantErr      string
	}{
		{user: "alice", want: 2894 * time.Millisecond},
		{user: "carol", server: "work", want: 2285 * time.Millisecond},
		{user: "carol", wantErr: "no spawn time for carol"},
		{user: "bob", wantErr: "no spawn time for bob"},
	}
	for _, tt := range tests {
		got, err := lastSpawnTime(strings.NewReader(string(log)), tt.user, tt.server)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s:%s: err %v, want %q", tt.user, tt.server, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s:%s: %v, %v; want %v", tt.user, tt.server, got, err, tt.want)
		}
	}
}
