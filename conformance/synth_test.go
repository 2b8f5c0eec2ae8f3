package conformance

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/cfntemplate"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// This file synthesizes the scenarios, once each, and reads what the checks need from
// the cloud assembly. The checks themselves are in conformance_test.go.

// pathMetadataContext makes CDK write each resource's construct path into its template
// metadata (aws:cdk:path), as `cdk synth` does by default. The suite maps cfn-lint's
// and the validator's logical IDs, and the owners of security group rules, through it.
const pathMetadataContext = "aws:cdk:enable-path-metadata"

// validationReportFile is where CDK's built-in CloudFormation validation writes its
// findings, in the assembly directory (cx-api's VALIDATION_REPORT_FILE). It is written
// whenever a validation plugin ran, even with no finding.
const validationReportFile = "validation-report.json"

var (
	// workDir holds every cloud assembly and the cfn-lint inputs; TestMain removes it
	// unless CONFORMANCE_KEEP is set.
	workDir string
	// cache holds each scenario's synthesis, so that every test reads the one synthesis
	// of a scenario. Tests do not run in parallel (jsii is not thread-safe).
	cache = map[string]*synthesis{}
)

// synthesis is what one synthesis of a scenario produced.
type synthesis struct {
	Scenario    string
	Built       *scenarios.Built
	StackPath   string
	EnvSpecific bool // the stack has a concrete account and region
	Duration    time.Duration

	AssemblyDir  string
	TemplateFile string // the stack's template in the assembly
	Template     template

	// Nag are the AwsSolutions errors and warnings on the stack.
	Nag []nagFinding
	// NagReport are the rows of cdk-nag's own CSV report for the stack: proof that the
	// checks ran, and a cross-check of Nag.
	NagReport []nagReportRow
	// Validation is validation-report.json; nil when it is missing, that is when no
	// validation ran.
	Validation *validationReport

	owned ownership
	// Err is set when building or synthesizing the scenario failed.
	Err error
}

// template is a synthesized template, read with the shared reader.
type template = cfntemplate.Template

// pathOf is the construct path of the resource with logicalID, or "" when there is none.
func pathOf(t template, logicalID string) string {
	r, _ := t.Resource(logicalID)
	return r.Path()
}

// nagFinding is one AwsSolutions annotation that cdk-nag left on the stack.
type nagFinding struct {
	Level   string // "error" or "warning"
	Rule    string // such as AwsSolutions-IAM5, or CdkNagValidationFailure
	Path    string // construct path, without the leading "/"
	Message string
	Data    string // the annotation as cdk-nag wrote it
	Owned   bool   // on a resource the construct created
}

// nagReportRow is one line of cdk-nag's CSV report.
type nagReportRow struct {
	Rule, Path, Compliance, Level string
}

// validationReport is the part of validation-report.json the suite reads.
type validationReport struct {
	PluginReports []struct {
		PluginName string                `json:"pluginName"`
		Conclusion string                `json:"conclusion"`
		Metadata   map[string]any        `json:"metadata"`
		Violations []validationViolation `json:"violations"`
		Suppressed []validationViolation `json:"suppressedViolations"`
	} `json:"pluginReports"`
}

type validationViolation struct {
	RuleName            string `json:"ruleName"`
	Description         string `json:"description"`
	Severity            string `json:"severity"`
	ViolatingConstructs []struct {
		ConstructPath string `json:"constructPath"`
	} `json:"violatingConstructs"`
	// Set on suppressed violations only.
	AcknowledgedID string `json:"acknowledgedId"`
	Reason         string `json:"reason"`
	AcknowledgedAt string `json:"acknowledgedAt"`
}

func (v validationViolation) paths() string {
	var ps []string
	for _, c := range v.ViolatingConstructs {
		ps = append(ps, c.ConstructPath)
	}
	return strings.Join(ps, ", ")
}

// awsSolutions is the pattern of the findings collected, as with
// assertions.Annotations_FromStack(stack).FindError("*",
// assertions.Match_StringLikeRegexp("AwsSolutions-.*")). Unanchored, like the matcher: it
// also catches cdk-nag's CdkNagValidationFailure warnings, which name the AwsSolutions
// rule that could not be evaluated.
var awsSolutions = regexp.MustCompile(`AwsSolutions-.*`)

