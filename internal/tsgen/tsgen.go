// Package tsgen writes TypeScript declarations for a JSON-RPC protocol
// defined in Go: interfaces for the wire structs, string unions for string
// enums, const objects for method names and codes, and a table mapping each
// method to its params and result. Types come from reflection (so the JSON
// names are exactly encoding/json's); comments and enum values come from
// the Go source, which is where a reader looks for them. gopls generates
// its protocol package the other way round (Go from the LSP's JSON model);
// here Go is the source of truth and the extension's protocol.ts follows.
package tsgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Spec is what to generate.
type Spec struct {
	Header string // the file's opening comment, without comment markers
	Source []byte // the Go file that declares the wire types and constants
	// Consts are single constants emitted as they are ("ProtocolVersion").
	Consts []string
	// Objects gather the constants named Prefix+Key into one TypeScript
	// object Name {Key: value}.
	Objects []Object
	// Requests and Notifications, in the order they are written.
	Requests      []Request
	Notifications []Request
	// Types are emitted even when no request names them.
	Types []reflect.Type
}

// Object is a const object built from a family of Go constants.
type Object struct {
	Name, Prefix string
}

// Request is one method: its name and the types of its params and result
// (Result nil for a notification).
type Request struct {
	Method         string
	Params, Result reflect.Type
}

var timeType = reflect.TypeOf(time.Time{})

// Generate returns the TypeScript file.
func Generate(spec Spec) ([]byte, error) {
	src, err := parseSource(spec.Source)
	if err != nil {
		return nil, err
	}
	g := &gen{src: src, seen: map[string]bool{}}
	g.comment("", spec.Header)
	for _, name := range spec.Consts {
		c, ok := src.consts[name]
		if !ok {
			return nil, fmt.Errorf("const %s: not in the source", name)
		}
		g.line("")
		g.comment("", c.doc)
		g.line("export const %s = %s;", name, c.value)
	}
	for _, o := range spec.Objects {
		if err := g.object(o); err != nil {
			return nil, err
		}
	}
	for _, r := range append(append([]Request(nil), spec.Requests...), spec.Notifications...) {
		g.walk(r.Params)
		g.walk(r.Result)
	}
	for _, t := range spec.Types {
		g.walk(t)
	}
	for _, t := range g.order {
		if err := g.decl(t); err != nil {
			return nil, err
		}
	}
	g.table("Requests", "Every request: its params and its result.", spec.Requests, true)
	g.table("Notifications", "Every notification: its params.", spec.Notifications, false)
	return g.buf.Bytes(), nil
}

type gen struct {
	buf   bytes.Buffer
	src   *source
	seen  map[string]bool
	order []reflect.Type
}

func (g *gen) line(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

// comment writes doc as a JSDoc block (or, for the header, line comments).
func (g *gen) comment(indent, doc string) {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return
	}
	lines := strings.Split(doc, "\n")
	if g.buf.Len() == 0 {
		for _, l := range lines {
			g.line("// %s", strings.TrimRight(l, " "))
		}
		return
	}
	if len(lines) == 1 {
		g.line("%s/** %s */", indent, lines[0])
		return
	}
	g.line("%s/**", indent)
	for _, l := range lines {
		g.line("%s * %s", indent, strings.TrimRight(l, " "))
	}
	g.line("%s */", indent)
}

func (g *gen) object(o Object) error {
	var keys []string
	for name := range g.src.consts {
		if strings.HasPrefix(name, o.Prefix) && name != o.Prefix {
			keys = append(keys, name)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("object %s: no constant is named %s…", o.Name, o.Prefix)
	}
	sort.Slice(keys, func(i, j int) bool { return g.src.consts[keys[i]].pos < g.src.consts[keys[j]].pos })
	g.line("")
	g.line("export const %s = {", o.Name)
	for _, name := range keys {
		c := g.src.consts[name]
		g.comment("  ", c.doc)
		g.line("  %s: %s,", strings.TrimPrefix(name, o.Prefix), c.value)
	}
	g.line("} as const;")
	return nil
}

// walk collects the named types t refers to, depth first, so that each is
// declared once and in a stable order.
func (g *gen) walk(t reflect.Type) {
	if t == nil {
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		g.walk(t.Elem())
		return
	case reflect.Map:
		g.walk(t.Elem())
		return
	}
	if t.Name() == "" || t.PkgPath() == "" || t == timeType {
		return
	}
	if g.seen[t.Name()] {
		return
	}
	g.seen[t.Name()] = true
	g.order = append(g.order, t)
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			g.walk(t.Field(i).Type)
		}
	}
}

