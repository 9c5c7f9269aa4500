// tfcheck: static checks of Meridian's Terraform code without the terraform binary, using
// HashiCorp's HCL v2 parser (Debian's golang-github-hashicorp-hcl-v2-dev), plus a renderer
// for the bootstrap template. Used by tests/terraform/test_terraform.py.
//
//	tfcheck check DIR                      every directory under DIR with .tf files is a module
//	tfcheck render TEMPLATE VARS.json OUT  render a templatefile() template with VARS
//
// check parses every .tf file and fails (exit 1, one "file:line: message" per problem) on:
// syntax errors; duplicate declarations; var./local./module./data./resource references
// that do not resolve in their module (module.X.Y: Y must be an output of X's source);
// count./each./self. outside a block that defines them; variable validations that refer
// to another variable; unknown function names; file()/templatefile() paths that are not
// static or do not exist; templatefile() templates that do not parse or use a variable the
// call does not pass; module sources that are not a directory with .tf files; module
// arguments that the called module does not declare, or required variables left out;
// providers = { x = p.alias } naming an undeclared provider alias.
//
// Build offline in GOPATH mode (see test_terraform.py: go-textseg needs a /v13 shim).
package main

import (
	"fmt"
	"os"
	"sort"
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "check" {
		errs, n := checkTree(os.Args[2])
		if len(errs) > 0 {
			sort.Strings(errs)
			for _, e := range errs {
				fmt.Fprintln(os.Stderr, e)
			}
			fmt.Fprintf(os.Stderr, "tfcheck: FAILED: %d problem(s)\n", len(errs))
			os.Exit(1)
		}
		fmt.Printf("tfcheck: ok: %d module(s) under %s\n", n, os.Args[2])
		return
	}
	if len(os.Args) == 5 && os.Args[1] == "render" {
		if err := render(os.Args[2], os.Args[3], os.Args[4]); err != nil {
			fmt.Fprintf(os.Stderr, "tfcheck: render FAILED: %v\n", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: tfcheck check DIR | tfcheck render TEMPLATE VARS.json OUT")
	os.Exit(2)
}
