package sshd

import "strings"

// envList is an environment with set-or-replace, keeping first-seen order.
type envList struct {
	keys []string
	vals map[string]string
}

func newEnv(base []string) *envList {
	e := &envList{vals: map[string]string{}}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			e.set(k, v)
		}
	}
	return e
}

func (e *envList) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}
