package tsgen

import (
	"reflect"
	"strings"
	"testing"
)

const src = `package p

// Color is a paint.
type Color string

const (
	Red  Color = "red"
	Blue Color = "blue" // the sky
)

const (
	CodeA = -1
	CodeB = 2 // two
)

// Box holds things.
type Box struct {
	Base
	// Color of the box.
	Color  Color             ` + "`json:\"color\"`" + `
	Tags   []string          ` + "`json:\"tags,omitempty\"`" + `
	Opts   map[string]any    ` + "`json:\"opts,omitempty\"`" + `
	Parent *Base             ` + "`json:\"parent,omitempty\"`" + `
	ID     any               ` + "`json:\"id\" ts:\"string | number\"`" + `
	secret string
}

// Base is embedded.
type Base struct {
	N int ` + "`json:\"n\"`" + `
}

// Nothing is empty.
type Nothing struct{}
`

type Color string

type Base struct {
	N int `json:"n"`
}

type Box struct {
	Base
	Color  Color          `json:"color"`
	Tags   []string       `json:"tags,omitempty"`
	Opts   map[string]any `json:"opts,omitempty"`
	Parent *Base          `json:"parent,omitempty"`
	ID     any            `json:"id" ts:"string | number"`
	secret string
}

type Nothing struct{}

func TestGenerate(t *testing.T) {
	_ = Box{}.secret
	got, err := Generate(Spec{
		Header:   "Generated.",
		Source:   []byte(src),
		Objects:  []Object{{Name: "Code", Prefix: "Code"}},
		Requests: []Request{{Method: "box/get", Params: reflect.TypeFor[Nothing](), Result: reflect.TypeFor[Box]()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"// Generated.\n",
		"export const Code = {\n  A: -1,\n  /** two */\n  B: 2,\n} as const;",
		"/** Nothing is empty. */\nexport type Nothing = Record<string, never>;",
		"/** Box holds things. */\nexport interface Box extends Base {\n  /** Color of the box. */\n  color: Color;\n  tags?: string[];\n  opts?: Record<string, unknown>;\n  parent?: Base;\n  id: string | number;\n}",
		"export interface Base {\n  n: number;\n}",
		"/** Color is a paint. */\nexport type Color = 'red' | 'blue';",
		"export interface Requests {\n  'box/get': { params: Nothing; result: Box };\n}",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("output lacks\n%s\n--- got ---\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "secret") {
		t.Error("an unexported field was emitted")
	}
}

func TestGenerateRefuses(t *testing.T) {
	type noName struct {
		X int
	}
	type nullable struct {
		P *int `json:"p"`
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"field without a json name", Spec{Types: []reflect.Type{reflect.TypeFor[noName]()}}, "no json name"},
		{"pointer that would be null", Spec{Types: []reflect.Type{reflect.TypeFor[nullable]()}}, "would be null"},
		{"object of no constants", Spec{Objects: []Object{{Name: "M", Prefix: "Method"}}}, "no constant"},
		{"missing const", Spec{Consts: []string{"Version"}}, "not in the source"},
		{"source that does not parse", Spec{Source: []byte("package")}, "parse"},
	}
	for _, tt := range tests {
		if tt.spec.Source == nil {
			tt.spec.Source = []byte("package p\n")
		}
		if _, err := Generate(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}
