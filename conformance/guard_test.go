package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// This file runs cfn-guard with AWS Control Tower's proactive-control rules, once for all
// templates, and turns its structured output into findings: control, severity, resource.
// What the suite accepts of them is in controltower_test.go.

// guardPackageEnv names the directory of the npm package guardPackage (the one with bin/
// and rules/ in it). .ci/run installs the package and sets it.
const guardPackageEnv = "CFNGUARD_PACKAGE_DIR"

// guardPackage is the npm package that ships cfn-guard and the Control Tower rules, at the
// version .ci/run pins (TestGuardPackagePinnedInCI checks that both name the same one).
const (
	guardPackage        = "@cdklabs/cdk-validator-cfnguard"
	guardPackageVersion = "0.0.62"
)

// guardExitViolations is cfn-guard's exit code when a rule is not compliant; 0 is all
// compliant (or nothing applicable), anything else is a failure of cfn-guard itself.
const guardExitViolations = 19

// guardCanary is a template checked with the scenarios to prove that cfn-guard evaluates
// the rules and that the suite reads its findings: CT.ECS.PR.6 must fire on the two
// containers without ReadonlyRootFilesystem and not on the one with it, and each finding
// must keep its resource and construct path (TestControlTower/canary).
const (
	guardCanaryFile = "guard-canary.template.json"
	guardCanary     = `{
  "Resources": {
    "ApiWritableTaskDefinition": {
      "Type": "AWS::ECS::TaskDefinition",
      "Properties": {"NetworkMode": "awsvpc", "ContainerDefinitions": [{"Name": "app", "Image": "app:1", "Memory": 512, "User": "1000", "LogConfiguration": {"LogDriver": "awslogs"}}]},
      "Metadata": {"aws:cdk:path": "GuardCanary/Api/WritableTaskDefinition/Resource"}
    },
    "ApiReadOnlyTaskDefinition": {
      "Type": "AWS::ECS::TaskDefinition",
      "Properties": {"NetworkMode": "awsvpc", "ContainerDefinitions": [{"Name": "app", "Image": "app:1", "Memory": 512, "User": "1000", "LogConfiguration": {"LogDriver": "awslogs"}, "ReadonlyRootFilesystem": true}]},
      "Metadata": {"aws:cdk:path": "GuardCanary/Api/ReadOnlyTaskDefinition/Resource"}
    },
    "ScaffoldingTaskDefinition": {
      "Type": "AWS::ECS::TaskDefinition",
      "Properties": {"NetworkMode": "awsvpc", "ContainerDefinitions": [{"Name": "app", "Image": "app:1", "Memory": 512, "User": "1000", "LogConfiguration": {"LogDriver": "awslogs"}, "ReadonlyRootFilesystem": false}]},
      "Metadata": {"aws:cdk:path": "GuardCanary/Scaffolding/Resource"}
    }
  }
}
`
)

// guardRules is what the suite knows of the rules of the package.
type guardRules struct {
	Dir string // rules/control-tower/cfn-guard
	// ByName are the controls by the name of their primary guard rule, such as
	// ecs_containers_readonly_access_check.
	ByName map[string]*control
	// ByID are the same controls by control ID, such as CT.ECS.PR.6.
	ByID map[string]*control
}

// control is one Control Tower proactive control: one rule file and its metadata.
type control struct {
	ID            string   `json:"Id"`       // CT.ECS.PR.6
	Severity      string   `json:"Severity"` // LOW, MEDIUM, HIGH or CRITICAL
	DisplayName   string   `json:"DisplayName"`
	ResourceTypes []string `json:"EvaluatedResourceTypes"`
	Rule          string   `json:"-"` // the primary rule's name
	File          string   `json:"-"` // the rule file, relative to the rules directory
}

func (c *control) evaluates(resourceType string) bool {
	for _, t := range c.ResourceTypes {
		if t == resourceType {
			return true
		}
	}
	return false
}

// guardFinding is one resource that one control found not compliant.
type guardFinding struct {
	Control      *control
	LogicalID    string
	ResourceType string
	Path         string // construct path (aws:cdk:path), "" when the resource has none
}

func (f guardFinding) String() string {
	where := f.LogicalID
	if f.Path != "" {
		where += " (" + f.Path + ")"
	}
	return fmt.Sprintf("%s [%s] %s %s: %s (%s)", f.Control.ID, f.Control.Severity, f.ResourceType, where,
		f.Control.DisplayName, f.Control.File)
}

