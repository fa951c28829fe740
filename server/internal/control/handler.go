package control

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/server/internal/authkeys"
)

// Handler serves the control API. The path is what jupyter-server-proxy
// forwards: the part after /user/NAME[/SERVER]/sshd-control.
type Handler struct {
	Info     controlapi.Info
	Checker  TokenChecker
	Keys     authkeys.KeyFile
	HostKeys []ssh.PublicKey
	Log      *slog.Logger
}

const maxBody = 16 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Only the Authorization header counts, never a cookie: a browser page
	// can make a user's browser send cookies cross-site, but cannot add an
	// Authorization header without a CORS preflight, which is never granted.
	token, ok := tokenFrom(r.Header.Get("Authorization"))
	if !ok {
		writeError(w, http.StatusUnauthorized, "send the hub token as \"Authorization: token TOKEN\"")
		return
	}
	if err := h.Checker.Check(r.Context(), token); err != nil {
		if errors.Is(err, ErrDenied) {
			h.Log.Info("control request denied", "path", r.URL.Path, "err", err)
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
		h.Log.Warn("control request: token check failed", "err", err)
		writeError(w, http.StatusBadGateway, "could not check the token with the hub: "+err.Error())
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	switch {
	case path == controlapi.PathHostKeys && r.Method == http.MethodGet:
		h.hostKeys(w)
	case path == controlapi.PathInfo && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.Info)
	case path == controlapi.PathKeys && r.Method == http.MethodGet:
		h.listKeys(w)
	case path == controlapi.PathKeys && r.Method == http.MethodPost:
		h.addKey(w, r)
	case strings.HasPrefix(path, controlapi.PathKeys+"/") && r.Method == http.MethodDelete:
		h.removeKey(w, strings.TrimPrefix(path, controlapi.PathKeys+"/"))
	case path == controlapi.PathHostKeys || path == controlapi.PathInfo || path == controlapi.PathKeys || strings.HasPrefix(path, controlapi.PathKeys+"/"):
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed here")
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+path)
	}
}

func tokenFrom(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (h *Handler) hostKeys(w http.ResponseWriter) {
	out := controlapi.HostKeys{HostKeys: []string{}}
	for _, k := range h.HostKeys {
		out.HostKeys = append(out.HostKeys, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) listKeys(w http.ResponseWriter) {
	keys, err := h.Keys.List()
	if err != nil {
		h.Log.Warn("list keys", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot read the key file")
		return
	}
	out := controlapi.Keys{Keys: []controlapi.Key{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, describe(k.Key, k.Comment, false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) addKey(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send the key as application/json")
		return
	}
	req, err := DecodeAddKey(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pk, comment, err := authkeys.ParseOne(req.PublicKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	added, err := h.Keys.Add(pk, comment)
	if err != nil {
		h.Log.Warn("add key", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot write the key file")
		return
	}
	h.Log.Info("key deployed", "fingerprint", ssh.FingerprintSHA256(pk), "new", added)
	code := http.StatusOK
	if added {
		code = http.StatusCreated
	}
	writeJSON(w, code, describe(pk, comment, added))
}

// DecodeAddKey reads a POST /keys body strictly: one JSON object with a
// public_key string, nothing else.
func DecodeAddKey(r io.Reader) (controlapi.AddKey, error) {
	var req controlapi.AddKey
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, errors.New(`body must be {"public_key": "ssh-ed25519 AAAA… comment"}`)
	}
	if dec.More() {
		return req, errors.New("body must be a single JSON object")
	}
	if strings.TrimSpace(req.PublicKey) == "" {
		return req, errors.New("public_key is empty")
	}
	return req, nil
}

func (h *Handler) removeKey(w http.ResponseWriter, escaped string) {
	fp, err := url.PathUnescape(escaped)
	if err != nil || !strings.HasPrefix(fp, "SHA256:") {
		writeError(w, http.StatusBadRequest, "give the key as its SHA256:… fingerprint")
		return
	}
	removed, err := h.Keys.Remove(fp)
	if err != nil {
		h.Log.Warn("remove key", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot write the key file")
		return
	}
	if !removed {
		writeError(w, http.StatusNotFound, "no deployed key "+fp)
		return
	}
	h.Log.Info("key removed", "fingerprint", fp)
	w.WriteHeader(http.StatusNoContent)
}

func describe(pk ssh.PublicKey, comment string, added bool) controlapi.Key {
	return controlapi.Key{Fingerprint: ssh.FingerprintSHA256(pk), Type: pk.Type(), Comment: comment, Added: added}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, controlapi.Error{Message: msg})
}