// ruleOf is the rule ID at the start of a cdk-nag message ("AwsSolutions-IAM5: ...", or
// with the finding of a granular rule: "AwsSolutions-IAM5[Resource::*]: ...").
var ruleOf = regexp.MustCompile(`^([A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\[[^\]]*\])?:`)

// newApp is the app of every synthesis of the suite: the assembly goes to outdir, the
// template carries construct paths, and CDK's built-in CloudFormation validation is on
// (its default, stated here so that a change of default cannot turn it off unnoticed).
func newApp(outdir string) awscdk.App {
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir:                          jsii.String(outdir),
		Context:                         &map[string]any{pathMetadataContext: true},
		BuiltinCloudFormationValidation: jsii.Bool(true),
	})
}

// synthesized returns the synthesis of sc, synthesizing it on first use.
func synthesized(sc scenarios.Scenario) *synthesis {
	if s, ok := cache[sc.Name]; ok {
		return s
	}
	s := synthesize(sc)
	cache[sc.Name] = s
	return s
}

// synthesizeAll returns the synthesis of every scenario, in the order of scenarios.All.
func synthesizeAll() []*synthesis {
	var out []*synthesis
	for _, sc := range scenarios.All() {
		out = append(out, synthesized(sc))
	}
	return out
}

// synthesize builds sc in a fresh app, applies the AwsSolutions checks and synthesizes
// the app once. A panic (a construct's validation error, a jsii error) becomes s.Err.
func synthesize(sc scenarios.Scenario) (s *synthesis) {
	s = &synthesis{Scenario: sc.Name, AssemblyDir: filepath.Join(workDir, "assembly-"+sc.Name)}
	defer func() {
		if r := recover(); r != nil {
			s.Err = fmt.Errorf("building or synthesizing scenario %s panicked: %v", sc.Name, r)
		}
	}()
	start := time.Now()
	app := newApp(s.AssemblyDir)
	s.Built = sc.Build(app)
	stack := s.Built.Stack
	s.StackPath = *stack.Node().Path()
	s.EnvSpecific = !*awscdk.Token_IsUnresolved(stack.Account()) && !*awscdk.Token_IsUnresolved(stack.Region())
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	assembly := app.Synth(nil) // the one synthesis of this scenario
	s.Duration = time.Since(start)
	artifact := assembly.GetStackByName(stack.StackName())
	s.TemplateFile = *artifact.TemplateFullPath()
	raw, err := os.ReadFile(s.TemplateFile)
	if err != nil {
		s.Err = err
		return s
	}
	if err := json.Unmarshal(raw, &s.Template); err != nil {
		s.Err = fmt.Errorf("template %s: %w", s.TemplateFile, err)
		return s
	}
	s.owned = ownershipOf(s.Built, s.Template)

	// The messages of the stack artifact are what Annotations_FromStack reads; it would
	// synthesize the app again to get them (TestAnnotationsApiAgrees checks that both
	// agree).
	for _, m := range *artifact.Messages() {
		level := strings.ToLower(string(m.Level))
		data, _ := m.Entry.Data.(string)
		if (level != "error" && level != "warning") || !awsSolutions.MatchString(data) {
			continue
		}
		f := nagFinding{Level: level, Path: strings.TrimPrefix(*m.Id, "/"), Message: data, Data: data, Rule: "?"}
		if g := ruleOf.FindStringSubmatch(data); g != nil {
			f.Rule = g[1]
			f.Message = strings.TrimSpace(strings.TrimPrefix(data, g[0]))
		}
		f.Owned = s.owned.owns(f.Path)
		s.Nag = append(s.Nag, f)
	}

	if s.NagReport, err = readNagReport(s.AssemblyDir, s.StackPath); err != nil {
		s.Err = err
		return s
	}
	if s.Validation, err = readValidationReport(s.AssemblyDir); err != nil {
		s.Err = err
	}
	return s
}

