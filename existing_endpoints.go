package privaterdsapi

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// This file is the VPC's endpoints that the construct did not create: those made
// elsewhere in the app, found by reading the construct tree (appScan) and reused, and the
// checks at synthesis of endpoints that would clash with the construct's (made after it,
// in another stack, or declared with ExistingEndpoints). endpoints.go creates and shares
// the construct's own.

// appScan is what the construct tree of an app holds that the endpoints care about: the
// sets of endpoints of the PrivateRdsApi constructs and the AWS::EC2::VPCEndpoint
// resources made outside them, in tree order.
type appScan struct {
	sets      []*PrivateEndpoints
	endpoints []awsec2.CfnVPCEndpoint
}

// scanApp reads the app of scope. Each construct jsii hands to Go stays in its object
// store for the process's life, so the construct's own parts are not read: a set of
// endpoints is kept as a set, an account role skipped, and of a PrivateRdsApi only the
// VPC it created (where a user may add endpoints) is read; the rest of the tree is read
// one subtree at a time, its Go types telling the rest.
func scanApp(scope constructs.IConstruct) appScan {
	var s appScan
	s.children(scope.Node().Root())
	return s
}

// children reads the children of scope, a stage or a stack, one by one.
func (s *appScan) children(scope constructs.IConstruct) {
	for _, c := range *scope.Node().Children() {
		switch x := c.(type) {
		case *PrivateEndpoints:
			s.sets = append(s.sets, x)
		case *ApiGatewayAccountRole:
		case *PrivateRdsApi:
			if x.FlowLog != nil { // the construct created the VPC
				s.subtree(x.Vpc)
			}
		case awscdk.Stack, awscdk.Stage:
			s.children(x)
		case awsec2.CfnVPCEndpoint:
			s.endpoints = append(s.endpoints, x)
		case awscdk.CfnElement: // a parameter, output or resource: no endpoints below it
		default:
			s.subtree(c)
		}
	}
}

// subtree reads every construct under c, with one jsii call.
func (s *appScan) subtree(c constructs.IConstruct) {
	for _, x := range *c.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch y := x.(type) {
		case *PrivateEndpoints:
			s.sets = append(s.sets, y)
		case awsec2.CfnVPCEndpoint:
			s.endpoints = append(s.endpoints, y)
		}
	}
}

// onlyOwn says whether every endpoint of the app is one of the sets', known from their
// numbers with no jsii call.
func (s appScan) onlyOwn() bool {
	own := 0
	for _, e := range s.sets {
		own += len(e.Interfaces)
		if e.S3 != nil {
			own++
		}
	}
	return own == len(s.endpoints)
}

// setsOf returns the sets of endpoints of vpc (known by identity, or by the object for a
// VPC the construct created): own is the set in the stack at stackPath, first the app's
// first set in tree order; nil when there is none.
func (s appScan) setsOf(vpc awsec2.IVpc, identity, stackPath string) (own, first *PrivateEndpoints) {
	for _, e := range s.sets {
		if !sameObject(e.vpc, vpc) && (e.identity == "" || e.identity != identity) {
			continue
		}
		if first == nil {
			first = e
		}
		if own == nil && (e.stackPath == stackPath || sameObject(e.vpc, vpc)) {
			own = e
		}
	}
	return own, first
}

// checkEndpointsInTwoStacks reports, at synthesis, when the construct's set of endpoints
// and the set of the same VPC (by its literal ID) in another stack both have an
// interface endpoint for one service, or both an S3 gateway endpoint: a second endpoint
// with private DNS for a service, or a second S3 route on a route table, fails to
// deploy. Sets in two stacks that share nothing are fine.
func (srv *ApiService) checkEndpointsInTwoStacks() []PropError {
	e, other := srv.api.Endpoints, srv.otherStackEndpoints
	if e == nil || other == nil {
		return nil
	}
	var both []string
	for _, name := range slices.Sorted(maps.Keys(e.Interfaces)) {
		if other.Interfaces[name] != nil {
			both = append(both, name)
		}
	}
	if e.S3 != nil && other.S3 != nil {
		both = append(both, "the S3 gateway")
	}
	if len(both) == 0 {
		return nil
	}
	return []PropError{{ProblemEndpointsInTwoStacks, "Vpc and ExistingEndpoints", fmt.Sprintf(
		"VPC %s gets the privaterdsapi endpoints %s both in stack %s and in stack %s, which fails to deploy (private DNS for a service exists once per VPC, an S3 gateway once per route table). "+
			"Create the APIs of this VPC in one stack, or give the APIs in %s ExistingEndpoints{SecurityGroups: the SecurityGroup of EndpointsOf(vpc) in %s, Services: the services of its Interfaces (%s)}, so that they create only the others",
		other.literal, strings.Join(both, ", "), other.stackPath, e.stackPath, e.stackPath, other.stackPath, strings.Join(slices.Sorted(maps.Keys(other.Interfaces)), ", "))}}
}

