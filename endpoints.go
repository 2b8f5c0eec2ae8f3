package privaterdsapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// EndpointsId starts the construct id of the endpoints shared by every PrivateRdsApi in
// one VPC. They live in the VPC's stack, with the id EndpointsId + "-" + the VPC's path
// in that stack ("/" written as "-"): "PrivateRdsApiEndpoints-Network-Vpc" for an
// IsolatedVpc with id "Network" at the stack's root, "PrivateRdsApiEndpoints-Api-Network-Vpc"
// for the VPC that a PrivateRdsApi with id "Api" creates.
const EndpointsId = "PrivateRdsApiEndpoints"

// PrivateEndpoints are the VPC endpoints that Fargate tasks in subnets without an
// internet route need: interface endpoints with private DNS behind one security group
// that admits HTTPS only from the tasks of each PrivateRdsApi, and the S3 gateway
// endpoint on the tasks' route tables.
//
// Private DNS for a service can exist once per VPC, so there is one PrivateEndpoints per
// VPC, in the stack of the IVpc the first PrivateRdsApi was given (see EndpointsId),
// extended by the others. A VPC is known by its identity as deployed: its VPC ID where
// that is a literal (two imports of one VPC, with Vpc_FromVpcAttributes or
// Vpc_FromLookup, share one set), else the construct that creates it. The same VPC ID
// with endpoints in two stacks of one app is an error at synthesis
// (ProblemEndpointsInTwoStacks): give the APIs of the other stacks ExistingEndpoints.
type PrivateEndpoints struct {
	constructs.Construct

	// SecurityGroup guards the interface endpoints.
	SecurityGroup awsec2.SecurityGroup
	// Interfaces are the interface endpoints by service short name, such as "ecr.api".
	Interfaces map[string]awsec2.InterfaceVpcEndpoint
	// S3 is the S3 gateway endpoint.
	S3 awsec2.GatewayVpcEndpoint

	vpc       awsec2.IVpc
	stackPath string
	// subnets is the selection the endpoints were created with; subnetIds, its subnets as
	// the interface endpoints have them, and routeTableIds, the S3 gateway's route tables,
	// are read only when another API's selection differs from it.
	subnets       *awsec2.SubnetSelection
	subnetIds     string
	routeTableIds []*string
}

// lookupDummyVpcId is the VPC ID of the placeholder VPC that Vpc_FromLookup returns
// while its context is missing (aws-cdk-lib's DUMMY_VPC_PROPS): the CLI then looks the
// VPC up and synthesizes again, so such a VPC has no identity yet.
const lookupDummyVpcId = "vpc-12345"

var (
	endpointsMu sync.Mutex
	// endpointsByVpc holds the endpoints by the IVpc object they serve, found again with no
	// jsii call.
	endpointsByVpc = map[awsec2.IVpc]*PrivateEndpoints{}
	// endpointsByIdentity holds the sets of endpoints of each VPC identity in each app,
	// one per stack, the first created first.
	endpointsByIdentity = map[appVpc][]*PrivateEndpoints{}
)

// appVpc is a VPC's identity in one app, known by the construct tree's root (see
// vpcIdentity).
type appVpc struct {
	app      constructs.IConstruct
	identity string
}

// byIdentity returns the sets of endpoints of the VPC known as k: own is the set in the
// stack at stackPath, first the app's first set (in any stack); nil when there is none.
// The caller holds endpointsMu.
func byIdentity(k appVpc, stackPath string) (own, first *PrivateEndpoints) {
	sets := endpointsByIdentity[k]
	for _, e := range sets {
		if e.stackPath == stackPath {
			own = e
			break
		}
	}
	if len(sets) > 0 {
		first = sets[0]
	}
	return own, first
}