// guardResult is the outcome of the one cfn-guard run.
type guardResult struct {
	Version string
	Rules   *guardRules
	// ByFile are the findings by template file name (the scenario's name plus
	// ".template.json", or guardCanaryFile).
	ByFile map[string][]guardFinding
	// Err is set when cfn-guard is missing, failed, or its output could not be read; every
	// Control Tower check fails with it.
	Err error
}

// guardPackageDir returns the directory of the cfn-guard package: guardPackageEnv, or
// where .ci/run installs it in its cache, which the suite fills itself with npm (the
// pinned version, from the npm registry) when it is empty, so that the README's test
// command works on a new machine with Node.js. It is an error, with the way out, when
// neither holds the pinned version.
func guardPackageDir() (string, error) {
	dir := os.Getenv(guardPackageEnv)
	from := guardPackageEnv
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		prefix := filepath.Join(cache, "privaterdsapi-ci", "cfnguard")
		dir = filepath.Join(prefix, "node_modules", filepath.FromSlash(guardPackage))
		from = guardPackageEnv + " is not set; tried .ci/run's cache"
		if _, err := os.Stat(filepath.Join(dir, "package.json")); errors.Is(err, fs.ErrNotExist) {
			if npm, err := exec.LookPath("npm"); err == nil {
				out, err := exec.Command(npm, "install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund",
					"--loglevel=error", guardPackage+"@"+guardPackageVersion).CombinedOutput()
				if err != nil {
					from += fmt.Sprintf(", and npm install failed (%v): %s", err, out)
				}
			}
		}
	}
	install := fmt.Sprintf("the suite needs %s@%s (the AWS Control Tower rules and cfn-guard): run .ci/run, or "+
		"npm install --prefix DIR --no-save %s@%s and set %s=DIR/node_modules/%s",
		guardPackage, guardPackageVersion, guardPackage, guardPackageVersion, guardPackageEnv, guardPackage)
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%s (%s): %v; %s", dir, from, err, install)
	}
	var pkg struct{ Name, Version string }
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Name != guardPackage || pkg.Version != guardPackageVersion {
		return "", fmt.Errorf("%s (%s) holds %s@%s (%v), not %s@%s; %s", dir, from, pkg.Name, pkg.Version, err,
			guardPackage, guardPackageVersion, install)
	}
	return dir, nil
}

// guardBinary is the package's cfn-guard for this machine.
func guardBinary(pkgDir string) (string, error) {
	platform := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if platform == "" || arch == "" {
		return "", fmt.Errorf("%s ships no cfn-guard for %s/%s", guardPackage, runtime.GOOS, runtime.GOARCH)
	}
	return filepath.Join(pkgDir, "bin", platform, arch, "cfn-guard"), nil
}

// primaryRule matches the rules a guard file evaluates (those with a when clause), not its
// parameterized helper rules.
var primaryRule = regexp.MustCompile(`(?m)^rule\s+([A-Za-z0-9_]+)\s+when\b`)

// loadGuardRules reads every rule file of the package's Control Tower rules with its
// metadata. Each file must have exactly one primary rule (possibly written twice, for
// templates and for hooks) and metadata that names its control.
func loadGuardRules(pkgDir string) (*guardRules, error) {
	base := filepath.Join(pkgDir, "rules", "control-tower")
	r := &guardRules{Dir: filepath.Join(base, "cfn-guard"), ByName: map[string]*control{}, ByID: map[string]*control{}}
	err := filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".guard") {
			return err
		}
		rel, _ := filepath.Rel(r.Dir, path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, m := range primaryRule.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		if len(names) != 1 {
			return fmt.Errorf("rule file %s: %d primary rules (%v), want 1", rel, len(names), names)
		}
		meta := filepath.Join(base, "metadata", strings.TrimSuffix(rel, ".guard")+".metadata.json")
		raw, err := os.ReadFile(meta)
		if err != nil {
			return fmt.Errorf("rule file %s: %w", rel, err)
		}
		c := &control{File: filepath.ToSlash(rel)}
		if err := json.Unmarshal(raw, c); err != nil || c.ID == "" || c.Severity == "" || len(c.ResourceTypes) == 0 {
			return fmt.Errorf("metadata %s: no Id, Severity or EvaluatedResourceTypes (%v)", meta, err)
		}
		for n := range names {
			c.Rule = n
		}
		if prev := r.ByName[c.Rule]; prev != nil {
			return fmt.Errorf("rule %s is in %s and %s", c.Rule, prev.File, c.File)
		}
		if prev := r.ByID[c.ID]; prev != nil {
			return fmt.Errorf("control %s is in %s and %s", c.ID, prev.File, c.File)
		}
		r.ByName[c.Rule], r.ByID[c.ID] = c, c
		return nil
	})
	if err == nil && len(r.ByName) == 0 {
		err = fmt.Errorf("no rule file under %s", r.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("Control Tower rules of %s: %w", pkgDir, err)
	}
	return r, nil
}