func (g *gen) decl(t reflect.Type) error {
	name := t.Name()
	g.line("")
	g.comment("", g.src.docs[name])
	switch t.Kind() {
	case reflect.String:
		vals := g.src.enums[name]
		if len(vals) == 0 {
			g.line("export type %s = string;", name)
			return nil
		}
		g.line("export type %s = %s;", name, strings.Join(vals, " | "))
		return nil
	case reflect.Struct:
	default:
		ts, err := g.tsType(t, false)
		if err != nil {
			return fmt.Errorf("type %s: %w", name, err)
		}
		g.line("export type %s = %s;", name, ts)
		return nil
	}
	var extends []string
	var fields []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			extends = append(extends, f.Type.Name())
			continue
		}
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		fields = append(fields, f)
	}
	if len(fields) == 0 && len(extends) == 0 {
		g.line("export type %s = Record<string, never>;", name)
		return nil
	}
	head := "export interface " + name
	if len(extends) > 0 {
		head += " extends " + strings.Join(extends, ", ")
	}
	g.line("%s {", head)
	for _, f := range fields {
		jsonName, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if jsonName == "" {
			return fmt.Errorf("%s.%s: no json name (the wire uses one casing; name it)", name, f.Name)
		}
		optional := strings.Contains(opts, "omitempty")
		ts := f.Tag.Get("ts")
		if ts == "" {
			var err error
			if ts, err = g.tsType(f.Type, optional); err != nil {
				return fmt.Errorf("%s.%s: %w", name, f.Name, err)
			}
		}
		g.comment("  ", g.src.docs[name+"."+f.Name])
		q := ""
		if optional {
			q = "?"
		}
		g.line("  %s%s: %s;", jsonName, q, ts)
	}
	g.line("}")
	return nil
}

// tsType spells a Go type in TypeScript. A nil slice or map would encode
// as null: wire types make theirs non-nil or omitempty, so neither is
// declared nullable.
func (g *gen) tsType(t reflect.Type, optional bool) (string, error) {
	if t == timeType {
		return "string", nil
	}
	if t.Name() != "" && t.PkgPath() != "" && t.Kind() != reflect.Interface {
		return t.Name(), nil
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number", nil
	case reflect.Interface:
		return "unknown", nil
	case reflect.Pointer:
		if !optional {
			return "", fmt.Errorf("a pointer that is not omitempty would be null")
		}
		return g.tsType(t.Elem(), false)
	case reflect.Slice:
		e, err := g.tsType(t.Elem(), false)
		return e + "[]", err
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return "", fmt.Errorf("map keys must be strings")
		}
		e, err := g.tsType(t.Elem(), false)
		return "Record<string, " + e + ">", err
	}
	return "", fmt.Errorf("no TypeScript for %s", t)
}

func (g *gen) table(name, doc string, reqs []Request, withResult bool) {
	if len(reqs) == 0 {
		return
	}
	g.line("")
	g.comment("", doc)
	g.line("export interface %s {", name)
	for _, r := range reqs {
		if withResult {
			g.line("  %s: { params: %s; result: %s };", quote(r.Method), r.Params.Name(), r.Result.Name())
		} else {
			g.line("  %s: %s;", quote(r.Method), r.Params.Name())
		}
	}
	g.line("}")
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// source is what the Go file says that reflection cannot: comments and the
// values of constants.
type source struct {
	docs   map[string]string   // "Type" and "Type.Field" → comment
	consts map[string]constant // by name
	enums  map[string][]string // string type → its quoted values, in order
}

type constant struct {
	value string // as TypeScript
	doc   string
	pos   token.Pos
}

func parseSource(b []byte) (*source, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "protocol.go", b, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse the protocol source: %w", err)
	}
	s := &source{docs: map[string]string{}, consts: map[string]constant{}, enums: map[string][]string{}}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			switch sp := spec.(type) {
			case *ast.TypeSpec:
				s.docs[sp.Name.Name] = firstDoc(sp.Doc, gd.Doc)
				if st, ok := sp.Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						for _, n := range fld.Names {
							s.docs[sp.Name.Name+"."+n.Name] = firstDoc(fld.Doc, fld.Comment)
						}
					}
				}
			case *ast.ValueSpec:
				if gd.Tok != token.CONST {
					continue
				}
				for i, n := range sp.Names {
					if i >= len(sp.Values) {
						continue
					}
					v, ok := literal(sp.Values[i])
					if !ok {
						continue
					}
					doc := firstDoc(sp.Doc, sp.Comment)
					if len(gd.Specs) == 1 {
						doc = firstDoc(sp.Doc, sp.Comment, gd.Doc)
					}
					s.consts[n.Name] = constant{value: v, doc: doc, pos: n.Pos()}
					if id, ok := sp.Type.(*ast.Ident); ok && strings.HasPrefix(v, "'") {
						s.enums[id.Name] = append(s.enums[id.Name], v)
					}
				}
			}
		}
	}
	return s, nil
}

func firstDoc(groups ...*ast.CommentGroup) string {
	for _, g := range groups {
		if t := strings.TrimSpace(g.Text()); t != "" {
			return t
		}
	}
	return ""
}

// literal spells a constant's Go literal in TypeScript: strings in single
// quotes, numbers (negative ones too) as they are.
func literal(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.STRING:
			s, err := strconv.Unquote(v.Value)
			if err != nil {
				return "", false
			}
			return quote(s), true
		case token.INT, token.FLOAT:
			return v.Value, true
		}
	case *ast.UnaryExpr:
		if v.Op == token.SUB {
			if n, ok := literal(v.X); ok {
				return "-" + n, true
			}
		}
	}
	return "", false
}
