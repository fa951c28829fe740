package rpc

import (
	"context"
	"fmt"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/hubssh/hubssh/helper/internal/core"
)

// watchConnections sends $/connection whenever a proxy of this user that
// is resuming reports a change, and "gone" when such a proxy ends. It polls:
// the files are few, small and change at most every few seconds.
func (s *session) watchConnections(ctx context.Context, conn *jsonrpc2.Conn, every time.Duration) {
	seen := map[string]core.ConnectionStatus{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		now := map[string]core.ConnectionStatus{}
		for _, st := range s.svc.Statuses() {
			key := fmt.Sprintf("%s-%d", st.Alias, st.PID)
			now[key] = st
			if old, ok := seen[key]; !ok || !old.Time.Equal(st.Time) {
				conn.Notify(ctx, MethodConnection, ConnectionParams{
					Alias: st.Alias, Label: st.Label, State: ConnectionState(st.State),
					Retry: st.Retry, Since: st.Since, Message: st.Message, PID: st.PID,
				})
			}
		}
		for key, old := range seen {
			if _, ok := now[key]; !ok {
				conn.Notify(ctx, MethodConnection, ConnectionParams{Alias: old.Alias, Label: old.Label, State: ConnGone, PID: old.PID,
					Message: fmt.Sprintf("hubssh proxy for %s ended", old.Label)})
			}
		}
		seen = now
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