// guardAll runs cfn-guard once over the template of every synthesized scenario and the
// canary. On any failure it returns a result with Err set.
func guardAll(all []*synthesis) *guardResult {
	res := &guardResult{ByFile: map[string][]guardFinding{}}
	pkgDir, err := guardPackageDir()
	if err == nil {
		res.Rules, err = loadGuardRules(pkgDir)
	}
	var bin string
	if err == nil {
		bin, err = guardBinary(pkgDir)
	}
	if err == nil {
		var out []byte
		if out, err = exec.Command(bin, "--version").CombinedOutput(); err != nil {
			err = fmt.Errorf("%s --version: %v\n%s", bin, err, out)
		}
		res.Version = strings.TrimSpace(string(out))
	}
	dir := filepath.Join(workDir, "cfn-guard")
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		res.Err = err
		return res
	}
	templates, err := scenarioTemplates(all, guardCanaryFile, guardCanary)
	if err != nil {
		res.Err = err
		return res
	}
	res.ByFile, res.Err = runGuard(bin, res.Rules, dir, templates)
	return res
}

// runGuard writes templates (by file name) into dir and runs cfn-guard over all of them
// at once, with every rule of rules. It returns the findings by file name.
func runGuard(bin string, rules *guardRules, dir string, templates map[string][]byte) (map[string][]guardFinding, error) {
	names, err := writeTemplates(dir, templates)
	if err != nil {
		return nil, err
	}
	args := []string{"validate", "--rules", rules.Dir}
	parsed := map[string]template{}
	for _, name := range names {
		var t template
		if err := json.Unmarshal(templates[name], &t); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		parsed[name] = t
		args = append(args, "--data", name)
	}
	args = append(args, "--output-format", "json", "--show-summary", "none", "--structured")
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && (!errors.As(runErr, &exit) || exit.ExitCode() != guardExitViolations) {
		return nil, fmt.Errorf("cfn-guard %s failed: %v\n%s%s", strings.Join(args, " "), runErr, stderr.String(), truncate(stdout.String()))
	}
	byFile, err := parseGuardOutput(stdout.Bytes(), rules, parsed)
	if err != nil {
		return nil, fmt.Errorf("cfn-guard %s: %w", strings.Join(args, " "), err)
	}
	violations := false
	for _, found := range byFile {
		violations = violations || len(found) > 0
	}
	if violations != (runErr != nil) {
		return nil, fmt.Errorf("cfn-guard exited with %v, but its output has violations: %v", runErr, violations)
	}
	return byFile, nil
}

// guardFileResult is one template's entry of cfn-guard's structured JSON output.
type guardFileResult struct {
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	NotCompliant  []json.RawMessage `json:"not_compliant"`
	NotApplicable []string          `json:"not_applicable"`
	Compliant     []string          `json:"compliant"`
}

// controlInMessage is the control ID that the Control Tower rules put at the start of
// their custom messages, such as "[CT.ECS.PR.6]: Require ...".
var controlInMessage = regexp.MustCompile(`\[(CT\.[A-Z0-9-]+\.PR\.[0-9]+)\]`)

