// Package cfntemplate reads a synthesized CloudFormation template for tests: resources by
// type, their properties, what a value refers to, security group rules by port and peer,
// and DependsOn. It is the one template reader of the library's tests, the conformance
// suite and the example (their modules import it through their replace directives).
//
// It works on the JSON form of a template (map[string]any, as encoding/json decodes it)
// and needs no jsii runtime.
package cfntemplate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Template is a CloudFormation template as encoding/json decodes it.
type Template map[string]any

// Parse decodes a template from JSON.
func Parse(b []byte) (Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("cfntemplate: %v", err)
	}
	return t, nil
}

// From converts v (a template as any JSON-marshalable value, such as what
// assertions.Template.ToJSON or a stack artifact's Template returns) to a Template, by a
// JSON round trip: the result shares nothing with v.
func From(v any) (Template, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cfntemplate: %v", err)
	}
	return Parse(b)
}

// Resource is one resource of a template.
type Resource struct {
	// ID is the logical id.
	ID string
	// Type is the resource type, such as AWS::EC2::SecurityGroup.
	Type string
	// Props are the Properties (nil when the resource has none).
	Props map[string]any
	// Raw is the whole resource: Type, Properties, DependsOn, Metadata, policies.
	Raw map[string]any
}

// DependsOn returns the logical ids the resource depends on (a string or a list).
func (r Resource) DependsOn() []string {
	if s, ok := r.Raw["DependsOn"].(string); ok {
		return []string{s}
	}
	return Strings(r.Raw["DependsOn"])
}

// Path returns the resource's construct path (its aws:cdk:path metadata), or "".
func (r Resource) Path() string {
	md, _ := r.Raw["Metadata"].(map[string]any)
	p, _ := md["aws:cdk:path"].(string)
	return p
}

// All returns every resource, sorted by logical id.
func (t Template) All() []Resource {
	all, _ := t["Resources"].(map[string]any)
	out := make([]Resource, 0, len(all))
	for id, r := range all {
		raw, _ := r.(map[string]any)
		typ, _ := raw["Type"].(string)
		props, _ := raw["Properties"].(map[string]any)
		out = append(out, Resource{ID: id, Type: typ, Props: props, Raw: raw})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Resources returns the resources of type typ, sorted by logical id.
func (t Template) Resources(typ string) []Resource {
	var out []Resource
	for _, r := range t.All() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Resource returns the resource with logical id id.
func (t Template) Resource(id string) (Resource, bool) {
	all, _ := t["Resources"].(map[string]any)
	raw, ok := all[id].(map[string]any)
	if !ok {
		return Resource{}, false
	}
	typ, _ := raw["Type"].(string)
	props, _ := raw["Properties"].(map[string]any)
	return Resource{ID: id, Type: typ, Props: props, Raw: raw}, true
}

// Only returns the one resource of type typ whose logical id starts with prefix ("" for
// any), or an error that says how many there are.
func (t Template) Only(typ, prefix string) (Resource, error) {
	var found []Resource
	for _, r := range t.Resources(typ) {
		if strings.HasPrefix(r.ID, prefix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return Resource{}, fmt.Errorf("want one %s with id prefix %q, found %d", typ, prefix, len(found))
	}
	return found[0], nil
}

// Ref names what a value points at: the logical id of a Ref, "id.Attribute" of a GetAtt,
// the string itself, or else the value's JSON.
func Ref(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			return r
		}
		if a := GetAtt(x); a != "" {
			return a
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// RefID returns the logical id of {"Ref": id}, and "" for anything else.
func RefID(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// GetAtt returns "id.Attribute" of {"Fn::GetAtt": [id, attribute]}, and "" for anything
// else.
func GetAtt(v any) string {
	m, _ := v.(map[string]any)
	a, _ := m["Fn::GetAtt"].([]any)
	if len(a) != 2 {
		return ""
	}
	id, _ := a[0].(string)
	attr, _ := a[1].(string)
	return id + "." + attr
}

// GetAttTarget returns the logical id of {"Fn::GetAtt": [id, ...]}, and "" for anything
// else.
func GetAttTarget(v any) string {
	m, _ := v.(map[string]any)
	a, _ := m["Fn::GetAtt"].([]any)
	if len(a) == 0 {
		return ""
	}
	id, _ := a[0].(string)
	return id
}

// List returns v as a list, nil when it is not one.
func List(v any) []any { l, _ := v.([]any); return l }

// Maps returns the objects of the list v.
func Maps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range List(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Strings returns the strings of the list v.
func Strings(v any) []string {
	var out []string
	for _, x := range List(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Rule is one security group rule, read from an inline rule of an
// AWS::EC2::SecurityGroup or from a standalone AWS::EC2::SecurityGroupIngress or
// SecurityGroupEgress; each field as Ref names it (a group is "<logical id>.GroupId" when
// the group is in the template).
type Rule struct {
	// Group is the security group the rule is on.
	Group string
	// Peer is the source (ingress) or destination (egress): a group, a CIDR, a prefix list.
	Peer string
	// Proto, From and To are the IP protocol and port range.
	Proto, From, To string
	// Description is the rule's description: for reading, not for finding a rule.
	Description string
	// ID is the logical id of a standalone rule, "" for an inline one.
	ID string
}

// String is "<proto>:<from>-<to> from/to <peer>", the form of RulesOf.
func (r Rule) String() string {
	return fmt.Sprintf("%s:%s-%s from/to %s", r.Proto, r.From, r.To, r.Peer)
}

// Is says whether the rule is on group, for protocol tcp, on exactly port, with peer.
func (r Rule) Is(group, port, peer string) bool {
	return r.Group == group && r.Proto == "tcp" && r.From == port && r.To == port && r.Peer == peer
}

var peerKeys = []string{"SourceSecurityGroupId", "DestinationSecurityGroupId", "CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"}

// RuleOf reads the rule m (an inline rule or a standalone rule's Properties) on group.
func RuleOf(group string, m map[string]any) Rule {
	peer := "?"
	for _, k := range peerKeys {
		if v, ok := m[k]; ok {
			peer = Ref(v)
			break
		}
	}
	desc, _ := m["Description"].(string)
	return Rule{Group: group, Peer: peer, Proto: Ref(m["IpProtocol"]), From: Ref(m["FromPort"]), To: Ref(m["ToPort"]), Description: desc}
}

// Rules returns every ingress and egress rule of the template, inline ones first.
func (t Template) Rules() (ingress, egress []Rule) {
	for _, sg := range t.Resources("AWS::EC2::SecurityGroup") {
		for _, m := range Maps(sg.Props["SecurityGroupIngress"]) {
			ingress = append(ingress, RuleOf(sg.ID+".GroupId", m))
		}
		for _, m := range Maps(sg.Props["SecurityGroupEgress"]) {
			egress = append(egress, RuleOf(sg.ID+".GroupId", m))
		}
	}
	for _, r := range t.Resources("AWS::EC2::SecurityGroupIngress") {
		rule := RuleOf(Ref(r.Props["GroupId"]), r.Props)
		rule.ID = r.ID
		ingress = append(ingress, rule)
	}
	for _, r := range t.Resources("AWS::EC2::SecurityGroupEgress") {
		rule := RuleOf(Ref(r.Props["GroupId"]), r.Props)
		rule.ID = r.ID
		egress = append(egress, rule)
	}
	return ingress, egress
}

// RulesOf returns the rules on group, each as Rule.String gives it, sorted.
func RulesOf(rules []Rule, group string) []string {
	var out []string
	for _, r := range rules {
		if r.Group == group {
			out = append(out, r.String())
		}
	}
	sort.Strings(out)
	return out
}
