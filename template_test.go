package privaterdsapi_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi/internal/cfntemplate"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// synthesized is one scenario, synthesized once per test binary and shared by every
// test that asserts on it.
type synthesized struct {
	name  string
	built *scenarios.Built
	tpl   assertions.Template
	json  map[string]any
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// scenario returns the synthesized template of the named scenario.
func scenario(t testing.TB, name string) *synthesized {
	t.Helper()
	for _, sc := range scenarios.All() {
		if sc.Name == name {
			return cached(t, name, sc.Build)
		}
	}
	t.Fatalf("no scenario %q", name)
	return nil
}

// cached returns the template of the stack that build makes in a new app (the built-in
// CloudFormation validator on), synthesized once per test binary under name.
func cached(t testing.TB, name string, build func(app awscdk.App) *scenarios.Built) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[name]; ok {
		return s
	}
	s := synthesize(t, name, build(awscdk.NewApp(nil)))
	synthCache[name] = s
	return s
}

// synthesize returns the template of built's stack (synthesizing its app if it has not
// been), parsed.
func synthesize(t testing.TB, name string, built *scenarios.Built) *synthesized {
	t.Helper()
	tpl := assertions.Template_FromStack(built.Stack, nil)
	parsed, err := cfntemplate.From(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	return &synthesized{name: name, built: built, tpl: tpl, json: parsed}
}

func allScenarios(t testing.TB) []*synthesized {
	var out []*synthesized
	for _, sc := range scenarios.All() {
		out = append(out, scenario(t, sc.Name))
	}
	return out
}

// resource is a template resource with its logical id.
type resource struct {
	id    string
	props map[string]any
	raw   map[string]any
}

// template is the scenario's template, for the shared reader.
func (s *synthesized) template() cfntemplate.Template { return cfntemplate.Template(s.json) }

// resources returns the resources of a type, sorted by logical id.
func (s *synthesized) resources(typ string) []resource {
	var out []resource
	for _, r := range s.template().Resources(typ) {
		out = append(out, resource{r.ID, r.Props, r.Raw})
	}
	return out
}

// only returns the single resource of a type whose logical id starts with prefix.
func (s *synthesized) only(t *testing.T, typ, prefix string) resource {
	t.Helper()
	r, err := s.template().Only(typ, prefix)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	return resource{r.ID, r.Props, r.Raw}
}

// has asserts, with the CDK assertions package, that a resource of typ has props
// (matched as an object-like subset).
func (s *synthesized) has(t *testing.T, typ string, props any) {
	t.Helper()
	if err := catch(func() { s.tpl.HasResourceProperties(jsii.String(typ), props) }); err != nil {
		t.Errorf("%s: %s", s.name, err)
	}
}

// count asserts the number of resources of typ.
func (s *synthesized) count(t *testing.T, typ string, n int) {
	t.Helper()
	if err := catch(func() { s.tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) }); err != nil {
		t.Errorf("%s: %s", s.name, err)
	}
}

// catch runs f and returns the error it panicked with (or the panic value as an error),
// or nil.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// ref names what a CloudFormation value points at: the logical id of a Ref, "id.Attr"
// of a GetAtt, the literal string, or the value's JSON.
func ref(v any) string { return cfntemplate.Ref(v) }

// rule is one security group rule, normalized from inline and standalone forms.
type rule struct {
	group, peer, proto string
	from, to           string
	description        string
}

func (r rule) String() string {
	return fmt.Sprintf("%s %s:%s-%s peer=%s", r.group, r.proto, r.from, r.to, r.peer)
}

// ruleOf reads the rule m (inline, or a standalone rule's properties) on group.
func ruleOf(group string, m map[string]any) rule { return ruleFrom(cfntemplate.RuleOf(group, m)) }

func ruleFrom(r cfntemplate.Rule) rule {
	return rule{group: r.Group, peer: r.Peer, proto: r.Proto, from: r.From, to: r.To, description: r.Description}
}

func sortStrings(v []string) { sort.Strings(v) }

// rules returns every ingress and egress rule in the template.
func (s *synthesized) rules() (ingress, egress []rule) {
	in, out := s.template().Rules()
	for _, r := range in {
		ingress = append(ingress, ruleFrom(r))
	}
	for _, r := range out {
		egress = append(egress, ruleFrom(r))
	}
	return ingress, egress
}

func rulesOf(rules []rule, group string) []string {
	var out []string
	for _, r := range rules {
		if r.group == group {
			out = append(out, fmt.Sprintf("%s:%s-%s from/to %s", r.proto, r.from, r.to, r.peer))
		}
	}
	sort.Strings(out)
	return out
}

