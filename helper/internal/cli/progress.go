package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/hubssh/hubssh/internal/hubapi"
)

// progressPrinter shows a spawn's progress: a one-line bar redrawn in place
// on a terminal, plain lines otherwise (logs, Remote-SSH's output panel).
func progressPrinter(w io.Writer) func(hubapi.Event) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	last := ""
	return func(e hubapi.Event) {
		msg := strings.Join(strings.Fields(e.Message), " ")
		if !tty {
			if msg != last {
				fmt.Fprintf(w, "hubssh: %3d%% %s\n", e.Progress, msg)
				last = msg
			}
			return
		}
		const width = 24
		n := max(0, min(width, e.Progress*width/100))
		if len(msg) > 60 {
			msg = msg[:60] + "…"
		}
		fmt.Fprintf(w, "\r\x1b[K[%s%s] %3d%% %s", strings.Repeat("#", n), strings.Repeat(" ", width-n), e.Progress, msg)
		if e.Ready || e.Failed {
			fmt.Fprintln(w)
		}
	}
}
