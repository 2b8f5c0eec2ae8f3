package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// switchedOff is the one place where the suite switches a check off. It applies to
// cfn-lint and to CDK's built-in CloudFormation validation alike, which share cfn-lint's
// rule IDs. A finding of a check switched off here for a scenario is logged; every other
// error or warning fails. A finding that CDK or the library acknowledged in the
// validation report (its suppressedViolations) fails too unless its check is switched off
// here, so that no acknowledgment goes unreviewed; and an entry here that silences
// nothing fails, so that none outlives its reason.
var switchedOff = []switchOff{
	{
		Check:   "W3010", // Avoid hardcoding availability zones
		Where:   "environment-specific stacks",
		Applies: func(s *synthesis) bool { return s.EnvSpecific },
		Reason: "CDK writes the looked-up availability zone names into environment-specific stacks " +
			"(the subnets of a new VPC get AvailabilityZone eu-west-1a, b, c from the availability-zones " +
			"context) instead of Fn::GetAZs; they are the zones of the account and region the stack is " +
			"bound to, and CDK acknowledges W3010 for them itself. Environment-agnostic stacks use " +
			"Fn::GetAZs and keep the check.",
	},
}

type switchOff struct {
	Check   string
	Where   string
	Applies func(*synthesis) bool
	Reason  string
}

// switchedOffFor returns the index in switchedOff of the entry that switches check off
// for s, or -1.
func switchedOffFor(s *synthesis, check string) int {
	for i, o := range switchedOff {
		if o.Check == check && o.Applies(s) {
			return i
		}
	}
	return -1
}

// suppressionKind is a kind of cdk-nag suppression the construct carries: the rule, the
// CloudFormation type of the resource, and the findings it applies to (canonical JSON of
// applies_to; "" for all of the rule's findings on the resource).
type suppressionKind struct {
	Rule, ResourceType, AppliesTo string
}

// reviewedSuppressions are all the kinds of suppression seen across the scenarios, each
// reviewed, with what it is for. A suppression of a kind not listed here fails
// TestSuppressions until someone reviews it and adds it; a kind listed here that no
// scenario carries any more fails too.
var reviewedSuppressions = map[suppressionKind]string{
	{"AwsSolutions-IAM4", "AWS::IAM::Role", `["Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"]`}:           "blue/green service's role for ECS (CDK's AlternateTarget): AWS's managed policy for moving the listener and registering targets (deployment.go)",
	{"AwsSolutions-IAM5", "AWS::IAM::Policy", `["Resource::*"]`}:                                                                                            "task execution role's default policy: ecr:GetAuthorizationToken takes only \"*\" (nag.go)",
	{"AwsSolutions-IAM5", "AWS::IAM::Role", `[{"regex":"/^Resource::arn:<AWS::Partition>:logs:.*:\\*$/"}]`}:                                                 "API Gateway account role (PrivateRdsApiGatewayAccount): logs actions on all log groups of the account and region (gateway.go)",
	{"AwsSolutions-IAM5", "AWS::IAM::Policy", `["Resource::*",{"regex":"/^Resource::arn:<AWS::Partition>:logs:.*:log-group:<.*LogGroup[0-9A-F]+>:\\*$/"}]`}: "task role's default policy with ECS Exec: ssmmessages and logs:DescribeLogGroups take only \"*\"; the session log's streams (nag.go)",
	{"AwsSolutions-ECS4", "AWS::ECS::Cluster", ""}:                                                                                                          "Container Insights off, with ContainerInsights: false (nag.go)",
	{"AwsSolutions-ECS2", "AWS::ECS::TaskDefinition", ""}:                                                                                                   "plain environment with non-secret configuration only (nag.go)",
	{"AwsSolutions-ELB2", "AWS::ElasticLoadBalancingV2::LoadBalancer", ""}:                                                                                  "NLB access logs, without LoadBalancerAccessLogsBucket: a TCP listener writes none (nag.go)",
	{"AwsSolutions-APIG3", "AWS::ApiGateway::Stage", ""}:                                                                                                    "no WAF web ACL, without WebAclArn (nag.go)",
	{"AwsSolutions-APIG4", "AWS::ApiGateway::Method", ""}:                                                                                                   "public API, without Authorizer or AuthorizationType (nag.go)",
	{"AwsSolutions-COG4", "AWS::ApiGateway::Method", ""}:                                                                                                    "no Cognito authorizer, unless the Authorizer is one (nag.go)",
}

