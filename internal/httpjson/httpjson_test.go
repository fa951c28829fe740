package httpjson

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", strings.Join([]string{r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("Accept"), string(body)}, "|"))
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", 100)))
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"ok": "yes"})
	}))
	defer srv.Close()
	ctx := context.Background()
	tests := []struct {
		name, seen string
		req        Request
		code       int
	}{
		{"JSON body and token", "POST|token s3cret|application/json|application/json|{\"a\":1}\n",
			Request{Method: "POST", URL: srv.URL + "/x", Token: "s3cret", Body: map[string]int{"a": 1}, MaxReply: 1 << 10}, 201},
		{"no body, no token", "GET|||application/json|", Request{Method: "GET", URL: srv.URL + "/x", MaxReply: 1 << 10}, 201},
	}
	for _, tt := range tests {
		r, err := Do(ctx, srv.Client(), tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		seen := strings.TrimSuffix(r.Header.Get("X-Seen"), "\n")
		if r.Code != tt.code || seen != strings.TrimSuffix(tt.seen, "\n") {
			t.Errorf("%s: code %d, server saw %q; want %d, %q", tt.name, r.Code, seen, tt.code, tt.seen)
		}
		var out map[string]string
		if err := r.Decode(&out); err != nil || out["ok"] != "yes" {
			t.Errorf("%s: decode %v %v", tt.name, out, err)
		}
	}
	r, err := Do(ctx, srv.Client(), Request{Method: "GET", URL: srv.URL + "/big", MaxReply: 10})
	if err != nil || len(r.Body) != 10 {
		t.Errorf("MaxReply 10: %d bytes, %v", len(r.Body), err)
	}
	if _, err := Do(ctx, srv.Client(), Request{Method: "GET", URL: "http://127.0.0.1:1/", MaxReply: 10}); err == nil {
		t.Error("a refused connection gave no error")
	}
}