// vpcIdentity names vpc as deployed, in its app. A literal VPC ID names it across the
// app ("vpc:" and the ID, also returned as literal); anything else names it within its
// stack, at stackPath (the resolved reference), or by its construct path when even that
// cannot be had (a lookup still pending).
func vpcIdentity(vpc awsec2.IVpc, stack awscdk.Stack, stackPath string) (k appVpc, literal string) {
	k.app = vpc.Node().Root()
	var resolved any
	if jsiiPanic(func() { resolved = stack.Resolve(vpc.VpcId()) }) == nil {
		if id, ok := resolved.(string); ok && id != lookupDummyVpcId {
			k.identity = "vpc:" + id
			return k, id
		}
		if _, ok := resolved.(string); !ok {
			b, _ := json.Marshal(resolved)
			k.identity = "ref:" + stackPath + ":" + string(b)
			return k, ""
		}
	}
	k.identity = "path:" + *vpc.Node().Path()
	return k, ""
}

// EndpointsOf returns the endpoints that PrivateRdsApi created for vpc (or for another
// import of the same VPC in the app, preferring the set in vpc's stack), or nil.
func EndpointsOf(vpc awsec2.IVpc) *PrivateEndpoints {
	endpointsMu.Lock()
	e := endpointsByVpc[vpc]
	endpointsMu.Unlock()
	if e != nil {
		return e
	}
	stack := awscdk.Stack_Of(vpc)
	stackPath := *stack.Node().Path()
	k, _ := vpcIdentity(vpc, stack, stackPath)
	endpointsMu.Lock()
	defer endpointsMu.Unlock()
	own, first := byIdentity(k, stackPath)
	if own != nil {
		return own
	}
	return first
}

// pathAtStackRoot is the path, relative to stack, of the construct with id under scope
// when scope is the stack itself, known with no jsii call; else "". An id that
// constructs would escape ('/' and newline become "--") is left to the path lookup.
func pathAtStackRoot(scope constructs.Construct, stack awscdk.Stack, id *string) string {
	if id == nil || scope == nil || strings.ContainsAny(*id, "/\n") || !reflect.TypeOf(scope).Comparable() || scope != constructs.Construct(stack) {
		return ""
	}
	return *id
}

// pathInStack is a construct's path relative to the stack at stackPath that holds it.
func pathInStack(path, stackPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, stackPath), "/")
}

// endpointsIdFor is the construct id, under the stack, of the endpoints of the VPC at
// relPath, the VPC's construct path relative to its stack.
func endpointsIdFor(relPath string) string {
	return EndpointsId + "-" + strings.ReplaceAll(relPath, "/", "-")
}

// sharedEndpoints returns the endpoints of vpc, created on first use in subnets. fresh
// says that the construct has just created vpc, which has no endpoints yet and no
// identity to look up; stack is the VPC's stack when known, else nil; relPath is the
// VPC's construct path relative to that stack when known without asking, else "". When
// the VPC's literal ID already has endpoints in another stack of the app, it also
// returns the problem, and a set of this stack's own, so that construction completes and
// synthesis reports the problem.
func sharedEndpoints(vpc awsec2.IVpc, subnets *awsec2.SubnetSelection, fresh bool, stack awscdk.Stack, relPath string) (*PrivateEndpoints, *PropError) {
	endpointsMu.Lock()
	defer endpointsMu.Unlock()
	if e := endpointsByVpc[vpc]; e != nil {
		return e, nil
	}
	if stack == nil {
		stack = awscdk.Stack_Of(vpc)
	}
	// The stack's path names the set only for VPCs found again by identity, which a VPC
	// the construct has just created never is.
	var stackPath string
	if !fresh || relPath == "" {
		stackPath = *stack.Node().Path()
	}
	if relPath == "" {
		relPath = pathInStack(*vpc.Node().Path(), stackPath)
	}
	var (
		k       appVpc
		problem *PropError
	)
	if !fresh {
		var literal string
		k, literal = vpcIdentity(vpc, stack, stackPath)
		own, first := byIdentity(k, stackPath)
		if first != nil && first.stackPath != stackPath {
			problem = &PropError{ProblemEndpointsInTwoStacks, "Vpc and ExistingEndpoints", fmt.Sprintf(
				"VPC %s already gets the privaterdsapi interface endpoints in stack %s; a second set in stack %s would fail to deploy (private DNS for a service exists once per VPC). "+
					"Create the APIs of this VPC in one stack, or give the APIs in %s ExistingEndpoints{SecurityGroups: the SecurityGroup of EndpointsOf(vpc) in %s}",
				literal, first.stackPath, stackPath, stackPath, first.stackPath)}
		}
		if own != nil {
			endpointsByVpc[vpc] = own
			return own, problem
		}
	}
	e := &PrivateEndpoints{
		Construct:  constructs.NewConstruct(stack, jsii.String(endpointsIdFor(relPath))),
		Interfaces: map[string]awsec2.InterfaceVpcEndpoint{},
		vpc:        vpc,
		stackPath:  stackPath,
		subnets:    subnets,
	}
	e.SecurityGroup = closedSecurityGroup(e.Construct, "SecurityGroup", vpc, "VPC interface endpoints: HTTPS from the privaterdsapi tasks only")
	// CDK puts the gateway on the route tables of subnets; routeS3 adds those of other
	// APIs' subnets.
	e.S3 = awsec2.NewGatewayVpcEndpoint(e.Construct, jsii.String("S3"), &awsec2.GatewayVpcEndpointProps{
		Vpc:     vpc,
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{subnets},
	})
	if !fresh {
		endpointsByIdentity[k] = append(endpointsByIdentity[k], e)
	}
	endpointsByVpc[vpc] = e
	return e, problem
}