// reportCreatedEndpoints says, as information at synthesis, which endpoints the
// construct creates in an imported VPC (one without a CfnVPC in the app): endpoints the
// VPC has from outside the app are invisible here, and a second one fails the deploy.
func (srv *ApiService) reportCreatedEndpoints(p *settings, e *PrivateEndpoints, created []endpointService) {
	a := srv.api
	if p.vpc == nil || e == nil || (len(created) == 0 && e.S3 == nil) || a.Vpc.Node().DefaultChild() != nil {
		return
	}
	var names []string
	for _, svc := range created {
		names = append(names, svc.name)
	}
	if e.S3 != nil {
		names = append(names, "the S3 gateway")
	}
	awscdk.Annotations_Of(srv.Construct).AddInfo(jsii.String(fmt.Sprintf(
		"privaterdsapi creates the VPC endpoints %s in the imported VPC %s. If the VPC already has any of them from outside this app (the console, another tool), the deploy fails (a conflicting private DNS domain, or RouteAlreadyExists for S3): declare those with ExistingEndpoints (Services, S3GatewayEndpoint, SecurityGroups), and the construct creates only the others.",
		strings.Join(names, ", "), *a.Vpc.Node().Path())))
}

// coveredRouteTables are the route tables that an S3 gateway endpoint of found has, by
// ID as the template has them; a gateway whose route tables cannot be read is warned
// about.
func (srv *ApiService) coveredRouteTables(found []vpcEndpoint) map[string]bool {
	covered := map[string]bool{}
	for _, ep := range found {
		if !ep.gateway || !strings.HasSuffix(ep.service, ".s3") {
			continue
		}
		if ep.routeTables == nil {
			warn(srv.Construct, "privaterdsapi:s3RouteTables", fmt.Sprintf(
				"cannot read the route tables of the VPC's S3 gateway endpoint %s, so the construct puts its own S3 gateway endpoint on the tasks' route tables; where both are on one route table the deploy fails (RouteAlreadyExists). "+
					"Give that endpoint RouteTableIds as a list of IDs, or declare it with ExistingEndpoints", ep.path))
			continue
		}
		for _, id := range ep.routeTables {
			covered[id] = true
		}
	}
	return covered
}

// connectReused gives the tasks HTTPS to a reused interface endpoint's security groups,
// rules on both sides, and returns the groups (the ingress rule is written under the group
// when it is in the tasks' stack, and the service waits for it). imported are the group
// IDs already imported for raw endpoints.
func (srv *ApiService) connectReused(ep vpcEndpoint, https awsec2.Port, imported map[string]bool) []constructs.IDependable {
	const description = "HTTPS to the VPC's existing interface endpoints"
	var deps []constructs.IDependable
	if l2, ok := ep.cfn.Node().Scope().(awsec2.InterfaceVpcEndpoint); ok {
		srv.connections.AllowTo(l2, https, jsii.String(description))
		for _, sg := range *l2.Connections().SecurityGroups() {
			deps = append(deps, sg)
		}
		return deps
	}
	ids := ep.cfn.SecurityGroupIds()
	if ids == nil || len(*ids) == 0 {
		warn(srv.Construct, "privaterdsapi:endpointSecurityGroup", fmt.Sprintf(
			"the VPC's interface endpoint %s has no SecurityGroupIds, so it has the VPC's default security group, which admits only its own members: the tasks get HTTPS egress to the VPC's CIDR block, but no rule lets them in. Give the endpoint a security group", ep.path))
		if hasCidr(srv.api.Vpc) {
			srv.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_Ipv4(srv.api.Vpc.VpcCidrBlock()), https, jsii.String(description), nil)
		}
		return nil
	}
	for _, id := range *ids {
		if imported[*id] {
			continue
		}
		imported[*id] = true
		sg := awsec2.SecurityGroup_FromSecurityGroupId(srv.Construct, jsii.String(fmt.Sprintf("ReusedEndpointSecurityGroup%d", len(imported))), id,
			&awsec2.SecurityGroupImportOptions{AllowAllOutbound: jsii.Bool(false)})
		srv.connections.AllowTo(sg, https, jsii.String(description))
		deps = append(deps, sg)
	}
	return deps
}