// readNagReport reads the rows of cdk-nag's CSV reports in dir that are about the stack
// at stackPath.
func readNagReport(dir, stackPath string) ([]nagReportRow, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "AwsSolutions-*NagReport.csv"))
	var rows []nagReportRow
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		records, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("cdk-nag report %s: %w", f, err)
		}
		for i, r := range records {
			if i == 0 || len(r) < 5 || !strings.HasPrefix(r[1], stackPath+"/") {
				continue // the header, or another stack
			}
			rows = append(rows, nagReportRow{Rule: r[0], Path: r[1], Compliance: r[2], Level: r[4]})
		}
	}
	return rows, nil
}

func readValidationReport(dir string) (*validationReport, error) {
	raw, err := os.ReadFile(filepath.Join(dir, validationReportFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r validationReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", validationReportFile, err)
	}
	return &r, nil
}

// ownership says which resources the construct created. It owns:
//   - the subtree of every PrivateRdsApi of the scenario;
//   - the constructs it shares per stack or per VPC, which it creates directly under the
//     stack: privaterdsapi.AccountRoleId ("PrivateRdsApiGatewayAccount") and
//     privaterdsapi.EndpointsId + "-..." ("PrivateRdsApiEndpoints-...");
//   - the IsolatedVpc a scenario made with privaterdsapi.NewIsolatedVpc and passed as Vpc
//     (recognised as the parent construct, not the stack, of the API's VPC that holds it
//     as "Vpc" next to a "FlowLogGroup", as NewIsolatedVpc builds it);
//   - the security group rules it writes onto security groups it did not create (the
//     database's, the existing endpoints'): AWS::EC2::SecurityGroupIngress and Egress
//     resources, wherever CDK puts them, whose peer group is one of the construct's.
//
// Everything else, such as the RDS instance, its secret and its subnet group, is the
// scenario's scaffolding.
type ownership struct {
	subtrees  []string
	resources map[string]bool // construct paths of owned resources outside subtrees
}

func (o ownership) inSubtree(path string) bool {
	for _, p := range o.subtrees {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

func (o ownership) owns(path string) bool {
	return o.inSubtree(path) || o.resources[path]
}

func ownershipOf(b *scenarios.Built, t template) ownership {
	o := ownership{resources: map[string]bool{}}
	add := func(path string) {
		if !o.inSubtree(path) {
			o.subtrees = append(o.subtrees, path)
		}
	}
	stackPath := *b.Stack.Node().Path()
	for _, api := range b.Apis {
		add(*api.Node().Path())
		if v := isolatedVpcOf(api); v != "" {
			add(v)
		}
	}
	for _, c := range *b.Stack.Node().Children() {
		id := *c.Node().Id()
		if id == privaterdsapi.AccountRoleId || strings.HasPrefix(id, privaterdsapi.EndpointsId+"-") {
			add(stackPath + "/" + id)
		}
	}
	for _, r := range t.All() {
		if (r.Type != "AWS::EC2::SecurityGroupIngress" && r.Type != "AWS::EC2::SecurityGroupEgress") || o.inSubtree(r.Path()) {
			continue
		}
		for _, key := range []string{"SourceSecurityGroupId", "DestinationSecurityGroupId"} {
			if peer := cfntemplate.GetAttTarget(r.Props[key]); peer != "" && o.inSubtree(pathOf(t, peer)) {
				o.resources[r.Path()] = true
			}
		}
	}
	return o
}

// isolatedVpcOf returns the path of the IsolatedVpc that holds api's VPC, or "".
func isolatedVpcOf(api *privaterdsapi.PrivateRdsApi) string {
	if api.FlowLog != nil {
		return "" // the construct's own IsolatedVpc, inside its subtree
	}
	var scope constructs.IConstruct = api.Vpc.Node().Scope()
	if scope == nil || *awscdk.Stack_IsStack(scope) {
		return ""
	}
	vpc := scope.Node().TryFindChild(jsii.String("Vpc"))
	if vpc == nil || scope.Node().TryFindChild(jsii.String("FlowLogGroup")) == nil ||
		*vpc.Node().Path() != *api.Vpc.Node().Path() {
		return ""
	}
	return *scope.Node().Path()
}
