package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed07617466/privaterdsapi/internal/mdtable"
)

// The AWS Control Tower proactive controls: CloudFormation hooks that refuse a deployment,
// in accounts that turn them on, whose resources break their rules. The suite runs the
// same rules with cfn-guard (guard_test.go) over every scenario. A finding on a resource
// the construct created fails, unless an entry of acceptedFindings applies to it; findings
// on the scenarios' scaffolding are logged.

// acceptedFindings are the Control Tower findings the construct is reviewed to have, each
// with the condition under which it occurs and why it is accepted. SECURITY.md carries the
// same table (Control, Resource type, When); TestControlTowerTableInSecurityMd checks
// that both agree, and TestControlTower that every entry still silences some finding.
var acceptedFindings = []guardException{
	{
		Control:      "CT.APIGATEWAY.PR.2",
		ResourceType: "AWS::ApiGateway::Stage",
		Where:        "without TracingEnabled (the default)",
		Applies:      propertyNot("TracingEnabled", true),
		Reason: "X-Ray tracing bills per recorded trace and shows only the API Gateway segment: the " +
			"container is not instrumented and, without internet, has no X-Ray daemon or endpoint; the " +
			"stage's access log and metrics record every request; TracingEnabled satisfies the control",
	},
	{
		Control:      "CT.ECS.PR.2",
		ResourceType: "AWS::ECS::Cluster",
		Where:        "ContainerInsights false",
		Applies:      containerInsightsDisabled,
		Reason: "Container Insights bills its metrics as custom metrics (about 25 for one service); " +
			"turning it off is the development profile's choice to save that; the default (true) " +
			"satisfies the control",
	},
	{
		Control:      "CT.ECS.PR.3",
		ResourceType: "AWS::ECS::TaskDefinition",
		Where:        "without User (the default: the image's own user)",
		Applies:      someContainerWithout("User"),
		Reason: "the construct cannot see the image: a user it chose could own none of the image's " +
			"files, and the /tmp volume is writable by another user only when the image declares it; " +
			"the image's own USER (for example distroless nonroot) is the right default, and User " +
			"satisfies the control",
	},
	{
		Control:      "CT.CLOUDWATCH.PR.2",
		ResourceType: "AWS::Logs::LogGroup",
		Where:        "LogRetention shorter than one year (the default is one month)",
		Applies:      retentionUnder(365),
		Reason: "logs are billed per GB-month; one month covers debugging and the default stays " +
			"cheap; LogRetention (and NewIsolatedVpc's LogRetention for its flow log) of one year or " +
			"more satisfies the control",
	},
	{
		Control:      "CT.CLOUDWATCH.PR.3",
		ResourceType: "AWS::Logs::LogGroup",
		Where:        "without LogEncryptionKey",
		Applies:      propertyNot("KmsKeyId", nil),
		Reason: "CloudWatch Logs encrypts every log group at rest with a key of its own; a customer " +
			"managed key costs a monthly fee and requests and needs a key policy for the logs service, " +
			"so it is opt-in through LogEncryptionKey",
	},
	{
		Control:      "CT.CLOUDWATCH.PR.1",
		ResourceType: "AWS::CloudWatch::Alarm",
		Where:        "without AlarmActions (the default)",
		Applies:      propertyNot("AlarmActions", nil),
		Reason: "the construct cannot know whom to notify: the alarms still show in the console and " +
			"roll back deployments (ECS deployment alarms need no action); AlarmActions (for " +
			"example an SNS topic) satisfies the control",
	},
	{
		Control:      "CT.ELASTICLOADBALANCING.PR.5",
		ResourceType: "AWS::ElasticLoadBalancingV2::LoadBalancer",
		Where:        "DeletionProtection off (the default)",
		Applies:      loadBalancerAttributeNot("deletion_protection.enabled", "true"),
		Reason: "deletion protection makes cdk destroy, and any change that replaces the load " +
			"balancer, fail until someone turns it off by hand; the load balancer holds no data, and " +
			"DeletionProtection turns it on",
	},
	{
		Control:      "CT.ELASTICLOADBALANCING.PR.6",
		ResourceType: "AWS::ElasticLoadBalancingV2::LoadBalancer",
		Where:        "without LoadBalancerAccessLogsBucket",
		Applies:      loadBalancerAttributeNot("access_logs.s3.enabled", "true"),
		Reason: "a Network Load Balancer writes access logs only for TLS listeners and this one is " +
			"TCP, so the bucket would stay empty (the cdk-nag ELB2 suppression says the same); the " +
			"stage's access log records every request; LoadBalancerAccessLogsBucket satisfies the control",
	},
}

