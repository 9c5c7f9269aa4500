// module: loads one Terraform module (the .tf files of one directory) into the
// declarations the reference checks need.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

type module struct {
	dir       string
	files     []*hcl.File
	variables map[string]bool // name -> required (no default)
	varTypes  map[string]hclsyntax.Expression
	locals    map[string]bool
	outputs   map[string]bool
	modules   map[string]*hclsyntax.Block
	resources map[string]bool // "type.name"
	resTypes  map[string]bool
	data      map[string]bool // "type.name"
	providers map[string]bool // "name" and "name.alias"
	errs      []string
}

func at(r hcl.Range, format string, args ...interface{}) string {
	return fmt.Sprintf("%s:%d: %s", r.Filename, r.Start.Line, fmt.Sprintf(format, args...))
}

// tfFiles lists the .tf files of dir (not recursive), sorted.
func tfFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".tf") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

func loadModule(dir string) *module {
	m := &module{
		dir: dir, variables: map[string]bool{}, varTypes: map[string]hclsyntax.Expression{}, locals: map[string]bool{}, outputs: map[string]bool{},
		modules: map[string]*hclsyntax.Block{}, resources: map[string]bool{}, resTypes: map[string]bool{},
		data: map[string]bool{}, providers: map[string]bool{},
	}
	parser := hclparse.NewParser()
	declare := func(set map[string]bool, key string, r hcl.Range, what string, value bool) {
		if _, dup := set[key]; dup {
			m.errs = append(m.errs, at(r, "duplicate %s %q", what, key))
		}
		set[key] = value
	}
	for _, path := range tfFiles(dir) {
		f, diags := parser.ParseHCLFile(path)
		if diags.HasErrors() {
			for _, d := range diags {
				m.errs = append(m.errs, fmt.Sprintf("%s: syntax: %s", path, d.Error()))
			}
			continue
		}
		m.files = append(m.files, f)
		body := f.Body.(*hclsyntax.Body)
		for name, a := range body.Attributes {
			m.errs = append(m.errs, at(a.SrcRange, "unexpected top-level attribute %q", name))
		}
		for _, b := range body.Blocks {
			r := b.DefRange()
			switch b.Type {
			case "variable":
				_, hasDefault := b.Body.Attributes["default"]
				declare(m.variables, b.Labels[0], r, "variable", !hasDefault)
				if t, ok := b.Body.Attributes["type"]; ok {
					m.varTypes[b.Labels[0]] = t.Expr
				}
			case "output":
				declare(m.outputs, b.Labels[0], r, "output", true)
			case "locals":
				for name, a := range b.Body.Attributes {
					declare(m.locals, name, a.SrcRange, "local", true)
				}
			case "module":
				if _, dup := m.modules[b.Labels[0]]; dup {
					m.errs = append(m.errs, at(r, "duplicate module %q", b.Labels[0]))
				}
				m.modules[b.Labels[0]] = b
			case "resource":
				declare(m.resources, b.Labels[0]+"."+b.Labels[1], r, "resource", true)
				m.resTypes[b.Labels[0]] = true
			case "data":
				declare(m.data, b.Labels[0]+"."+b.Labels[1], r, "data source", true)
			case "provider":
				key := b.Labels[0]
				if a, ok := b.Body.Attributes["alias"]; ok {
					v, d := a.Expr.Value(nil)
					if d.HasErrors() || v.Type() != cty.String || v.IsNull() {
						m.errs = append(m.errs, at(a.SrcRange, "provider alias must be a literal string"))
						continue
					}
					key += "." + v.AsString()
				}
				declare(m.providers, key, r, "provider", true)
			case "terraform", "moved", "import", "check":
			default:
				m.errs = append(m.errs, at(r, "unknown top-level block %q", b.Type))
			}
		}
	}
	return m
}
