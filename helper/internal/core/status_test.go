package core

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/hubapi"
	"github.com/hubssh/hubssh/internal/resume"
)

// TestResumeStatus: stderr gets the first loss, retries 1, 2, 4, 8 and the
// resume; the status file (the editor's) every change, and none after the
// proxy ends.
func TestResumeStatus(t *testing.T) {
	s := newService(t)
	s.StatusDir = t.TempDir()
	var notices []string
	s.Notice = func(n string) { notices = append(notices, n) }
	base, _ := url.Parse("https://hub.example.org/")
	tg := &target{hub: base.String(), api: hubapi.NewClient(base, "t", nil), user: "alice"}
	report := s.resumeStatus(tg, "hub-alice")
	cause := errors.New("connection reset by peer")
	report(resume.Status{Started: true, Cause: cause})
	if st := s.Statuses(); len(st) != 1 || st[0].State != "resuming" || len(notices) != 0 {
		t.Fatalf("at once the editor sees %+v and stderr %q; want resuming, and no line yet", st, notices)
	}
	report(resume.Status{Lost: true, Cause: cause})
	for r := 1; r <= 5; r++ {
		report(resume.Status{Lost: true, Retry: r, Since: time.Duration(r) * time.Second, Cause: cause})
		if st := s.Statuses(); len(st) != 1 || st[0].State != "resuming" || st[0].Retry != r {
			t.Fatalf("after retry %d the editor sees %+v", r, st)
		}
	}
	report(resume.Status{Resumed: true, Retry: 6, Since: 7 * time.Second, Cause: cause})
	want := []string{
		"connection to alice's default server lost (connection reset by peer); resuming",
		"connection to alice's default server lost; resuming (retry 1, 1 s): connection reset by peer",
		"connection to alice's default server lost; resuming (retry 2, 2 s): connection reset by peer",
		"connection to alice's default server lost; resuming (retry 4, 4 s): connection reset by peer",
		"connection to alice's default server resumed after 7.0 s (it broke: connection reset by peer)",
	}
	if strings.Join(notices, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", strings.Join(notices, "\n"), strings.Join(want, "\n"))
	}
	if st := s.Statuses(); len(st) != 1 || st[0].State != "resumed" || st[0].Label != "alice's default server" {
		t.Errorf("after the resume the editor sees %+v", st)
	}
	s.clearStatus("hub-alice")
	if st := s.Statuses(); len(st) != 0 {
		t.Errorf("after the proxy ended the editor sees %+v", st)
	}
}
