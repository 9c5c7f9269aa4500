// check: the reference, path and module-call checks over every module under a directory.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Terraform's built-in functions (1.3 .. 1.8).
var knownFuncs = toSet(`abs ceil floor log max min parseint pow signum chomp endswith format
formatlist indent join lower regex regexall replace split startswith strcontains strrev substr
title trim trimprefix trimsuffix trimspace upper alltrue anytrue chunklist coalesce coalescelist
compact concat contains distinct element flatten index keys length lookup matchkeys merge one
range reverse setintersection setproduct setsubtract setunion slice sort sum transpose values
zipmap base64decode base64encode base64gzip csvdecode jsondecode jsonencode textdecodebase64
textencodebase64 urlencode yamldecode yamlencode abspath dirname pathexpand basename file
fileexists fileset filebase64 templatefile formatdate plantimestamp timeadd timecmp timestamp
base64sha256 base64sha512 bcrypt filebase64sha256 filebase64sha512 filemd5 filesha1 filesha256
filesha512 md5 rsadecrypt sha1 sha256 sha512 uuid uuidv5 cidrhost cidrnetmask cidrsubnet
cidrsubnets can nonsensitive sensitive issensitive tobool tolist tomap tonumber toset tostring
try type`)

var moduleMeta = toSet("source version count for_each providers depends_on")

func toSet(words string) map[string]bool {
	s := map[string]bool{}
	for _, w := range strings.Fields(words) {
		s[w] = true
	}
	return s
}

// scope: what a reference may use at one place.
type scope struct {
	count, each, self bool
	iterators         map[string]bool
	onlyVar           string // inside variable "X" validation: only var.X
	resource          bool   // top level of a resource/data block (provider = p.alias)
	eachModule        string // for_each = module.X: each.value.Y must be an output of X
}

func (s scope) with(name string) scope {
	it := map[string]bool{}
	for k := range s.iterators {
		it[k] = true
	}
	it[name] = true
	s.iterators = it
	return s
}

type checker struct {
	root    string
	modules map[string]*module
	errs    []string
}

func (c *checker) get(dir string) *module {
	dir = filepath.Clean(dir)
	if m, ok := c.modules[dir]; ok {
		return m
	}
	m := loadModule(dir)
	c.modules[dir] = m
	return m
}

func checkTree(root string) ([]string, int) {
	c := &checker{root: root, modules: map[string]*module{}}
	var dirs []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() && strings.HasPrefix(info.Name(), ".") && p != root {
			return filepath.SkipDir // .terraform/ etc.
		}
		if err == nil && info.IsDir() && len(tfFiles(p)) > 0 {
			dirs = append(dirs, p)
		}
		return nil
	})
	if len(dirs) == 0 {
		return []string{root + ": no .tf files"}, 0
	}
	for _, d := range dirs {
		m := c.get(d)
		c.errs = append(c.errs, m.errs...)
		c.checkModule(m)
	}
	return c.errs, len(dirs)
}

func (c *checker) checkModule(m *module) {
	for _, f := range m.files {
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			s := scope{}
			if _, ok := b.Body.Attributes["count"]; ok {
				s.count = true
			}
			if a, ok := b.Body.Attributes["for_each"]; ok {
				s.each = true
				if tr, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(tr) == 2 && tr.RootName() == "module" {
					s.eachModule = attrName(tr[1])
				}
			}
			switch b.Type {
			case "terraform":
				continue // literals only
			case "variable":
				s.onlyVar = b.Labels[0]
				for _, vb := range b.Body.Blocks {
					if vb.Type == "validation" {
						c.body(m, vb.Body, s)
					}
				}
				continue
			case "module":
				c.moduleCall(m, b, s)
				continue
			case "resource", "data":
				s.resource = true
			}
			c.body(m, b.Body, s)
		}
	}
}

