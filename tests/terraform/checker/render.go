// render: evaluates a templatefile() template with variables from a JSON object, like
// Terraform's templatefile(), with the go-cty stdlib functions listed below (Terraform's
// replace() also takes /regex/ patterns; this one is a plain substring replace).
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Functions a template may call here (a subset of Terraform's, same semantics).
var templateFuncs = map[string]function.Function{
	"jsonencode": stdlib.JSONEncodeFunc,
	"join":       stdlib.JoinFunc,
	"replace":    stdlib.ReplaceFunc,
	"upper":      stdlib.UpperFunc,
	"lower":      stdlib.LowerFunc,
	"format":     stdlib.FormatFunc,
	"length":     stdlib.LengthFunc,
	"keys":       stdlib.KeysFunc,
	"values":     stdlib.ValuesFunc,
	"contains":   stdlib.ContainsFunc,
	"concat":     stdlib.ConcatFunc,
	"trimspace":  stdlib.TrimSpaceFunc,
}

func render(templatePath, varsPath, outPath string) error {
	src, err := os.ReadFile(templatePath)
	if err != nil {
		return err
	}
	expr, diags := hclsyntax.ParseTemplate(src, templatePath, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	if diags.HasErrors() {
		return fmt.Errorf("%s", diags.Error())
	}
	raw, err := os.ReadFile(varsPath)
	if err != nil {
		return err
	}
	ty, err := ctyjson.ImpliedType(raw)
	if err != nil {
		return fmt.Errorf("%s: %v", varsPath, err)
	}
	vars, err := ctyjson.Unmarshal(raw, ty)
	if err != nil {
		return fmt.Errorf("%s: %v", varsPath, err)
	}
	if !vars.Type().IsObjectType() {
		return fmt.Errorf("%s: must hold a JSON object", varsPath)
	}
	given := vars.AsValueMap()
	// Same message for a missing variable as Terraform gives, before evaluating.
	for _, tr := range expr.Variables() {
		if _, ok := given[tr.RootName()]; !ok {
			r := tr.SourceRange()
			return fmt.Errorf("%s:%d: variable %q is not in %s", r.Filename, r.Start.Line, tr.RootName(), varsPath)
		}
	}
	ctx := &hcl.EvalContext{Variables: given, Functions: templateFuncs}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return fmt.Errorf("%s", diags.Error())
	}
	val, err = convert.Convert(val, cty.String)
	if err != nil || val.IsNull() || !val.IsKnown() {
		return fmt.Errorf("template did not produce a string")
	}
	return os.WriteFile(outPath, []byte(val.AsString()), 0o755)
}