// hardenedScenario is the scenario with every hardening prop on. It must pass AWS Control
// Tower's rules with no accepted finding, and carry no cdk-nag suppression but those of
// hardenedSuppressions.
const hardenedScenario = "Hardened"

// hardenedSuppressions are the only suppressions the hardened scenario may carry: the
// public API (it sets no authorizer, by choice), IAM5 on actions that IAM accepts on "*"
// only, and ECS2 on the plain PORT and API_STAGE that the construct always sets, which no
// prop can change.
var hardenedSuppressions = map[string]bool{
	"AwsSolutions-APIG4": true,
	"AwsSolutions-COG4":  true,
	"AwsSolutions-IAM5":  true,
	"AwsSolutions-ECS2":  true,
}

// minReasonLength is the least length of a suppression's reason.
const minReasonLength = 40

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "privaterdsapi-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	if os.Getenv("CONFORMANCE_KEEP") != "" {
		fmt.Println("conformance: cloud assemblies and cfn-lint inputs kept in", dir)
	} else {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// TestConformance synthesizes every scenario once and checks it with cdk-nag, CDK's
// built-in CloudFormation validation and cfn-lint.
func TestConformance(t *testing.T) {
	all := synthesizeAll()
	lint := lintAll(all)
	if lint.Version != "" {
		t.Log(lint.Version)
	}
	for _, s := range all {
		t.Run(s.Scenario, func(t *testing.T) {
			if s.Err != nil {
				t.Fatal(s.Err)
			}
			t.Logf("synthesized with cdk-nag and validation in %v", s.Duration.Round(time.Millisecond))
			t.Run("cdk-nag", func(t *testing.T) {
				failures, logs := nagProblems(s)
				report(t, failures, logs)
			})
			t.Run("cdk-validation", func(t *testing.T) {
				failures, logs := validationProblems(s, map[int]int{})
				report(t, failures, logs)
			})
			t.Run("cfn-lint", func(t *testing.T) {
				if lint.Err != nil {
					t.Fatal(lint.Err)
				}
				failures, logs := lintProblems(s, lint.ByFile[lintFileOf(s)], map[int]int{})
				report(t, failures, logs)
			})
		})
	}
	t.Run("cfn-lint-canary", func(t *testing.T) {
		if lint.Err != nil {
			t.Fatal(lint.Err)
		}
		for _, f := range lint.ByFile[lintCanaryFile] {
			if f.Rule.ID == lintCanaryRule {
				return
			}
		}
		t.Errorf("cfn-lint did not report %s on %s (findings: %+v): it did not lint, or its output is not read right",
			lintCanaryRule, lintCanaryFile, lint.ByFile[lintCanaryFile])
	})
	t.Run("switched-off-checks-in-use", func(t *testing.T) {
		const what = "cannot check that every switched-off check still silences a finding"
		if err := synthesisFailure(all); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if lint.Err != nil {
			t.Fatalf("%s: cfn-lint did not run: %v", what, lint.Err)
		}
		used := map[int]int{}
		applies := map[int]bool{}
		for _, s := range all {
			validationProblems(s, used)
			lintProblems(s, lint.ByFile[lintFileOf(s)], used)
			for i, o := range switchedOff {
				applies[i] = applies[i] || o.Applies(s)
			}
		}
		for i, o := range switchedOff {
			switch {
			case !applies[i]:
				t.Errorf("%s is switched off for %s, but no scenario is one: remove the entry or add a scenario", o.Check, o.Where)
			case used[i] == 0:
				t.Errorf("%s is switched off for %s, but neither cfn-lint nor CDK's validation reports it there any more: remove the entry", o.Check, o.Where)
			default:
				t.Logf("%s switched off for %s silenced %d findings: %s", o.Check, o.Where, used[i], o.Reason)
			}
		}
	})
}

// eachScenario runs check in a subtest for every scenario of all; the subtest of a scenario
// that did not synthesize fails instead.
func eachScenario(t *testing.T, all []*synthesis, check func(t *testing.T, s *synthesis)) {
	t.Helper()
	for _, s := range all {
		t.Run(s.Scenario, func(t *testing.T) {
			if s.Err != nil {
				t.Fatal(s.Err)
			}
			check(t, s)
		})
	}
}

// synthesisFailure returns the error of the first scenario of all that did not
// synthesize, or nil. A check that a reviewed table is still in use needs every scenario:
// without one it cannot be made, and it fails with this error (CI never skips it).
func synthesisFailure(all []*synthesis) error {
	for _, s := range all {
		if s.Err != nil {
			return fmt.Errorf("scenario %s did not synthesize: %w", s.Scenario, s.Err)
		}
	}
	return nil
}

func report(t *testing.T, failures, logs []string) {
	t.Helper()
	for _, l := range logs {
		t.Log(l)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// nagProblems returns the AwsSolutions findings on resources the construct created as
// failures, and those on the scenario's scaffolding as logs.
func nagProblems(s *synthesis) (failures, logs []string) {
	if len(s.NagReport) == 0 {
		failures = append(failures, "cdk-nag's report has no row about the stack: the AwsSolutions checks did not run")
	}
	fromMessages := map[string]bool{}
	for _, f := range s.Nag {
		line := fmt.Sprintf("%s [%s] %s: %s", f.Rule, f.Level, f.Path, f.Message)
		if f.Owned {
			failures = append(failures, "unsuppressed finding on the construct: "+line)
		} else {
			logs = append(logs, "finding on the scenario's scaffolding (not the construct's): "+line)
		}
		fromMessages[f.Rule+" "+f.Path] = true
	}
	// Cross-check: what cdk-nag reports as non-compliant is what the messages hold.
	fromReport := map[string]bool{}
	for _, r := range s.NagReport {
		if r.Compliance == "Non-Compliant" && (r.Level == "Error" || r.Level == "Warning") {
			fromReport[r.Rule+" "+r.Path] = true
		}
	}
	for k := range fromReport {
		if !fromMessages[k] {
			failures = append(failures, "cdk-nag's report has a non-compliant finding that the synthesized messages lack: "+k)
		}
	}
	for k := range fromMessages {
		if strings.HasPrefix(k, "AwsSolutions-") && !fromReport[k] {
			failures = append(failures, "the synthesized messages have a finding that cdk-nag's report lacks: "+k)
		}
	}
	sort.Strings(failures)
	sort.Strings(logs)
	return failures, logs
}

// validationProblems returns the findings of CDK's built-in CloudFormation validation.
//
// How they surface: the validator (the "CloudFormation Validate" plugin) runs in
// app.Synth and writes validation-report.json into the assembly. Unless the feature
// flag @aws-cdk/core:validateAgainstDefaultRules is set, it downgrades its errors to
// warnings and marks its report a success, so synthesis does not fail; it only prints
// the report on stderr. The suite therefore reads the report and fails on every
// violation, error or warning, whose check is not switched off, and on every
// acknowledged (suppressed) one whose check is not switched off either. It counts in
// used the findings each switch-off silenced.
func validationProblems(s *synthesis, used map[int]int) (failures, logs []string) {
	if os.Getenv("CDK_VALIDATION") == "false" {
		failures = append(failures, "CDK_VALIDATION=false is set: it switches CDK's built-in CloudFormation validation off, which this suite needs on")
	}
	if s.Validation == nil {
		return append(failures, "the cloud assembly has no "+validationReportFile+": CDK's built-in CloudFormation validation did not run"), logs
	}
	for _, p := range s.Validation.PluginReports {
		if p.Conclusion != "success" && len(p.Violations) == 0 {
			failures = append(failures, fmt.Sprintf("validation plugin %q failed: %v", p.PluginName, p.Metadata))
		}
		for _, v := range p.Violations {
			line := fmt.Sprintf("%s %s [%s] %s: %s", p.PluginName, v.RuleName, v.Severity, v.paths(), v.Description)
			if i := switchedOffFor(s, v.RuleName); i >= 0 {
				used[i]++
				logs = append(logs, "switched off: "+line)
				continue
			}
			failures = append(failures, line)
		}
		for _, v := range p.Suppressed {
			line := fmt.Sprintf("%s %s [%s] %s: %s (acknowledged as %s at %q: %s)", p.PluginName, v.RuleName, v.Severity,
				v.paths(), v.Description, v.AcknowledgedID, v.AcknowledgedAt, v.Reason)
			if i := switchedOffFor(s, v.RuleName); i >= 0 {
				used[i]++
				logs = append(logs, "switched off: "+line)
				continue
			}
			failures = append(failures, "acknowledged, but not switched off in switchedOff (review it): "+line)
		}
	}
	return failures, logs
}

// lintProblems returns cfn-lint's errors and warnings on the template of s; informational
// findings and switched-off checks are logged. It counts in used the findings each
// switch-off silenced.
func lintProblems(s *synthesis, findings []lintFinding, used map[int]int) (failures, logs []string) {
	for _, f := range findings {
		where := f.logicalID()
		if p := pathOf(s.Template, where); p != "" {
			where += " (" + p + ")"
		}
		line := fmt.Sprintf("cfn-lint %s [%s] %s line %d: %s", f.Rule.ID, f.Level, where, f.Location.Start.LineNumber, f.Message)
		if i := switchedOffFor(s, f.Rule.ID); i >= 0 {
			used[i]++
			logs = append(logs, "switched off: "+line)
			continue
		}
		if f.Level != "Error" && f.Level != "Warning" {
			logs = append(logs, line)
			continue
		}
		failures = append(failures, line)
	}
	return failures, logs
}

// suppression is one entry of a resource's cdk_nag metadata.
type suppression struct {
	ID              string `json:"id"`
	Reason          string `json:"reason"`
	AppliesTo       []any  `json:"applies_to"`
	IsReasonEncoded bool   `json:"is_reason_encoded"`
}

// TestSuppressions checks every cdk-nag suppression the construct carries: on a resource
// the construct created, with an AwsSolutions- rule ID, a reason of at least
// minReasonLength characters, and of a kind listed in reviewedSuppressions.
func TestSuppressions(t *testing.T) {
	all := synthesizeAll()
	seen := map[suppressionKind][]string{}
	eachScenario(t, all, func(t *testing.T, s *synthesis) {
		for _, r := range s.Template.All() {
			metadata, _ := r.Raw["Metadata"].(map[string]any)
			nag, ok := metadata[privaterdsapi.NagMetadataKey]
			if !ok {
				continue
			}
			raw, _ := json.Marshal(nag)
			where := fmt.Sprintf("%s %s (%s)", r.Type, r.ID, r.Path())
			var md struct {
				RulesToSuppress []suppression `json:"rules_to_suppress"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields() // cdk-nag ignores what it does not know
			if err := dec.Decode(&md); err != nil || len(md.RulesToSuppress) == 0 {
				t.Errorf("%s: %s metadata is not a non-empty rules_to_suppress list (%v): %s",
					where, privaterdsapi.NagMetadataKey, err, raw)
				continue
			}
			if !s.owned.owns(r.Path()) {
				t.Errorf("%s: carries cdk-nag suppressions, but is not a resource the construct created", where)
			}
			for _, sup := range md.RulesToSuppress {
				reason := sup.Reason
				if sup.IsReasonEncoded {
					b, err := base64.StdEncoding.DecodeString(reason)
					if err != nil {
						t.Errorf("%s: %s: encoded reason is not base64: %v", where, sup.ID, err)
					}
					reason = string(b)
				}
				if !strings.HasPrefix(sup.ID, "AwsSolutions-") {
					t.Errorf("%s: suppression id %q does not start with AwsSolutions-", where, sup.ID)
				}
				if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n < minReasonLength {
					t.Errorf("%s: %s: reason has %d characters, fewer than %d: %q", where, sup.ID, n, minReasonLength, reason)
				}
				if s.Scenario == hardenedScenario && !hardenedSuppressions[sup.ID] {
					t.Errorf("%s: %s is suppressed in the hardened scenario, which must need no exception but the public API", where, sup.ID)
				}
				kind := suppressionKind{sup.ID, r.Type, canonicalJSON(sup.AppliesTo)}
				seen[kind] = appendOnce(seen[kind], s.Scenario)
				if _, ok := reviewedSuppressions[kind]; !ok {
					t.Errorf("%s: suppression not in reviewedSuppressions; review it, then add\n\t%#v: %q,\n(reason: %s)",
						where, kind, "what it is for", reason)
				}
			}
		}
	})
	t.Run("reviewed-table-in-use", func(t *testing.T) {
		if err := synthesisFailure(all); err != nil {
			t.Fatalf("cannot check that every reviewed suppression is still in use: %v", err)
		}
		kinds := make([]suppressionKind, 0, len(reviewedSuppressions))
		for k := range reviewedSuppressions {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(i, j int) bool { return fmt.Sprint(kinds[i]) < fmt.Sprint(kinds[j]) })
		for _, k := range kinds {
			if len(seen[k]) == 0 {
				t.Errorf("reviewedSuppressions lists %+v, which no scenario carries any more: remove it", k)
				continue
			}
			t.Logf("%s on %s %s: %s; in %s", k.Rule, k.ResourceType, k.AppliesTo, reviewedSuppressions[k], strings.Join(seen[k], ", "))
		}
	})
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// canonicalJSON is v as compact JSON with sorted keys and no HTML escaping, or "" when
// v is empty.
func canonicalJSON(v []any) string {
	if len(v) == 0 {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}

// TestValidationFindingsSurface proves the path by which CDK's built-in validation
// reaches the suite: a stack with a resource that lacks a required property synthesizes
// without error (the validator downgrades its errors to warnings), and
// validationProblems reports the finding from validation-report.json.
func TestValidationFindingsSurface(t *testing.T) {
	canary := scenarios.Scenario{Name: "ValidationCanary", Build: func(app awscdk.App) *scenarios.Built {
		s := awscdk.NewStack(app, jsii.String("ValidationCanary"), nil)
		awscdk.NewCfnResource(s, jsii.String("Canary"), &awscdk.CfnResourceProps{
			Type:       jsii.String("AWS::EC2::SecurityGroup"),
			Properties: &map[string]any{"VpcId": "vpc-0a1b2c3d4e5f60718"}, // no GroupDescription
		})
		return &scenarios.Built{Stack: s}
	}}
	s := synthesize(canary)
	if s.Err != nil {
		t.Fatalf("the canary did not synthesize: %v", s.Err)
	}
	failures, _ := validationProblems(s, map[int]int{})
	for _, f := range failures {
		if strings.Contains(f, "GroupDescription") {
			t.Logf("surfaced: %s", f)
			return
		}
	}
	t.Errorf("validationProblems did not report the missing GroupDescription; it reported %q", failures)
}

// TestNagFindingsOnTheConstructFail proves that nagProblems tells the construct's
// findings from the scaffolding's: in the Default scenario, a queue added inside the
// PrivateRdsApi (with cdk-nag findings, such as AwsSolutions-SQS3) fails, and the same
// queue added to the stack is only logged.
func TestNagFindingsOnTheConstructFail(t *testing.T) {
	canary := scenarios.Scenario{Name: "NagCanary", Build: func(app awscdk.App) *scenarios.Built {
		b := scenarios.All()[0].Build(app)
		awssqs.NewQueue(b.Apis[0].Construct, jsii.String("NagCanaryQueue"), nil)
		awssqs.NewQueue(b.Stack, jsii.String("NagCanaryQueue"), nil)
		return b
	}}
	s := synthesize(canary)
	if s.Err != nil {
		t.Fatalf("the canary did not synthesize: %v", s.Err)
	}
	inside := s.StackPath + "/" + *s.Built.Apis[0].Node().Id() + "/NagCanaryQueue/"
	outside := s.StackPath + "/NagCanaryQueue/"
	failures, logs := nagProblems(s)
	if !anyContains(failures, inside) || anyContains(failures, outside) {
		t.Errorf("the findings on %s should fail and those on %s should not; failures: %q", inside, outside, failures)
	}
	if !anyContains(logs, outside) || anyContains(logs, inside) {
		t.Errorf("the findings on %s should be logged and those on %s not; logs: %q", outside, inside, logs)
	}
}

// anyContains says whether some line contains s.
func anyContains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestAnnotationsApiAgrees checks that the AwsSolutions findings the suite reads from the
// stack artifact of its one synthesis are those that
// assertions.Annotations_FromStack(stack).FindError/FindWarning return. Annotations_FromStack
// synthesizes the whole app again (Stage.synth with force: true), which runs cdk-nag
// again, so the suite calls it here only, on the scenario with the most findings.
func TestAnnotationsApiAgrees(t *testing.T) {
	var s *synthesis
	for _, c := range synthesizeAll() {
		if c.Err == nil && (s == nil || len(c.Nag) > len(s.Nag)) {
			s = c
		}
	}
	if s == nil {
		t.Fatal("no scenario synthesized")
	}
	key := func(level, path string, data any) string {
		return fmt.Sprintf("%s|%s|%v", strings.ToLower(level), strings.TrimPrefix(path, "/"), data)
	}
	want := map[string]bool{}
	for _, f := range s.Nag {
		want[key(f.Level, f.Path, f.Data)] = true
	}
	annotations := assertions.Annotations_FromStack(s.Built.Stack)
	match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	got := map[string]bool{}
	for _, m := range append(*annotations.FindError(jsii.String("*"), match), *annotations.FindWarning(jsii.String("*"), match)...) {
		got[key(string(m.Level), *m.Id, m.Entry.Data)] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s: read from the assembly, but not returned by Annotations_FromStack: %s", s.Scenario, k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s: returned by Annotations_FromStack, but not read from the assembly: %s", s.Scenario, k)
		}
	}
	t.Logf("%s: %d findings, the same both ways", s.Scenario, len(want))
}