// body checks the attributes and nested blocks of a block body.
func (c *checker) body(m *module, body *hclsyntax.Body, s scope) {
	top := s.resource
	s.resource = false
	for name, a := range body.Attributes {
		if top && name == "provider" {
			c.providerRef(m, a.Expr)
			continue
		}
		c.expr(m, a.Expr, s)
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "lifecycle":
			// ignore_changes/replace_triggered_by hold bare attribute names; only
			// conditions are expressions.
			for _, cb := range b.Body.Blocks {
				c.body(m, cb.Body, scope{count: s.count, each: s.each, self: true, iterators: s.iterators})
			}
		case "provisioner":
			s2 := s
			s2.self = true
			for name, want := range map[string]string{"when": "destroy", "on_failure": "continue fail"} {
				if a, ok := b.Body.Attributes[name]; ok {
					if kw := hcl.ExprAsKeyword(a.Expr); !strings.Contains(" "+want+" ", " "+kw+" ") || kw == "" {
						c.errs = append(c.errs, at(a.SrcRange, "provisioner %s must be one of: %s", name, want))
					}
				}
			}
			for name, a := range b.Body.Attributes {
				if name != "when" && name != "on_failure" {
					c.expr(m, a.Expr, s2)
				}
			}
			for _, cb := range b.Body.Blocks {
				c.body(m, cb.Body, s2)
			}
		case "connection", "postcondition":
			s2 := s
			s2.self = true
			c.body(m, b.Body, s2)
		case "dynamic":
			iter := b.Labels[0]
			if a, ok := b.Body.Attributes["iterator"]; ok {
				if kw := hcl.ExprAsKeyword(a.Expr); kw != "" {
					iter = kw
				}
			}
			for name, a := range b.Body.Attributes {
				if name != "iterator" {
					c.expr(m, a.Expr, s)
				}
			}
			for _, cb := range b.Body.Blocks {
				if cb.Type == "content" {
					c.body(m, cb.Body, s.with(iter))
				} else {
					c.errs = append(c.errs, at(cb.DefRange(), "unexpected block %q in dynamic", cb.Type))
				}
			}
		default:
			c.body(m, b.Body, s)
		}
	}
}

func (c *checker) expr(m *module, e hclsyntax.Expression, s scope) {
	for _, tr := range e.Variables() {
		c.traversal(m, tr, s)
	}
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			c.call(m, call)
		}
		return nil
	})
}