// vpcEndpoint is an AWS::EC2::VPCEndpoint of a VPC made outside the construct, as its L1
// says.
type vpcEndpoint struct {
	cfn  awsec2.CfnVPCEndpoint
	path string
	// gateway: a Gateway endpoint (CloudFormation's default type), else an Interface one.
	gateway bool
	// service is the service name, resolved in the endpoint's stack, with "*" for what is
	// a token in it (com.amazonaws.*.logs).
	service string
	// privateDns is PrivateDnsEnabled (false where unset, CloudFormation's default), nil
	// when it is a token.
	privateDns *bool
	// routeTables are the RouteTableIds; nil when they cannot be read.
	routeTables []string
}

// ownEndpoint says whether the construct path names an endpoint of a set of the
// construct's.
func ownEndpoint(path string) bool {
	for _, part := range strings.Split(path, "/") {
		if strings.HasPrefix(part, EndpointsId+"-") {
			return true
		}
	}
	return false
}

// endpointsOfVpc returns the endpoints of scan in vpc that are not the construct's own.
// An endpoint's VpcId names the VPC when it is the same string as vpc's (a literal, or
// the same token), or when both resolve to the same identity (see vpcIdentity).
// identity is vpc's identity when known, else "" (then computed once, if needed).
func endpointsOfVpc(scan appScan, vpc awsec2.IVpc, identity *string) []vpcEndpoint {
	if scan.onlyOwn() {
		return nil
	}
	var out []vpcEndpoint
	var vpcId *string
	for _, c := range scan.endpoints {
		path := *c.Node().Path()
		if ownEndpoint(path) {
			continue
		}
		if vpcId == nil {
			vpcId = vpc.VpcId()
		}
		id := c.VpcId()
		if id == nil {
			continue
		}
		stack := c.Stack()
		if *id != *vpcId {
			if !isStringToken(*id) && !isStringToken(*vpcId) {
				continue
			}
			if identity == nil {
				s := awscdk.Stack_Of(vpc)
				i, _ := vpcIdentity(vpcId, s, *s.Node().Path(), *vpc.Node().Path())
				identity = &i
			}
			if i, _ := vpcIdentity(id, stack, *stack.Node().Path(), path); i != *identity {
				continue
			}
		}
		ep := vpcEndpoint{cfn: c, path: path, gateway: true}
		if t := c.VpcEndpointType(); t != nil {
			if *t != "Gateway" && *t != "Interface" {
				continue // a Gateway Load Balancer, resource or service network endpoint
			}
			ep.gateway = *t == "Gateway"
		}
		ep.service = serviceName(stack, c.ServiceName())
		switch v := c.PrivateDnsEnabled().(type) {
		case nil:
			ep.privateDns = jsii.Bool(false)
		case bool:
			ep.privateDns = &v
		case *bool:
			ep.privateDns = v
		}
		if ids := c.RouteTableIds(); ids != nil {
			ep.routeTables = []string{}
			for _, id := range *ids {
				if id == nil || strings.Contains(*id, "#{Token[") {
					ep.routeTables = nil
					break
				}
				ep.routeTables = append(ep.routeTables, *id)
			}
		} else if ep.gateway {
			ep.routeTables = []string{}
		}
		out = append(out, ep)
	}
	return out
}

// serviceName is an endpoint's service name, resolved in stack, with "*" for each token
// of a Fn::Join and as written in a Fn::Sub; "" when it cannot be read.
func serviceName(stack awscdk.Stack, name *string) string {
	if name == nil {
		return ""
	}
	if !isStringToken(*name) {
		return *name
	}
	var resolved any
	if jsiiPanic(func() { resolved = stack.Resolve(name) }) != nil {
		return ""
	}
	switch v := resolved.(type) {
	case string:
		return v
	case map[string]any:
		if sub, ok := v["Fn::Sub"].(string); ok {
			return sub
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			var s []string
			for _, part := range parts {
				if str, ok := part.(string); ok {
					s = append(s, str)
				} else {
					s = append(s, "*")
				}
			}
			return strings.Join(s, sep)
		}
	}
	return ""
}