// interfaceSubnetIds are the subnets an interface endpoint gets from selection (one per
// availability zone), resolved in stack, as a string to compare selections by.
func interfaceSubnetIds(vpc awsec2.IVpc, stack awscdk.Stack, selection *awsec2.SubnetSelection) string {
	onePerAz := *selection
	onePerAz.OnePerAz = jsii.Bool(true)
	var resolved any
	if jsiiPanic(func() { resolved = stack.Resolve(vpc.SelectSubnets(&onePerAz).SubnetIds) }) != nil {
		return ""
	}
	b, _ := json.Marshal(resolved)
	return string(b)
}

// require creates the interface endpoints of services that do not exist yet.
func (e *PrivateEndpoints) require(services []endpointService) {
	for _, svc := range services {
		if _, ok := e.Interfaces[svc.name]; ok {
			continue
		}
		e.Interfaces[svc.name] = awsec2.NewInterfaceVpcEndpoint(e.Construct, jsii.String(endpointId(svc.name)), &awsec2.InterfaceVpcEndpointProps{
			Vpc:               e.vpc,
			Service:           svc.service(),
			Subnets:           e.subnets,
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(false),
			SecurityGroups:    &[]awsec2.ISecurityGroup{e.SecurityGroup},
		})
	}
}

// endpointService is an interface endpoint's service by its short name ("ecr.api"); the
// service object is read from aws-cdk-lib only when the endpoint is created.
type endpointService struct {
	name    string
	service func() awsec2.InterfaceVpcEndpointAwsService
}

// routeS3 puts the S3 gateway endpoint also on the route tables of subnets, when they
// are not the subnets it was created with (whose route tables CDK wrote).
func (e *PrivateEndpoints) routeS3(subnets *awsec2.SubnetSelection) {
	if sameSelection(subnets, e.subnets) {
		return
	}
	if e.routeTableIds == nil {
		e.routeTableIds = routeTablesOf(e.vpc, e.subnets)
	}
	added := false
	for _, id := range routeTablesOf(e.vpc, subnets) {
		known := false
		for _, have := range e.routeTableIds {
			known = known || *have == *id
		}
		if !known {
			e.routeTableIds = append(e.routeTableIds, id)
			added = true
		}
	}
	if added {
		ids := append([]*string(nil), e.routeTableIds...)
		e.S3.Node().DefaultChild().(awsec2.CfnVPCEndpoint).AddPropertyOverride(jsii.String("RouteTableIds"), &ids)
	}
}

// routeTablesOf are the route table IDs of the subnets that selection selects.
func routeTablesOf(vpc awsec2.IVpc, selection *awsec2.SubnetSelection) []*string {
	var ids []*string
	for _, s := range *vpc.SelectSubnets(selection).Subnets {
		ids = append(ids, s.RouteTable().RouteTableId())
	}
	return ids
}