func attrName(t hcl.Traverser) string {
	if a, ok := t.(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

func (c *checker) traversal(m *module, tr hcl.Traversal, s scope) {
	r := tr.SourceRange()
	root := tr.RootName()
	step := func(i int) string {
		if i < len(tr) {
			return attrName(tr[i])
		}
		return ""
	}
	bad := func(format string, args ...interface{}) { c.errs = append(c.errs, at(r, format, args...)) }
	switch {
	case s.iterators[root]:
	case root == "var":
		name := step(1)
		if !contains(m.variables, name) {
			bad("var.%s: no variable %q in %s", name, name, m.dir)
		} else if s.onlyVar != "" && name != s.onlyVar {
			bad("var.%s: a validation of variable %q may only refer to var.%s", name, s.onlyVar, s.onlyVar)
		}
	case s.onlyVar != "":
		bad("%s: a variable validation may only refer to var.%s", root, s.onlyVar)
	case root == "local":
		if !m.locals[step(1)] {
			bad("local.%s: no local %q in %s", step(1), step(1), m.dir)
		}
	case root == "module":
		c.moduleRef(m, tr, bad)
	case root == "data":
		if key := step(1) + "." + step(2); !m.data[key] {
			bad("data.%s: no data source %q in %s", key, key, m.dir)
		}
	case root == "path":
		if n := step(1); n != "module" && n != "root" && n != "cwd" {
			bad("path.%s: unknown (path.module, path.root, path.cwd)", n)
		}
	case root == "terraform":
		if step(1) != "workspace" {
			bad("terraform.%s: unknown", step(1))
		}
	case root == "count":
		if !s.count || step(1) != "index" {
			bad("count.%s outside a block with count", step(1))
		}
	case root == "each":
		if !s.each || (step(1) != "key" && step(1) != "value") {
			bad("each.%s outside a block with for_each", step(1))
		} else if b, ok := m.modules[s.eachModule]; ok && step(1) == "value" && step(2) != "" {
			if child := c.source(m, b, false); child != nil && !child.outputs[step(2)] {
				bad("each.value.%s: for_each is module.%s, whose source declares no output %q", step(2), s.eachModule, step(2))
			}
		}
	case root == "self":
		if !s.self {
			bad("self outside a provisioner, connection or condition")
		}
	case m.resTypes[root]:
		if key := root + "." + step(1); !m.resources[key] {
			bad("%s: no resource %q in %s", key, key, m.dir)
		}
	default:
		bad("%s: unknown reference (no such resource type, variable scope or iterator)", root)
	}
}

func contains(set map[string]bool, k string) bool { _, ok := set[k]; return ok }

// moduleRef checks module.NAME[...].OUTPUT against the module block and its source.
func (c *checker) moduleRef(m *module, tr hcl.Traversal, bad func(string, ...interface{})) {
	name := attrName(tr[1])
	b, ok := m.modules[name]
	if !ok {
		bad("module.%s: no module block %q in %s", name, name, m.dir)
		return
	}
	child := c.source(m, b, false)
	if child == nil || len(tr) < 3 {
		return
	}
	i := 2
	if _, idx := tr[2].(hcl.TraverseIndex); idx {
		i = 3
	}
	if i < len(tr) {
		if out := attrName(tr[i]); out != "" && !child.outputs[out] {
			bad("module.%s.%s: %s declares no output %q", name, out, child.dir, out)
		}
	}
}

// source resolves a module block's local source dir (nil if not local or broken).
func (c *checker) source(m *module, b *hclsyntax.Block, report bool) *module {
	a, ok := b.Body.Attributes["source"]
	if !ok {
		if report {
			c.errs = append(c.errs, at(b.DefRange(), "module %q has no source", b.Labels[0]))
		}
		return nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() {
		if report {
			c.errs = append(c.errs, at(a.SrcRange, "module source must be a literal string"))
		}
		return nil
	}
	src := v.AsString()
	if !strings.HasPrefix(src, "./") && !strings.HasPrefix(src, "../") {
		return nil // registry or remote: not checked here
	}
	dir := filepath.Join(m.dir, src)
	if len(tfFiles(dir)) == 0 {
		if report {
			c.errs = append(c.errs, at(a.SrcRange, "module %q: source %s is not a directory with .tf files", b.Labels[0], dir))
		}
		return nil
	}
	return c.get(dir)
}

// moduleCall checks a module block: its expressions, source, arguments and providers.
func (c *checker) moduleCall(m *module, b *hclsyntax.Block, s scope) {
	for name, a := range b.Body.Attributes {
		if name == "providers" {
			c.providersArg(m, a)
		} else if name != "source" {
			c.expr(m, a.Expr, s)
		}
	}
	for _, nb := range b.Body.Blocks {
		c.errs = append(c.errs, at(nb.DefRange(), "module %q: unexpected block %q", b.Labels[0], nb.Type))
	}
	child := c.source(m, b, true)
	if child == nil {
		return
	}
	for name, a := range b.Body.Attributes {
		if !moduleMeta[name] && !contains(child.variables, name) {
			c.errs = append(c.errs, at(a.SrcRange, "module %q: argument %q is not a variable of %s", b.Labels[0], name, child.dir))
		} else if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
			c.objectArg(b.Labels[0], name, obj, child.varTypes[name])
		}
	}
	for name, required := range child.variables {
		if _, given := b.Body.Attributes[name]; required && !given {
			c.errs = append(c.errs, at(b.DefRange(), "module %q: required variable %q of %s is not set", b.Labels[0], name, child.dir))
		}
	}
}

func (c *checker) providersArg(m *module, a *hclsyntax.Attribute) {
	obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		c.errs = append(c.errs, at(a.SrcRange, "providers must be an object { name = provider.alias }"))
		return
	}
	for _, item := range obj.Items {
		c.providerRef(m, item.ValueExpr)
	}
}

// providerRef checks a provider reference NAME or NAME.ALIAS against the provider blocks
// (an unaliased provider needs no block).
func (c *checker) providerRef(m *module, e hclsyntax.Expression) {
	tr, diags := hcl.AbsTraversalForExpr(e)
	if diags.HasErrors() {
		c.errs = append(c.errs, at(e.Range(), "expected a provider reference NAME or NAME.ALIAS"))
		return
	}
	if len(tr) == 1 {
		return
	}
	if key := tr.RootName() + "." + attrName(tr[1]); !m.providers[key] {
		c.errs = append(c.errs, at(e.Range(), "provider %q: no provider block with that alias in %s", key, m.dir))
	}
}

// call checks a function call: a known name; for file()/templatefile() a static,
// existing path; for templatefile() every template variable passed.
func (c *checker) call(m *module, call *hclsyntax.FunctionCallExpr) {
	r := call.NameRange
	if !knownFuncs[call.Name] {
		c.errs = append(c.errs, at(r, "unknown function %s()", call.Name))
		return
	}
	if call.Name != "file" && call.Name != "templatefile" {
		return
	}
	if len(call.Args) < 1 {
		c.errs = append(c.errs, at(r, "%s() needs a path", call.Name))
		return
	}
	abs, _ := filepath.Abs(m.dir)
	pathObj := cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(abs), "root": cty.StringVal(abs), "cwd": cty.StringVal(abs),
	})
	v, diags := call.Args[0].Value(&hcl.EvalContext{Variables: map[string]cty.Value{"path": pathObj}})
	if diags.HasErrors() || v.Type() != cty.String {
		c.errs = append(c.errs, at(r, "%s(): path must be static (a literal or \"${path.module}/...\")", call.Name))
		return
	}
	p := v.AsString()
	if !filepath.IsAbs(p) {
		p = filepath.Join(abs, p)
	}
	src, err := os.ReadFile(p)
	if err != nil {
		c.errs = append(c.errs, at(r, "%s(): %v", call.Name, err))
		return
	}
	if call.Name == "file" {
		return
	}
	tmpl, tdiags := hclsyntax.ParseTemplate(src, p, hcl.Pos{Line: 1, Column: 1})
	if tdiags.HasErrors() {
		c.errs = append(c.errs, at(r, "templatefile(): %s", tdiags.Error()))
		return
	}
	hclsyntax.VisitAll(tmpl, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && (!knownFuncs[fc.Name] || fc.Name == "templatefile") {
			c.errs = append(c.errs, at(fc.NameRange, "function %s() is not available in a template", fc.Name))
		}
		return nil
	})
	if len(call.Args) < 2 {
		c.errs = append(c.errs, at(r, "templatefile() needs a variables object"))
		return
	}
	obj, ok := call.Args[1].(*hclsyntax.ObjectConsExpr)
	if !ok {
		c.errs = append(c.errs, at(r, "templatefile(): variables must be an object literal (to be checked)"))
		return
	}
	passed := map[string]bool{}
	for _, item := range obj.Items {
		kv, d := item.KeyExpr.Value(nil)
		if d.HasErrors() || kv.Type() != cty.String {
			c.errs = append(c.errs, at(item.KeyExpr.Range(), "templatefile(): variable names must be static"))
			continue
		}
		passed[kv.AsString()] = true
	}
	for _, tr := range tmpl.Variables() {
		if !passed[tr.RootName()] {
			tr0 := tr.SourceRange()
			c.errs = append(c.errs, at(r, "templatefile(%s): %s:%d uses %q, which the call does not pass",
				filepath.Base(p), filepath.Base(tr0.Filename), tr0.Start.Line, tr.RootName()))
		}
	}
}