// guardException is one kind of accepted finding: a control, on a resource type, where
// Applies holds.
type guardException struct {
	Control      string // such as CT.ECS.PR.6
	ResourceType string // the CloudFormation type of the resource
	Where        string // when it occurs, as SECURITY.md says it
	Applies      func(s *synthesis, f guardFinding) bool
	Reason       string
}

// properties of the resource of f in the template of s.
func properties(s *synthesis, f guardFinding) map[string]any {
	r, _ := s.Template.Resource(f.LogicalID)
	return r.Props
}

// propertyNot holds when the resource's property key is not value (nil: when it is absent).
func propertyNot(key string, value any) func(*synthesis, guardFinding) bool {
	return func(s *synthesis, f guardFinding) bool {
		v, ok := properties(s, f)[key]
		if value == nil {
			return !ok
		}
		return v != value
	}
}

// containerInsightsDisabled holds when the cluster's containerInsights setting is
// "disabled", as ContainerInsights: false writes it.
func containerInsightsDisabled(s *synthesis, f guardFinding) bool {
	settings, _ := properties(s, f)["ClusterSettings"].([]any)
	for _, x := range settings {
		if m, _ := x.(map[string]any); m["Name"] == "containerInsights" && m["Value"] == "disabled" {
			return true
		}
	}
	return false
}

// retentionUnder holds when the log group has a retention shorter than days (a log group
// without RetentionInDays never expires).
func retentionUnder(days float64) func(*synthesis, guardFinding) bool {
	return func(s *synthesis, f guardFinding) bool {
		v, ok := properties(s, f)["RetentionInDays"].(float64)
		return ok && v < days
	}
}

// loadBalancerAttributeNot holds when the load balancer has no attribute key with value.
func loadBalancerAttributeNot(key, value string) func(*synthesis, guardFinding) bool {
	return func(s *synthesis, f guardFinding) bool {
		attrs, _ := properties(s, f)["LoadBalancerAttributes"].([]any)
		for _, a := range attrs {
			if m, ok := a.(map[string]any); ok && m["Key"] == key && fmt.Sprint(m["Value"]) == value {
				return false
			}
		}
		return true
	}
}

// someContainerWithout holds when a container of the task definition lacks key, or sets
// it to false or "".
func someContainerWithout(key string) func(*synthesis, guardFinding) bool {
	return func(s *synthesis, f guardFinding) bool {
		containers, _ := properties(s, f)["ContainerDefinitions"].([]any)
		for _, c := range containers {
			m, _ := c.(map[string]any)
			if v, ok := m[key]; !ok || v == false || v == "" {
				return true
			}
		}
		return false
	}
}

// exceptionFor returns the first entry of accepted that applies to f in s, or nil.
func exceptionFor(accepted []guardException, s *synthesis, f guardFinding) *guardException {
	for i := range accepted {
		e := &accepted[i]
		if e.Control == f.Control.ID && e.ResourceType == f.ResourceType && e.Applies(s, f) {
			return e
		}
	}
	return nil
}