// sameSelection says whether two subnet selections select the same subnets for sure:
// the same object, or the same criteria (the same subnet objects, if they list any).
func sameSelection(a, b *awsec2.SubnetSelection) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.SubnetFilters != nil || b.SubnetFilters != nil ||
		a.SubnetType != b.SubnetType || !sameString(a.SubnetGroupName, b.SubnetGroupName) ||
		!sameBool(a.OnePerAz, b.OnePerAz) || (a.AvailabilityZones == nil) != (b.AvailabilityZones == nil) ||
		(a.Subnets == nil) != (b.Subnets == nil) {
		return false
	}
	if a.AvailabilityZones != nil {
		if len(*a.AvailabilityZones) != len(*b.AvailabilityZones) {
			return false
		}
		for i := range *a.AvailabilityZones {
			if !sameString((*a.AvailabilityZones)[i], (*b.AvailabilityZones)[i]) {
				return false
			}
		}
	}
	if a.Subnets != nil {
		if len(*a.Subnets) != len(*b.Subnets) {
			return false
		}
		for i := range *a.Subnets {
			if (*a.Subnets)[i] != (*b.Subnets)[i] {
				return false
			}
		}
	}
	return true
}

func sameString(a, b *string) bool { return a == b || (a != nil && b != nil && *a == *b) }
func sameBool(a, b *bool) bool     { return a == b || (a != nil && b != nil && *a == *b) }

// ruleResources returns the standalone rule resources written so far under the given
// security groups' constructs, not the groups themselves.
func ruleResources(groups ...awsec2.SecurityGroup) []constructs.IDependable {
	var out []constructs.IDependable
	for _, g := range groups {
		for _, c := range *g.Node().Children() {
			if _, group := c.(awsec2.CfnSecurityGroup); !group { // known by its Go type: no jsii call
				out = append(out, c)
			}
		}
	}
	return out
}

