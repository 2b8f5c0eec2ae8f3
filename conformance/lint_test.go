package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// This file runs cfn-lint, once for all templates: it starts in seconds, so one run
// instead of one per scenario saves most of the suite's lint time.

// lintRegions are the regions cfn-lint checks every template against: its default, and
// the region of the environment-specific scenarios.
var lintRegions = []string{"us-east-1", scenarios.Region}

// lintCanary is a template with a known error (a security group without its required
// GroupDescription, E3003), linted with the others to prove that cfn-lint ran and that
// its output is read.
const (
	lintCanaryFile = "canary.template.json"
	lintCanaryRule = "E3003"
	lintCanary     = `{
  "Resources": {
    "Canary": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": "vpc-0a1b2c3d4e5f60718"}}
  }
}
`
)

// lintFinding is one finding of cfn-lint's JSON output.
type lintFinding struct {
	Filename string `json:"Filename"`
	Level    string `json:"Level"` // Error, Warning or Informational
	Message  string `json:"Message"`
	Location struct {
		Start struct {
			LineNumber int `json:"LineNumber"`
		} `json:"Start"`
		Path []any `json:"Path"`
	} `json:"Location"`
	Rule struct {
		ID string `json:"Id"`
	} `json:"Rule"`
}

// logicalID is the resource a finding is about, or "".
func (f lintFinding) logicalID() string {
	if len(f.Location.Path) >= 2 && f.Location.Path[0] == "Resources" {
		s, _ := f.Location.Path[1].(string)
		return s
	}
	return ""
}

// lintResult is the outcome of the one cfn-lint run.
type lintResult struct {
	Version string
	// ByFile are the findings by template file name (the scenario's name plus
	// ".template.json", or lintCanaryFile).
	ByFile map[string][]lintFinding
	// Err is set when cfn-lint is missing or failed; every cfn-lint check fails with it.
	Err error
}

// lintFileOf is the file name of the template of s given to cfn-lint and cfn-guard.
func lintFileOf(s *synthesis) string { return s.Scenario + ".template.json" }

// scenarioTemplates returns the template of every scenario of all that synthesized, read
// from its cloud assembly, by lintFileOf, and the canary (file name: content).
func scenarioTemplates(all []*synthesis, canaryFile, canary string) (map[string][]byte, error) {
	templates := map[string][]byte{canaryFile: []byte(canary)}
	for _, s := range all {
		if s.Err != nil {
			continue
		}
		raw, err := os.ReadFile(s.TemplateFile)
		if err != nil {
			return nil, err
		}
		templates[lintFileOf(s)] = raw
	}
	return templates, nil
}

// writeTemplates writes templates (file name: content) into dir and returns their file
// names, sorted.
func writeTemplates(dir string, templates map[string][]byte) ([]string, error) {
	names := make([]string, 0, len(templates))
	for name, raw := range templates {
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// lintAll copies the template of every synthesized scenario from its cloud assembly into
// one directory, with the canary, and runs cfn-lint over them once.
func lintAll(all []*synthesis) *lintResult {
	res := &lintResult{ByFile: map[string][]lintFinding{}}
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		res.Err = fmt.Errorf("cfn-lint is not on PATH (%v): the suite needs cfn-lint 1.x "+
			"(CI installs it; locally: pip install 'cfn-lint==1.51.*')", err)
		return res
	}
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err == nil {
		res.Version = strings.TrimSpace(string(out))
	}
	dir := filepath.Join(workDir, "cfn-lint")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Err = err
		return res
	}
	templates, err := scenarioTemplates(all, lintCanaryFile, lintCanary)
	var files []string
	if err == nil {
		files, err = writeTemplates(dir, templates)
	}
	if err != nil {
		res.Err = err
		return res
	}

	args := []string{"--format", "json", "--regions"}
	args = append(args, lintRegions...)
	args = append(args, "--")
	args = append(args, files...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // no project .cfnlintrc applies
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	// cfn-lint exits with 2, 4 and 8 (or-ed) for errors, warnings and informational
	// findings; anything else that is not 0, or output that is not JSON, is a failure of
	// the linter itself.
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode()&1 != 0 || exit.ExitCode() > 15) {
		res.Err = fmt.Errorf("cfn-lint %s failed: %v\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
		return res
	}
	var findings []lintFinding
	if err := json.Unmarshal(stdout.Bytes(), &findings); err != nil {
		res.Err = fmt.Errorf("cfn-lint output is not the expected JSON (%v):\n%s%s", err, stdout.String(), stderr.String())
		return res
	}
	for _, f := range findings {
		name := filepath.Base(f.Filename)
		res.ByFile[name] = append(res.ByFile[name], f)
	}
	return res
}