// objectArg checks an object literal given for a variable of type object({...}): no
// attribute the type lacks, every non-optional attribute given.
func (c *checker) objectArg(mod, name string, obj *hclsyntax.ObjectConsExpr, typ hclsyntax.Expression) {
	call, ok := typ.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "object" || len(call.Args) != 1 {
		return
	}
	spec, ok := call.Args[0].(*hclsyntax.ObjectConsExpr)
	if !ok {
		return
	}
	attrs := map[string]bool{} // name -> required
	for _, item := range spec.Items {
		k, d := item.KeyExpr.Value(nil)
		if d.HasErrors() || k.Type() != cty.String {
			continue
		}
		opt, isCall := item.ValueExpr.(*hclsyntax.FunctionCallExpr)
		attrs[k.AsString()] = !(isCall && opt.Name == "optional")
	}
	given := map[string]bool{}
	for _, item := range obj.Items {
		k, d := item.KeyExpr.Value(nil)
		if d.HasErrors() || k.Type() != cty.String {
			continue
		}
		given[k.AsString()] = true
		if _, ok := attrs[k.AsString()]; !ok {
			c.errs = append(c.errs, at(item.KeyExpr.Range(), "module %q: %s has no attribute %q in its object type", mod, name, k.AsString()))
		}
	}
	for a, required := range attrs {
		if required && !given[a] {
			c.errs = append(c.errs, at(obj.SrcRange, "module %q: %s lacks required attribute %q", mod, name, a))
		}
	}
}