// endpointId turns a service short name such as "ecr.api" into a construct id "EcrApi".
func endpointId(shortName string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(shortName, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// endpointServices are the interface endpoints the task needs: ECR (API and Docker
// registry) to pull the image, CloudWatch Logs for awslogs, Secrets Manager and SSM for
// the secrets injected from each, SSM messages for ECS Exec, and whatever the user adds.
func (a *PrivateRdsApi) endpointServices(p *settings) []endpointService {
	services := []endpointService{
		{"ecr.api", awsec2.InterfaceVpcEndpointAwsService_ECR},
		{"ecr.dkr", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER},
		{"logs", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS},
	}
	secretsManager, ssm := p.databaseSecret != nil, false
	for _, secret := range p.secrets {
		if a.isSsmParameter(secret) {
			ssm = true
		} else {
			secretsManager = true
		}
	}
	if secretsManager {
		services = append(services, endpointService{"secretsmanager", awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER})
	}
	if ssm {
		services = append(services, endpointService{"ssm", awsec2.InterfaceVpcEndpointAwsService_SSM})
	}
	if p.exec {
		services = append(services, endpointService{"ssmmessages", awsec2.InterfaceVpcEndpointAwsService_SSM_MESSAGES})
	}
	for _, svc := range p.additionalEndpoints {
		svc := svc
		services = append(services, endpointService{*svc.ShortName(), func() awsec2.InterfaceVpcEndpointAwsService { return svc }})
	}
	return services
}

// isSsmParameter says whether an ECS secret comes from SSM Parameter Store: its ARN,
// resolved, names the ssm service ("arn:aws:ssm:..." or a Fn::Join with ":ssm:").
// Anything unreadable counts as Secrets Manager.
func (a *PrivateRdsApi) isSsmParameter(secret awsecs.Secret) bool {
	var resolved any
	if jsiiPanic(func() { resolved = a.stack.Resolve(secret.Arn()) }) != nil {
		return false
	}
	b, err := json.Marshal(resolved)
	return err == nil && strings.Contains(string(b), ":ssm:")
}

// shareEndpoints returns the VPC's endpoints, created in EndpointSubnets (else the
// tasks' subnets) on first use, and records the problems synthesis reports: the VPC's
// endpoints in another stack, EndpointSubnets that select no subnet or other subnets than
// the endpoints already have. relPath is the construct's path relative to its stack
// when known without a jsii call (see pathAtStackRoot), else "".
func (a *PrivateRdsApi) shareEndpoints(p *settings, relPath string) *PrivateEndpoints {
	subnets := a.Subnets
	if p.endpointSubnets != nil {
		if selected, failure := selectSubnets(a.Vpc, p.endpointSubnets); len(selected) == 0 {
			why := ""
			if failure != nil {
				why = " (" + firstLine(failure) + ")"
			}
			a.problems = append(a.problems, PropError{ProblemNoSubnets, "EndpointSubnets",
				"selects no subnet of the VPC" + why + ": select isolated subnets of the VPC, for example by availability zone"})
		} else {
			subnets = p.endpointSubnets
		}
	}
	var (
		vpcStack   awscdk.Stack // a VPC the construct created is in its stack
		vpcRelPath string
	)
	if p.vpc == nil {
		vpcStack = a.stack
		if relPath != "" {
			vpcRelPath = relPath + "/" + isolatedVpcPath
		}
	}
	e, problem := sharedEndpoints(a.Vpc, subnets, p.vpc == nil, vpcStack, vpcRelPath)
	if problem != nil {
		a.problems = append(a.problems, *problem)
	}
	if p.endpointSubnets != nil && subnets == p.endpointSubnets && !sameSelection(subnets, e.subnets) {
		stack := awscdk.Stack_Of(a.Vpc)
		if e.subnetIds == "" {
			e.subnetIds = interfaceSubnetIds(a.Vpc, stack, e.subnets)
		}
		if got := interfaceSubnetIds(a.Vpc, stack, subnets); got != e.subnetIds {
			a.problems = append(a.problems, PropError{ProblemConflict, "EndpointSubnets", fmt.Sprintf(
				"selects the subnets %s, but the VPC's endpoints (shared by every PrivateRdsApi of the VPC) are in %s: give every PrivateRdsApi of this VPC the same EndpointSubnets, or set it on the first one only",
				got, e.subnetIds)})
		}
	}
	return e
}

// connectEndpoints gives the tasks their way to AWS services: the shared endpoints (or
// the existing ones) and S3, with task egress limited to HTTPS towards them. relPath is
// as shareEndpoints has it.
func (a *PrivateRdsApi) connectEndpoints(p *settings, relPath string) {
	https := awsec2.Port_Tcp(jsii.Number(443))
	switch {
	case p.existingEndpoints == nil:
		a.Endpoints = a.shareEndpoints(p, relPath)
		a.Endpoints.require(a.endpointServices(p))
		a.Endpoints.routeS3(a.Subnets)
		a.connections.AllowTo(a.Endpoints.SecurityGroup, https, jsii.String("HTTPS to the VPC interface endpoints"))
	case p.existingEndpoints.SecurityGroups != nil && len(*p.existingEndpoints.SecurityGroups) > 0:
		for _, sg := range *p.existingEndpoints.SecurityGroups {
			a.connections.AllowTo(sg, https, jsii.String("HTTPS to the existing VPC interface endpoints"))
		}
	default:
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_Ipv4(a.Vpc.VpcCidrBlock()), https,
			jsii.String("HTTPS to the existing VPC interface endpoints"), nil)
	}
	// Tasks started before their endpoints and rules exist cannot pull their image, and the
	// circuit breaker would roll the first deployment back: the service waits for them.
	deps := ruleResources(a.ServiceSecurityGroup, a.LoadBalancerSecurityGroup)
	if a.Endpoints != nil {
		deps = append(deps, a.Endpoints.Construct)
	}
	a.Service.Node().AddDependency(deps...)
	if p.s3PrefixListId != nil {
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_PrefixList(p.s3PrefixListId), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint"), nil)
	} else {
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint; the subnets have no internet route"), nil)
	}
}