// findInterface returns the interface endpoint of found for the service with the short
// name ("ecr.api"), preferring one with private DNS.
func findInterface(found []vpcEndpoint, name string) (vpcEndpoint, bool) {
	var match *vpcEndpoint
	for i, ep := range found {
		if ep.gateway || !strings.HasSuffix(ep.service, "."+name) {
			continue
		}
		if match == nil || (match.privateDns != nil && !*match.privateDns) {
			match = &found[i]
		}
	}
	if match == nil {
		return vpcEndpoint{}, false
	}
	return *match, true
}

// checkLateEndpoints reports, at synthesis, the VPC's endpoints made outside the
// construct after it: one with private DNS for a service the set has, or an S3 gateway on
// a route table of the set's, fails to deploy.
func (a *PrivateRdsApi) checkLateEndpoints() []PropError {
	e := a.Endpoints
	if e == nil || (len(e.Interfaces) == 0 && e.S3 == nil) {
		return nil
	}
	var identity *string
	if e.identity != "" {
		identity = &e.identity
	}
	reused := map[string]bool{}
	for _, c := range a.ReusedEndpoints {
		reused[*c.Node().Path()] = true
	}
	var out []PropError
	for _, ep := range endpointsOfVpc(scanApp(a.Construct), e.vpc, identity) {
		if reused[ep.path] {
			continue
		}
		var clash string
		if ep.gateway {
			if e.S3 != nil && strings.HasSuffix(ep.service, ".s3") {
				for _, have := range e.s3RouteTables() {
					if slices.Contains(ep.routeTables, *have) {
						clash = "an S3 gateway endpoint on a route table of the construct's (" + *e.S3.Node().Path() + "): the deploy fails with RouteAlreadyExists"
						break
					}
				}
			}
		} else if ep.privateDns == nil || *ep.privateDns {
			for _, name := range slices.Sorted(maps.Keys(e.Interfaces)) {
				if strings.HasSuffix(ep.service, "."+name) {
					clash = "a " + name + " interface endpoint with private DNS, which the construct created already (" + *e.Interfaces[name].Node().Path() + "): the deploy fails with a conflicting DNS domain"
					break
				}
			}
		}
		if clash != "" {
			out = append(out, PropError{ProblemDuplicateEndpoint, "Vpc", fmt.Sprintf(
				"the VPC's endpoint %s, made after this PrivateRdsApi, is %s. Create it before NewPrivateRdsApi, so that the construct reuses it, or remove it and use the construct's (EndpointsOf(vpc))",
				ep.path, clash)})
		}
	}
	return out
}

// declareSets keeps the sets of endpoints of the construct's, in the app, whose security
// group ExistingEndpoints names without Services (which says that every endpoint the
// tasks need exists), with the services the tasks need, for checkDeclaredSets.
func (srv *ApiService) declareSets(p *settings, groups []awsec2.ISecurityGroup) {
	for _, e := range scanApp(srv.api.Vpc).sets {
		if e.SecurityGroup == nil {
			continue
		}
		for _, g := range groups {
			if reflect.TypeOf(g).Comparable() && g == awsec2.ISecurityGroup(e.SecurityGroup) {
				srv.declaredSets = append(srv.declaredSets, e)
				break
			}
		}
	}
	if len(srv.declaredSets) > 0 {
		for _, svc := range srv.endpointServices(p) {
			srv.neededEndpoints = append(srv.neededEndpoints, svc.name)
		}
	}
}

// checkDeclaredSets reports, at synthesis, when ExistingEndpoints names the security
// group of a set of the construct's (EndpointsOf, typically in another stack) and says
// that every endpoint exists, but that set lacks one the tasks need: nobody would create
// it, and the tasks would fail to start.
func (srv *ApiService) checkDeclaredSets() []PropError {
	var out []PropError
	for _, e := range srv.declaredSets {
		var missing []string
		for _, name := range srv.neededEndpoints {
			if e.Interfaces[name] == nil {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			continue
		}
		have := slices.Sorted(maps.Keys(e.Interfaces))
		out = append(out, PropError{ProblemMissingEndpoint, "ExistingEndpoints.Services", fmt.Sprintf(
			"is not set, which says that every endpoint the tasks need exists, but ExistingEndpoints.SecurityGroups names the security group of the construct's endpoints %s, which have %s and not %s: "+
				"list the services they have in Services (%s), so that this construct creates the others",
			*e.Node().Path(), strings.Join(have, ", "), strings.Join(missing, ", "), strings.Join(have, ", "))})
	}
	return out
}
