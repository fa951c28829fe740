package core

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Hubs lists the hubs hubssh knows (never their tokens).
func (s *Service) Hubs() ([]store.Hub, error) {
	st, err := s.Store.Load()
	if err != nil {
		return nil, fail(CodeConfig, err, "%v", err)
	}
	return st.Hubs, nil
}

// ServerInfo is one server as the hub reports it, with its ssh alias when
// hubssh set it up.
type ServerInfo struct {
	Name         string // "" is the default server
	State        string // "running", "stopped", "spawn pending", "stop pending"
	URL          string
	LastActivity *time.Time
	Alias        string
}

// Servers lists a user's servers, stopped ones included, default first.
func (s *Service) Servers(ctx context.Context, hubRef, user string) ([]ServerInfo, error) {
	t, err := s.target(hubRef, user, "")
	if err != nil {
		return nil, err
	}
	var u *hubapi.User
	err = s.retryOutage(ctx, t.hub, func() error {
		u, err = t.api.UserWithStopped(ctx, t.user)
		return err
	})
	if err != nil {
		return nil, s.userError(ctx, t, err)
	}
	if _, ok := u.Servers[""]; !ok {
		u.Servers[""] = &hubapi.Server{Stopped: true}
	}
	var out []ServerInfo
	for name, srv := range u.Servers {
		info := ServerInfo{Name: name, State: stateOf(srv), URL: srv.URL, LastActivity: srv.LastActivity}
		for _, known := range t.rec.Servers {
			if known.User == t.user && known.Name == name {
				info.Alias = known.Alias
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func stateOf(s *hubapi.Server) string {
	switch {
	case s == nil || s.Stopped:
		return "stopped"
	case s.Pending != nil && *s.Pending != "":
		return *s.Pending + " pending"
	case s.Ready:
		return "running"
	}
	return "stopped"
}

// Start starts a server unless it runs (creating a named one if it does not
// exist, with options as the spawner's user_options) and waits until it is
// ready, reporting the hub's progress.
func (s *Service) Start(ctx context.Context, hubRef, user, server string, options map[string]any, progress func(hubapi.Event)) error {
	t, err := s.target(hubRef, user, server)
	if err != nil {
		return err
	}
	return s.ensureRunning(ctx, t, options, progress)
}

// Stop stops a server and waits until the hub has stopped it; remove also
// deletes a named server from the hub (its ssh config entry goes too).
func (s *Service) Stop(ctx context.Context, hubRef, user, server string, remove bool) error {
	t, err := s.target(hubRef, user, server)
	if err != nil {
		return err
	}
	h, user, api := t.rec, t.user, t.api
	if !remove {
		if err := api.StopServer(ctx, user, server); err != nil {
			return s.classify(h.URL, err)
		}
		if err := api.WaitServer(ctx, user, server, false); err != nil {
			return fail(CodeServer, err, "%s did not stop: %v", label(user, server), err)
		}
		return nil
	}
	if server == "" {
		return fail(CodeUsage, nil, "the default server cannot be removed, only stopped")
	}
	if err := api.RemoveServer(ctx, user, server); err != nil {
		if hubapi.IsStatus(err, http.StatusNotFound) {
			return fail(CodeUsage, err, "%s does not exist", label(user, server))
		}
		return s.classify(h.URL, err)
	}
	if err := waitGone(ctx, api, user, server); err != nil {
		return fail(CodeServer, err, "%s was not removed: %v", label(user, server), err)
	}
	alias := Alias(h.URL, user, server)
	s.cache().drop(t.tokenKey())
	s.Store.Unpin(alias)
	err = s.Store.Update(func(st *store.State) error {
		if hh := st.Hub(h.URL); hh != nil {
			var keep []store.Server
			for _, srv := range hh.Servers {
				if srv.Alias != alias {
					keep = append(keep, srv)
				}
			}
			hh.Servers = keep
		}
		return nil
	})
	if err != nil {
		return fail(CodeConfig, err, "%v", err)
	}
	return s.WriteSSHConfig()
}

// waitGone waits until a removed named server no longer exists, stopped or not.
func waitGone(ctx context.Context, api *hubapi.Client, user, server string) error {
	for {
		u, err := api.UserWithStopped(ctx, user)
		if err != nil {
			return err
		}
		if _, ok := u.Servers[server]; !ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
