package fakehub

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what would have failed the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}
func (r *recorder) Failed() bool { return len(r.errs) > 0 }

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestFailsOnSurprisesBothWays(t *testing.T) {
	tests := []struct {
		name    string
		request string // path requested, "" for none
		wantErr string
	}{
		{"declared and used", "/hub/api/user", ""},
		{"declared, never used", "", "declared but never requested"},
		{"not declared", "/hub/api/users/bob", "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			var url string
			t.Run("hub", func(t *testing.T) {
				rec.TB = t
				h := New(rec).Whoami("tok", "alice")
				url = h.URL
				if tt.request == "/hub/api/user" {
					if code, body := get(t, url+tt.request, "tok"); code != 200 || !strings.Contains(body, `"name":"alice"`) {
						t.Errorf("whoami: %d %s", code, body)
					}
				} else if tt.request != "" {
					get(t, url+tt.request, "tok")
					// the declared route, so only the surprise is reported
					get(t, url+"/hub/api/user", "tok")
				}
			})
			got := strings.Join(rec.errs, "; ")
			if tt.wantErr == "" && got != "" || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("errors %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestWithToken(t *testing.T) {
	h := New(t).Whoami("good", "alice", "servers!user=alice")
	if code, _ := get(t, h.URL+"/hub/api/user", "bad"); code != 403 {
		t.Errorf("a wrong token: %d, want 403", code)
	}
	if code, body := get(t, h.URL+"/hub/api/user", "good"); code != 200 || !strings.Contains(body, `"scopes":["servers!user=alice"]`) {
		t.Errorf("the right token: %d %s", code, body)
	}
	if h.Calls("GET /hub/api/user") != 2 {
		t.Errorf("calls %d, want 2", h.Calls("GET /hub/api/user"))
	}
}