// methods returns every API Gateway method of the template by "<rest api id> <path>
// <http method>", the path read from the method's ResourceId: "/" for the root resource,
// else the PathPart of each AWS::ApiGateway::Resource up to the root.
func (s *synthesized) methods(t *testing.T) map[string]resource {
	t.Helper()
	var pathOf func(id any) string
	pathOf = func(id any) string {
		if g, ok := id.(map[string]any)["Fn::GetAtt"].([]any); ok && g[1] == "RootResourceId" {
			return ""
		}
		r, ok := s.template().Resource(ref(id))
		if !ok {
			t.Fatalf("%s: method on an unknown resource %v", s.name, id)
		}
		return pathOf(r.Props["ParentId"]) + "/" + fmt.Sprint(r.Props["PathPart"])
	}
	out := map[string]resource{}
	for _, m := range s.resources("AWS::ApiGateway::Method") {
		path := pathOf(m.props["ResourceId"])
		if path == "" {
			path = "/"
		}
		out[ref(m.props["RestApiId"])+" "+path+" "+fmt.Sprint(m.props["HttpMethod"])] = m
	}
	return out
}

// everyMethod asserts that the template has methods and that each one has the property
// key set to want (compared as JSON), naming the method that does not.
func (s *synthesized) everyMethod(t *testing.T, key string, want any) {
	t.Helper()
	for _, p := range s.methodProblems(t, key, want) {
		t.Errorf("%s: %s", s.name, p)
	}
}

// methodProblems lists the methods whose property key is not want, or "no API Gateway
// method".
func (s *synthesized) methodProblems(t *testing.T, key string, want any) []string {
	t.Helper()
	methods := s.methods(t)
	if len(methods) == 0 {
		return []string{"no API Gateway method"}
	}
	var out []string
	for name, m := range methods {
		if got := mustJSON(m.props[key]); got != mustJSON(want) {
			out = append(out, fmt.Sprintf("method %s (%s): %s = %s, want %s", name, m.id, key, got, mustJSON(want)))
		}
	}
	sort.Strings(out)
	return out
}

// paths returns the "<path> <http method>" of every method, sorted.
func (s *synthesized) paths(t *testing.T) []string {
	var out []string
	for name := range s.methods(t) {
		out = append(out, name[strings.Index(name, " ")+1:])
	}
	sort.Strings(out)
	return out
}

// hasRule asserts that the rules (ingress or egress, from s.rules) hold one on group for
// tcp port from/to peer: group and peer as ref gives them (logical id + ".GroupId", an
// imported id, a CIDR).
func hasRule(t *testing.T, s *synthesized, rules []rule, group, port, peer string) {
	t.Helper()
	want := "tcp:" + port + "-" + port + " from/to " + peer
	if !contains(rulesOf(rules, group), want) {
		t.Errorf("%s: no rule %s on %s; its rules: %v", s.name, want, group, rulesOf(rules, group))
	}
}

// statement is one IAM policy statement with the resource (role, policy or key) it is in.
type statement struct {
	in string
	st map[string]any
}

// policyStatements returns every statement of every identity policy of the template: the
// AWS::IAM::Policy and AWS::IAM::ManagedPolicy documents and the inline Policies of each
// AWS::IAM::Role, whichever role they are attached to.
func (s *synthesized) policyStatements() []statement {
	var out []statement
	add := func(in string, doc any) {
		d, _ := doc.(map[string]any)
		for _, st := range asList(d["Statement"]) {
			out = append(out, statement{in, st})
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, p := range s.resources(typ) {
			add(p.id, p.props["PolicyDocument"])
		}
	}
	for _, r := range s.resources("AWS::IAM::Role") {
		for _, p := range asList(r.props["Policies"]) {
			add(r.id+"."+fmt.Sprint(p["PolicyName"]), p["PolicyDocument"])
		}
	}
	return out
}

// wildcards returns the values of v (a string, a list, an Fn::Join of literal strings)
// that are or contain "*" once resolved: a ["*"] list or {"Fn::Join": ["", ["*"]]} is a
// wildcard as much as "*" is.
func wildcards(v any) []string {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, "*") {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, wildcards(e)...)
		}
		return out
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range asAny(j[1]) {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				} else {
					parts = append(parts, "${token}")
				}
			}
			if joined := strings.Join(parts, fmt.Sprint(j[0])); strings.Contains(joined, "*") {
				return []string{joined}
			}
		}
	}
	return nil
}

func asAny(v any) []any { return cfntemplate.List(v) }

// fromJSON is a template given as JSON, for checking that an assertion fails on a
// broken template.
func fromJSON(t testing.TB, name string, tpl map[string]any) *synthesized {
	t.Helper()
	parsed, err := cfntemplate.From(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return &synthesized{name: name, json: parsed}
}