// guardProblems returns the findings on resources the construct created that no entry of
// accepted applies to as failures, and the others as logs. It counts in used the findings
// each entry silenced.
func guardProblems(s *synthesis, findings []guardFinding, accepted []guardException, used map[*guardException]int) (failures, logs []string) {
	for _, f := range findings {
		if !s.owned.owns(f.Path) {
			logs = append(logs, "finding on the scenario's scaffolding (not the construct's): "+f.String())
			continue
		}
		if e := exceptionFor(accepted, s, f); e != nil {
			used[e]++
			logs = append(logs, fmt.Sprintf("%s: accepted (%s)", f, e.Where))
			continue
		}
		failures = append(failures, "Control Tower finding on the construct: "+f.String())
	}
	return failures, logs
}

// TestControlTower runs the AWS Control Tower rules over every scenario, once, and fails on
// every finding on a resource the construct created that no reviewed entry accepts. It
// also proves the path with a canary and fails on entries that accept nothing any more.
func TestControlTower(t *testing.T) {
	all := synthesizeAll()
	guard := guardAll(all)
	if guard.Err != nil {
		t.Fatal(guard.Err)
	}
	t.Logf("%s, %d Control Tower rules", guard.Version, len(guard.Rules.ByName))
	used := map[*guardException]int{}
	eachScenario(t, all, func(t *testing.T, s *synthesis) {
		accepted := acceptedFindings
		if s.Scenario == hardenedScenario {
			accepted = nil // every hardening prop is on: no finding is accepted
		}
		failures, logs := guardProblems(s, guard.ByFile[lintFileOf(s)], accepted, used)
		report(t, failures, logs)
	})
	t.Run("canary", func(t *testing.T) {
		findings := guard.ByFile[guardCanaryFile]
		var got []string
		for _, f := range findings {
			got = append(got, fmt.Sprintf("%s %s %s %s %s", f.Control.ID, f.Control.Severity, f.ResourceType, f.LogicalID, f.Path))
		}
		want := []string{
			"CT.ECS.PR.6 HIGH AWS::ECS::TaskDefinition ApiWritableTaskDefinition GuardCanary/Api/WritableTaskDefinition/Resource",
			"CT.ECS.PR.6 HIGH AWS::ECS::TaskDefinition ScaffoldingTaskDefinition GuardCanary/Scaffolding/Resource",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("cfn-guard's findings on the canary are\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
		var tpl template
		if err := json.Unmarshal([]byte(guardCanary), &tpl); err != nil {
			t.Fatal(err)
		}
		s := &synthesis{Scenario: "GuardCanary", Template: tpl, owned: ownership{subtrees: []string{"GuardCanary/Api"}}}
		// Without exceptions, the construct's finding fails and the scaffolding's is logged.
		failures, logs := guardProblems(s, findings, nil, map[*guardException]int{})
		if len(failures) != 1 || !strings.Contains(failures[0], "ApiWritableTaskDefinition") ||
			len(logs) != 1 || !strings.Contains(logs[0], "ScaffoldingTaskDefinition") {
			t.Errorf("guardProblems should fail on ApiWritableTaskDefinition only and log ScaffoldingTaskDefinition; failures %q, logs %q", failures, logs)
		}
		// An entry that applies silences it, and is counted.
		accept := []guardException{{
			Control: "CT.ECS.PR.6", ResourceType: "AWS::ECS::TaskDefinition", Where: "canary",
			Applies: someContainerWithout("ReadonlyRootFilesystem"), Reason: "canary",
		}}
		counted := map[*guardException]int{}
		if failures, _ := guardProblems(s, findings, accept, counted); len(failures) != 0 || counted[&accept[0]] != 1 {
			t.Errorf("an entry that applies should silence the finding once; failures %q, counted %v", failures, counted)
		}
	})
	t.Run("exceptions-in-use", func(t *testing.T) {
		if err := synthesisFailure(all); err != nil {
			t.Fatalf("cannot check that every accepted finding is still in use: %v", err)
		}
		for i := range acceptedFindings {
			e := &acceptedFindings[i]
			if used[e] == 0 {
				t.Errorf("acceptedFindings lists %s on %s (%s), which no scenario has any more: remove it", e.Control, e.ResourceType, e.Where)
				continue
			}
			t.Logf("acceptedFindings: %s on %s (%s) silenced %d findings: %s", e.Control, e.ResourceType, e.Where, used[e], e.Reason)
		}
	})
}

// TestGuardFailsLoudly proves that a failure of cfn-guard, or output the suite cannot
// read, is an error and never a run without findings.
func TestGuardFailsLoudly(t *testing.T) {
	pkgDir, rules := mustLoadGuardRules(t)
	bin, err := guardBinary(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	canary := map[string][]byte{guardCanaryFile: []byte(guardCanary)}
	if _, err := runGuard(bin, &guardRules{Dir: filepath.Join(dir, "missing"), ByName: rules.ByName}, dir, canary); err == nil {
		t.Error("cfn-guard with a missing rules directory: no error")
	} else {
		t.Logf("missing rules: %v", firstLine(err))
	}
	// cfn-guard passes a file it does not take for CloudFormation, skipping every rule.
	if _, err := runGuard(bin, rules, dir, map[string][]byte{"skipped.template.json": []byte(`{"Description": "no Resources"}`)}); err == nil {
		t.Error("a template cfn-guard cannot evaluate: no error")
	} else {
		t.Logf("skipped template: %v", firstLine(err))
	}
	var canaryTemplate template
	if err := json.Unmarshal([]byte(guardCanary), &canaryTemplate); err != nil {
		t.Fatal(err)
	}
	tpl := map[string]template{guardCanaryFile: canaryTemplate}
	for name, out := range map[string]string{
		"not JSON":  `Error occurred`,
		"no result": `[]`,
		"unknown rule": `[{"name":"` + guardCanaryFile + `","status":"FAIL","compliant":["ecs_containers_readonly_access_check"],` +
			`"not_compliant":[{"Rule":{"name":"no_such_rule"}}]}]`,
		"finding without a resource": `[{"name":"` + guardCanaryFile + `","status":"FAIL","compliant":["ecs_task_definition_nonroot_user_check"],` +
			`"not_compliant":[{"Rule":{"name":"ecs_containers_readonly_access_check","checks":[]}}]}]`,
		"finding of another control": `[{"name":"` + guardCanaryFile + `","status":"FAIL","compliant":["ecs_task_definition_nonroot_user_check"],` +
			`"not_compliant":[{"Rule":{"name":"ecs_containers_readonly_access_check","messages":{"custom_message":"[CT.ECS.PR.3]: x"}}}]}]`,
		"not every rule evaluated": `[{"name":"` + guardCanaryFile + `","status":"PASS","compliant":["ecs_containers_readonly_access_check"],` +
			`"not_applicable":[],"not_compliant":[]}]`,
	} {
		if _, err := parseGuardOutput([]byte(out), rules, tpl); err == nil {
			t.Errorf("output %s: no error", name)
		} else {
			t.Logf("%s: %v", name, firstLine(err))
		}
	}
	// Without the package, the suite fails and says how to install it.
	t.Setenv(guardPackageEnv, dir)
	if _, err := guardPackageDir(); err == nil || !strings.Contains(err.Error(), "npm install") {
		t.Errorf("%s=%s, a directory without the package: error %v, want one that says how to install it", guardPackageEnv, dir, err)
	} else {
		t.Logf("no package: %v", err)
	}
}

// mustLoadGuardRules returns the directory of the cfn-guard package and its rules, or
// fails t.
func mustLoadGuardRules(t *testing.T) (string, *guardRules) {
	t.Helper()
	pkgDir, err := guardPackageDir()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := loadGuardRules(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	return pkgDir, rules
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// securityMdHeading is the heading of SECURITY.md's Control Tower section; its table has
// the columns Control, Severity, Resource type, When, Reason.
const securityMdHeading = "## AWS Control Tower proactive controls"

// TestControlTowerTableInSecurityMd checks that SECURITY.md's table of accepted Control
// Tower findings and acceptedFindings have the same rows (control, severity, resource
// type, when), that each names a control of the rules that evaluates that resource type,
// with its severity, and that each has a reason.
func TestControlTowerTableInSecurityMd(t *testing.T) {
	_, rules := mustLoadGuardRules(t)
	rows, err := securityMdControlTowerRows(filepath.Join("..", "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	key := func(control, severity, resourceType, where string) string {
		return strings.Join([]string{control, severity, resourceType, where}, " | ")
	}
	inDoc := map[string]bool{}
	for _, r := range rows {
		if n := utf8.RuneCountInString(r[4]); n < minReasonLength {
			t.Errorf("SECURITY.md: %s on %s: reason has %d characters, fewer than %d", r[0], r[2], n, minReasonLength)
		}
		k := key(r[0], r[1], r[2], r[3])
		if inDoc[k] {
			t.Errorf("SECURITY.md has the row %s twice", k)
		}
		inDoc[k] = true
	}
	inGo := map[string]bool{}
	for _, e := range acceptedFindings {
		c := rules.ByID[e.Control]
		switch {
		case c == nil:
			t.Errorf("acceptedFindings: %s is no control of %s@%s", e.Control, guardPackage, guardPackageVersion)
			continue
		case !c.evaluates(e.ResourceType):
			t.Errorf("acceptedFindings: %s evaluates %v, not %s", e.Control, c.ResourceTypes, e.ResourceType)
		}
		if n := utf8.RuneCountInString(e.Reason); n < minReasonLength {
			t.Errorf("acceptedFindings: %s on %s: reason has %d characters, fewer than %d", e.Control, e.ResourceType, n, minReasonLength)
		}
		k := key(e.Control, c.Severity, e.ResourceType, e.Where)
		inGo[k] = true
		if !inDoc[k] {
			t.Errorf("acceptedFindings has %s, which SECURITY.md's %q table lacks (or has with another severity or wording)", k, securityMdHeading)
		}
	}
	for k := range inDoc {
		if !inGo[k] {
			t.Errorf("SECURITY.md's %q table has %s, which acceptedFindings lacks", securityMdHeading, k)
		}
	}
}

// securityMdControlTowerRows returns the rows of the table in the Control Tower section of
// the Markdown file at path, each as its five cells with code spans unquoted.
func securityMdControlTowerRows(path string) ([][]string, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tables, err := mdtable.Tables(string(doc), securityMdHeading)
	if err != nil || len(tables) != 1 || len(tables[0]) < 2 {
		return nil, fmt.Errorf("%s has no table under %q (%v)", path, securityMdHeading, err)
	}
	var rows [][]string
	for _, cells := range tables[0][1:] { // after the header
		if len(cells) != 5 {
			return nil, fmt.Errorf("%s: row with %d cells, want 5: %v", path, len(cells), cells)
		}
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "`", "")
		}
		rows = append(rows, cells)
	}
	return rows, nil
}

// ciPinsGuard matches the package .ci/run installs.
var ciPinsGuard = regexp.MustCompile(`CFNGUARD_VERSION="([^"]+)"`)

// TestGuardPackagePinnedInCI checks that .ci/run installs the version of the cfn-guard
// package that the suite's tables were reviewed against.
func TestGuardPackagePinnedInCI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := ciPinsGuard.FindSubmatch(raw)
	if m == nil || string(m[1]) != guardPackageVersion || !strings.Contains(string(raw), guardPackage+"@") {
		t.Errorf(".ci/run should install %s@%s (CFNGUARD_VERSION=%q), found %q", guardPackage, guardPackageVersion, guardPackageVersion, m)
	}
}