// parseGuardOutput reads cfn-guard's structured output for the templates (by file name)
// and returns the findings by file name. The output has no fixed schema below a rule (it
// mirrors guard's evaluation tree), so for each not-compliant rule it collects, anywhere
// in the rule's tree, the resources of the paths guard traversed to ("/Resources/<id>/...")
// whose type the control evaluates, and the control IDs of the custom messages. It is an
// error, rather than no finding, when the output is not that JSON, misses a template or
// names one twice, did not evaluate every rule on a template, names an unknown rule, or
// has a not-compliant rule that names no resource of its types or another control.
func parseGuardOutput(out []byte, rules *guardRules, templates map[string]template) (map[string][]guardFinding, error) {
	var results []guardFileResult
	if err := json.Unmarshal(out, &results); err != nil {
		return nil, fmt.Errorf("output is not the expected JSON (%v):\n%s", err, truncate(string(out)))
	}
	byFile := map[string][]guardFinding{}
	seen := map[string]bool{}
	for _, r := range results {
		name := filepath.Base(r.Name)
		t, ok := templates[name]
		if !ok || seen[name] {
			return nil, fmt.Errorf("output names template %q, which was not given or is named twice", r.Name)
		}
		seen[name] = true
		// Every rule must have been evaluated, whatever its outcome: a template that guard
		// could not read as CloudFormation comes back as SKIP, with every rule not applicable.
		evaluated := map[string]bool{}
		for _, n := range append(append([]string{}, r.Compliant...), r.NotApplicable...) {
			if rules.ByName[n] == nil {
				return nil, fmt.Errorf("%s: cfn-guard evaluated rule %s, which is in no rule file", name, n)
			}
			evaluated[n] = true
		}
		if len(r.Compliant) == 0 || (r.Status != "PASS" && r.Status != "FAIL") {
			return nil, fmt.Errorf("%s: status %s with no compliant rule: cfn-guard did not evaluate it as a CloudFormation template", name, r.Status)
		}
		for _, raw := range r.NotCompliant {
			var nc struct {
				Rule struct {
					Name string `json:"name"`
				} `json:"Rule"`
			}
			if err := json.Unmarshal(raw, &nc); err != nil || nc.Rule.Name == "" {
				return nil, fmt.Errorf("%s: a not-compliant entry without a rule name (%v): %s", name, err, truncate(string(raw)))
			}
			evaluated[nc.Rule.Name] = true
			c := rules.ByName[nc.Rule.Name]
			if c == nil {
				return nil, fmt.Errorf("%s: not-compliant rule %s is in no rule file", name, nc.Rule.Name)
			}
			var tree any
			_ = json.Unmarshal(raw, &tree)
			ids, controls := map[string]bool{}, map[string]bool{}
			walkGuardTree(tree, ids, controls)
			for id := range controls {
				if id != c.ID {
					return nil, fmt.Errorf("%s: rule %s of %s (%s) reports control %s", name, c.Rule, c.File, c.ID, id)
				}
			}
			var found []guardFinding
			for id := range ids {
				res, ok := t.Resource(id)
				if !ok || !c.evaluates(res.Type) {
					continue // a resource the rule looked at on the way, not one it reports on
				}
				found = append(found, guardFinding{Control: c, LogicalID: id, ResourceType: res.Type, Path: res.Path()})
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("%s: rule %s (%s) is not compliant, but its output names no resource of type %v: %s",
					name, c.Rule, c.ID, c.ResourceTypes, truncate(string(raw)))
			}
			byFile[name] = append(byFile[name], found...)
		}
		for n := range rules.ByName {
			if !evaluated[n] {
				return nil, fmt.Errorf("%s: rule %s (%s) was not evaluated", name, n, rules.ByName[n].ID)
			}
		}
	}
	for name := range templates {
		if !seen[name] {
			return nil, fmt.Errorf("output has no result for template %s", name)
		}
	}
	for _, found := range byFile {
		sort.Slice(found, func(i, j int) bool {
			if found[i].Control.ID != found[j].Control.ID {
				return found[i].Control.ID < found[j].Control.ID
			}
			return found[i].LogicalID < found[j].LogicalID
		})
	}
	return byFile, nil
}

// walkGuardTree collects the logical IDs of the "/Resources/<id>..." paths and the control
// IDs of the custom messages anywhere in v.
func walkGuardTree(v any, ids, controls map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok {
				switch k {
				case "path":
					if rest, ok := strings.CutPrefix(s, "/Resources/"); ok {
						ids[strings.SplitN(rest, "/", 2)[0]] = true
					}
				case "custom_message":
					for _, m := range controlInMessage.FindAllStringSubmatch(s, -1) {
						controls[m[1]] = true
					}
				}
				continue
			}
			walkGuardTree(x, ids, controls)
		}
	case []any:
		for _, x := range v {
			walkGuardTree(x, ids, controls)
		}
	}
}

// truncate shortens long tool output in error messages.
func truncate(s string) string {
	const max = 4000
	if len(s) > max {
		return s[:max] + "... (truncated)"
	}
	return s
}
