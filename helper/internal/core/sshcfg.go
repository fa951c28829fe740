package core

import (
	"fmt"

	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
)

// PlanSSHConfig computes the edit that writes every known server into
// hubssh's block of ~/.ssh/config; with no servers left it takes the block
// out, leaving the user's file as it was.
func (s *Service) PlanSSHConfig() (sshconfig.Change, error) {
	st, err := s.Store.Load()
	if err != nil {
		return sshconfig.Change{}, fail(CodeConfig, err, "%v", err)
	}
	var entries []sshconfig.Entry
	for _, h := range st.Hubs {
		for _, srv := range h.Servers {
			e, err := s.entry(h, srv)
			if err != nil {
				return sshconfig.Change{}, err
			}
			e.Extra = st.SSHOptions
			entries = append(entries, e)
		}
	}
	var ch sshconfig.Change
	if len(entries) == 0 {
		ch, err = s.SSH.PlanRemove()
	} else {
		var body []byte
		if body, err = sshconfig.Render(entries); err != nil {
			return sshconfig.Change{}, fail(CodeConfig, err, "cannot write the ssh config: %v", err)
		}
		ch, err = s.SSH.PlanBlock(body)
	}
	if err != nil {
		return sshconfig.Change{}, fail(CodeConfig, err, "cannot edit %s safely: %v; nothing was changed", s.SSH.User, err)
	}
	return ch, nil
}

// WriteSSHConfig writes the edit PlanSSHConfig computes.
func (s *Service) WriteSSHConfig() error {
	ch, err := s.PlanSSHConfig()
	if err != nil {
		return err
	}
	if err := ch.Write(); err != nil {
		return fail(CodeConfig, err, "cannot edit %s safely: %v", s.SSH.User, err)
	}
	s.SSH.RemoveLegacy()
	return nil
}

// SetSSHOptions replaces the user's extra options for every hubssh host
// and rewrites the managed file.
func (s *Service) SetSSHOptions(opts []sshconfig.Option) error {
	for _, o := range opts {
		if err := o.Check(); err != nil {
			return fail(CodeUsage, err, "%v", err)
		}
	}
	err := s.Store.Update(func(st *store.State) error {
		st.SSHOptions = opts
		return nil
	})
	if err != nil {
		return fail(CodeConfig, err, "%v", err)
	}
	return s.WriteSSHConfig()
}

func (s *Service) entry(h store.Hub, srv store.Server) (sshconfig.Entry, error) {
	key, _, err := s.Store.KeyPair(h.URL)
	if err != nil {
		return sshconfig.Entry{}, fail(CodeConfig, err, "%v", err)
	}
	what := "default server"
	if srv.Name != "" {
		what = fmt.Sprintf("server %s", srv.Name)
	}
	return sshconfig.Entry{
		Alias:        srv.Alias,
		Comment:      fmt.Sprintf("%s  user %s, %s", h.URL, srv.User, what),
		ProxyCommand: []string{s.Hubssh, "proxy", srv.Alias},
		IdentityFile: key,
		KnownHosts:   s.Store.KnownHosts(),
		User:         srv.Login,
	}, nil
}
