package privaterdsapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

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
// The set is found again in the construct tree (a child of the stack), not in state of
// the package: nothing outlives the app.
//
// Endpoints the VPC already has in the app, however they were made
// (awsec2.VpcProps.GatewayEndpoints, Vpc.AddGatewayEndpoint, Vpc.AddInterfaceEndpoint,
// NewInterfaceVpcEndpoint, a raw NewCfnVPCEndpoint; known by their AWS::EC2::VPCEndpoint
// resource, in any stack), are reused when they exist before the PrivateRdsApi is
// created: an interface endpoint of a needed service with private DNS is used instead of
// a new one, and the tasks get HTTPS to its security groups (the ingress rule is written
// on those groups, the service waits for it); an S3 gateway endpoint's route tables get
// no second one. A needed interface endpoint without private DNS (CloudFormation's
// default for a raw CfnVPCEndpoint; CDK's InterfaceVpcEndpoint turns it on) is an error
// at synthesis (ProblemEndpointWithoutPrivateDns), as is an endpoint added to the VPC
// after the PrivateRdsApi that duplicates one it created (ProblemDuplicateEndpoint):
// create it before the API, so that the API reuses it. Endpoints outside the app are
// declared with ExistingEndpoints.
type PrivateEndpoints struct {
	constructs.Construct

	// SecurityGroup guards the interface endpoints; nil while the set has none (every
	// interface endpoint the tasks need existed already).
	SecurityGroup awsec2.SecurityGroup
	// Interfaces are the interface endpoints by service short name, such as "ecr.api".
	Interfaces map[string]awsec2.InterfaceVpcEndpoint
	// S3 is the S3 gateway endpoint; nil while every route table of the tasks already has
	// one (from the app or ExistingEndpoints).
	S3 awsec2.GatewayVpcEndpoint

	vpc awsec2.IVpc
	// identity is the VPC's identity (see vpcIdentity) and literal its literal VPC ID;
	// both empty for a VPC the construct has just created, known by vpc.
	identity, literal string
	stackPath         string
	// subnets is the selection the endpoints were created with; subnetIds, its subnets as
	// the interface endpoints have them, and routeTableIds, the S3 gateway's route tables,
	// are read only when another API's selection differs from it.
	subnets       *awsec2.SubnetSelection
	subnetIds     string
	routeTableIds []*string
	// s3Subnets are the subnets the S3 gateway endpoint was created with.
	s3Subnets *awsec2.SubnetSelection
}

// ToString is the set's construct path. It makes the Go struct the construct's own object
// in jsii (an overriding method, see constructs.NewConstruct_Override), so that the tree
// gives it back.
func (e *PrivateEndpoints) ToString() *string { return e.Node().Path() }

// lookupDummyVpcId is the VPC ID of the placeholder VPC that Vpc_FromLookup returns
// while its context is missing (aws-cdk-lib's DUMMY_VPC_PROPS): the CLI then looks the
// VPC up and synthesizes again, so such a VPC has no identity yet.
const lookupDummyVpcId = "vpc-12345"

// vpcIdentity names the VPC with ID vpcId as deployed, in its app. A literal VPC ID names
// it across the app ("vpc:" and the ID, also returned as literal); anything else names it
// within its stack, at stackPath (the resolved reference), or by path, its construct path,
// when even that cannot be had (a lookup still pending).
func vpcIdentity(vpcId *string, stack awscdk.Stack, stackPath, path string) (identity, literal string) {
	var resolved any
	if jsiiPanic(func() { resolved = stack.Resolve(vpcId) }) == nil {
		if id, ok := resolved.(string); ok && id != lookupDummyVpcId {
			return "vpc:" + id, id
		}
		if _, ok := resolved.(string); !ok {
			b, _ := json.Marshal(resolved)
			return "ref:" + stackPath + ":" + string(b), ""
		}
	}
	return "path:" + path, ""
}

// sameObject says whether two IVpc are one Go object, without panicking on values Go
// cannot compare.
func sameObject(a, b awsec2.IVpc) bool {
	return a != nil && b != nil && reflect.TypeOf(a).Comparable() && reflect.TypeOf(b).Comparable() && a == b
}

// EndpointsOf returns the endpoints that PrivateRdsApi created for vpc (or for another
// import of the same VPC in the app, preferring the set in vpc's stack), or nil.
func EndpointsOf(vpc awsec2.IVpc) *PrivateEndpoints {
	stack := awscdk.Stack_Of(vpc)
	stackPath := *stack.Node().Path()
	path := *vpc.Node().Path()
	if e, ok := stack.Node().TryFindChild(jsii.String(endpointsIdFor(pathInStack(path, stackPath)))).(*PrivateEndpoints); ok {
		return e
	}
	identity, _ := vpcIdentity(vpc.VpcId(), stack, stackPath, path)
	own, first := scanApp(vpc).setsOf(vpc, identity, stackPath)
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

// endpointsPlan is what one PrivateRdsApi needs created: whether the set needs its
// security group (an interface endpoint is missing), and the route tables that already
// have an S3 gateway endpoint (by ID, as the subnets give them), or all of them.
type endpointsPlan struct {
	interfaces bool
	s3Covered  map[string]bool
	s3External bool
}

// setKey is where the set of endpoints of a VPC is, or goes.
type setKey struct {
	vpc               awsec2.IVpc
	stack             awscdk.Stack
	stackPath         string
	relPath           string
	identity, literal string
}

// findEndpoints returns the set of endpoints of vpc in its stack, or nil, and where a new
// one goes. fresh says that the construct has just created vpc, which has no endpoints
// yet and no identity to look up; stack is the VPC's stack when known, else nil; relPath
// is the VPC's construct path relative to that stack when known without asking, else "";
// scan is the app's tree (nil with fresh). When the VPC's literal ID already has endpoints
// in another stack of the app, it also returns the problem, so that construction
// completes (with a set of this stack's own) and synthesis reports the problem.
func findEndpoints(vpc awsec2.IVpc, fresh bool, stack awscdk.Stack, relPath string, scan *appScan) (own *PrivateEndpoints, k setKey, other *PrivateEndpoints) {
	if stack == nil {
		stack = awscdk.Stack_Of(vpc)
	}
	k = setKey{vpc: vpc, stack: stack, relPath: relPath}
	// The stack's path names the set only for VPCs found again by identity, which a VPC
	// the construct has just created never is.
	if !fresh || relPath == "" {
		k.stackPath = *stack.Node().Path()
	}
	var vpcPath string
	if relPath == "" {
		vpcPath = *vpc.Node().Path()
		k.relPath = pathInStack(vpcPath, k.stackPath)
	}
	if fresh {
		return nil, k, nil
	}
	if vpcPath == "" {
		vpcPath = k.stackPath + "/" + k.relPath
	}
	k.identity, k.literal = vpcIdentity(vpc.VpcId(), stack, k.stackPath, vpcPath)
	own, first := scan.setsOf(vpc, k.identity, k.stackPath)
	if first != nil && first.stackPath != k.stackPath && first.literal != "" {
		other = first
	}
	return own, k, other
}

// newEndpoints creates the set of endpoints at k, with the security group when plan has
// interface endpoints to create, and the S3 gateway endpoint on the route tables of
// subnets that plan does not cover.
func newEndpoints(k setKey, subnets *awsec2.SubnetSelection, plan endpointsPlan) *PrivateEndpoints {
	e := &PrivateEndpoints{
		Interfaces: map[string]awsec2.InterfaceVpcEndpoint{},
		vpc:        k.vpc,
		identity:   k.identity,
		literal:    k.literal,
		stackPath:  k.stackPath,
		subnets:    subnets,
	}
	constructs.NewConstruct_Override(e, k.stack, jsii.String(endpointsIdFor(k.relPath)))
	if plan.interfaces {
		e.securityGroup()
	}
	// CDK puts the gateway on the route tables of subnets; routeS3 adds those of other
	// APIs' subnets.
	if !plan.s3External {
		if uncovered := uncoveredSubnets(k.vpc, subnets, plan.s3Covered); uncovered != nil {
			e.newS3(uncovered)
		}
	}
	return e
}

// securityGroup returns the interface endpoints' security group, created on first use.
func (e *PrivateEndpoints) securityGroup() awsec2.SecurityGroup {
	if e.SecurityGroup == nil {
		e.SecurityGroup = closedSecurityGroup(e.Construct, "SecurityGroup", e.vpc, "VPC interface endpoints: HTTPS from the privaterdsapi tasks only")
	}
	return e.SecurityGroup
}

// newS3 creates the S3 gateway endpoint on the route tables of subnets.
func (e *PrivateEndpoints) newS3(subnets *awsec2.SubnetSelection) {
	e.S3 = awsec2.NewGatewayVpcEndpoint(e.Construct, jsii.String("S3"), &awsec2.GatewayVpcEndpointProps{
		Vpc:     e.vpc,
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{subnets},
	})
	e.s3Subnets, e.routeTableIds = subnets, nil
}

// uncoveredSubnets is selection without the subnets whose route table is covered:
// selection itself when nothing is covered, nil when every subnet is.
func uncoveredSubnets(vpc awsec2.IVpc, selection *awsec2.SubnetSelection, covered map[string]bool) *awsec2.SubnetSelection {
	if len(covered) == 0 {
		return selection
	}
	var keep []awsec2.ISubnet
	for _, s := range *vpc.SelectSubnets(selection).Subnets {
		if !covered[*s.RouteTable().RouteTableId()] {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return &awsec2.SubnetSelection{Subnets: &keep}
}

// interfaceSubnetIds are the subnets an interface endpoint gets from selection (one per
// availability zone), resolved in stack, as a string to compare selections by; ok is
// false, with what failed, when they cannot be read.
func interfaceSubnetIds(vpc awsec2.IVpc, stack awscdk.Stack, selection *awsec2.SubnetSelection) (ids string, failure any) {
	if selection == nil {
		return "", "no selection"
	}
	onePerAz := *selection
	onePerAz.OnePerAz = jsii.Bool(true)
	var resolved any
	if failure = jsiiPanic(func() { resolved = stack.Resolve(vpc.SelectSubnets(&onePerAz).SubnetIds) }); failure != nil {
		return "", failure
	}
	b, err := json.Marshal(resolved)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// require creates the interface endpoints of services, which the set does not have.
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
			SecurityGroups:    &[]awsec2.ISecurityGroup{e.securityGroup()},
		})
	}
}

// endpointService is an interface endpoint's service by its short name ("ecr.api"); the
// service object is read from aws-cdk-lib only when the endpoint is created.
type endpointService struct {
	name    string
	service func() awsec2.InterfaceVpcEndpointAwsService
}

// routeS3 puts the S3 gateway endpoint also on the route tables of subnets that neither
// it (CDK wrote those of the subnets it was created with) nor an existing gateway
// (covered) has, creating it when the set has none yet.
func (e *PrivateEndpoints) routeS3(subnets *awsec2.SubnetSelection, covered map[string]bool) {
	if e.S3 == nil {
		if uncovered := uncoveredSubnets(e.vpc, subnets, covered); uncovered != nil {
			e.newS3(uncovered)
		}
		return
	}
	if sameSelection(subnets, e.s3Subnets) {
		return
	}
	if e.routeTableIds == nil {
		e.routeTableIds = routeTablesOf(e.vpc, e.s3Subnets)
	}
	added := false
	for _, id := range routeTablesOf(e.vpc, subnets) {
		known := covered[*id]
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

// s3RouteTables are the route tables the set's S3 gateway endpoint is on.
func (e *PrivateEndpoints) s3RouteTables() []*string {
	if e.routeTableIds == nil {
		e.routeTableIds = routeTablesOf(e.vpc, e.s3Subnets)
	}
	return e.routeTableIds
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
func (srv *ApiService) endpointServices(p *settings) []endpointService {
	services := []endpointService{
		{"ecr.api", awsec2.InterfaceVpcEndpointAwsService_ECR},
		{"ecr.dkr", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER},
		{"logs", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS},
	}
	secretsManager, ssm := p.databaseSecret != nil && p.iam == nil, false // with IAM, the secret is the proxy's (iam.go)
	for _, name := range slices.Sorted(maps.Keys(p.secrets)) {
		switch srv.secretSource(name, p.secrets[name]) {
		case fromSsm:
			ssm = true
		case fromSecretsManager:
			secretsManager = true
		default: // what cannot be known gets both, and a warning
			ssm, secretsManager = true, true
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

// secretOrigin is the service an ECS secret is read from.
type secretOrigin int

const (
	unknownOrigin secretOrigin = iota
	fromSecretsManager
	fromSsm
)

// secretSource says where the ECS secret of the variable name comes from. A secret of
// Secret_FromSecretsManager (or ...Version) says whether it uses a JSON field, one of
// Secret_FromSsmParameter does not; else its ARN, resolved, names the service
// (":ssm:" or ":secretsmanager:"). What cannot be told is warned about: the caller then
// creates both endpoints, so that the task can start either way.
func (srv *ApiService) secretSource(name string, secret awsecs.Secret) secretOrigin {
	var (
		hasField *bool
		resolved any
	)
	failure := jsiiPanic(func() { hasField = secret.HasField() })
	if failure == nil && hasField != nil {
		return fromSecretsManager
	}
	if failure == nil {
		failure = jsiiPanic(func() { resolved = srv.api.stack.Resolve(secret.Arn()) })
	}
	if failure == nil {
		b, err := json.Marshal(resolved)
		switch s := string(b); {
		case err != nil:
			failure = err
		case strings.Contains(s, ":ssm:"):
			return fromSsm
		case strings.Contains(s, ":secretsmanager:"):
			return fromSecretsManager
		default:
			failure = "its ARN " + s + " names neither ssm nor secretsmanager"
		}
	}
	warn(srv.Construct, "privaterdsapi:secretSource", fmt.Sprintf(
		"Secrets[%s]: cannot tell whether the secret comes from Secrets Manager or SSM Parameter Store (%s), so the construct creates both the secretsmanager and the ssm interface endpoints (one of them is billed for nothing). "+
			"Pass it as awsecs.Secret_FromSecretsManager or awsecs.Secret_FromSsmParameter of a secret or parameter whose ARN names its service (an import by name or complete ARN)",
		name, firstLine(failure)))
	return unknownOrigin
}

// shareEndpoints returns the VPC's set of endpoints, created in EndpointSubnets (else
// the tasks' subnets) on first use when plan has anything to create, else nil, and
// records the problems synthesis reports: the VPC's endpoints in another stack,
// EndpointSubnets that select no subnet or other subnets than the endpoints already have
// (or subnets that cannot be compared). relPath is the construct's path relative to its
// stack when known without a jsii call (see pathAtStackRoot), else "".
func (srv *ApiService) shareEndpoints(p *settings, relPath string, scan *appScan, plan func(*PrivateEndpoints) endpointsPlan) (*PrivateEndpoints, endpointsPlan) {
	subnets := srv.api.Subnets
	if p.endpointSubnets != nil {
		if selected, _ := selectSubnets(srv.api.Vpc, p.endpointSubnets); len(selected) == 0 {
			srv.problems = append(srv.problems, PropError{ProblemNoSubnets, "EndpointSubnets",
				"selects no subnet of the VPC: select subnets of the tasks' VPC, for example its PRIVATE_ISOLATED subnets in one availability zone (SubnetType and AvailabilityZones)"})
		} else {
			subnets = p.endpointSubnets
		}
	}
	var (
		vpcStack   awscdk.Stack // a VPC the construct created is in its stack
		vpcRelPath string
	)
	if p.vpc == nil {
		vpcStack = srv.api.stack
		if relPath != "" {
			vpcRelPath = relPath + "/" + isolatedVpcPath
		}
	}
	e, k, other := findEndpoints(srv.api.Vpc, p.vpc == nil, vpcStack, vpcRelPath, scan)
	if e == nil && srv.api.Endpoints != nil {
		// The set an earlier service of this API found or created (a VPC the API created
		// is not looked up: see findEndpoints).
		e = srv.api.Endpoints
	}
	srv.otherStackEndpoints = other
	todo := plan(e)
	if e == nil {
		if !todo.interfaces && (todo.s3External || uncoveredSubnets(srv.api.Vpc, subnets, todo.s3Covered) == nil) &&
			(todo.s3External || uncoveredSubnets(srv.api.Vpc, srv.api.Subnets, todo.s3Covered) == nil) {
			return nil, todo // every endpoint exists: nothing to create
		}
		e = newEndpoints(k, subnets, todo)
	}
	if p.endpointSubnets != nil && subnets == p.endpointSubnets && !sameSelection(subnets, e.subnets) {
		srv.compareEndpointSubnets(e, subnets)
	}
	return e, todo
}

// compareEndpointSubnets records a problem when subnets, this API's EndpointSubnets, are
// not the subnets of the set's interface endpoints, or when either cannot be read.
func (srv *ApiService) compareEndpointSubnets(e *PrivateEndpoints, subnets *awsec2.SubnetSelection) {
	stack := awscdk.Stack_Of(srv.api.Vpc)
	var failure any
	if e.subnetIds == "" {
		e.subnetIds, failure = interfaceSubnetIds(srv.api.Vpc, stack, e.subnets)
	}
	got, gotFailure := interfaceSubnetIds(srv.api.Vpc, stack, subnets)
	switch {
	case failure != nil || gotFailure != nil:
		why := failure
		if why == nil {
			why = gotFailure
		}
		srv.problems = append(srv.problems, PropError{ProblemUnreadable, "EndpointSubnets", fmt.Sprintf(
			"cannot be compared with the subnets of the VPC's endpoints (shared by every PrivateRdsApi of the VPC): %s. Give every PrivateRdsApi of this VPC the same EndpointSubnets value, or set it on the first one only",
			firstLine(why))})
	case got != e.subnetIds:
		srv.problems = append(srv.problems, PropError{ProblemConflict, "EndpointSubnets", fmt.Sprintf(
			"selects the subnets %s, but the VPC's endpoints (shared by every PrivateRdsApi of the VPC) are in %s: give every PrivateRdsApi of this VPC the same EndpointSubnets, or set it on the first one only",
			got, e.subnetIds)})
	}
}

// connectEndpoints gives the tasks their way to AWS services: the shared endpoints, the
// VPC's endpoints made elsewhere in the app, those of ExistingEndpoints, and S3, with
// task egress limited to HTTPS towards them. relPath is as shareEndpoints has it.
func (srv *ApiService) connectEndpoints(p *settings, relPath string) {
	https := awsec2.Port_Tcp(jsii.Number(443))
	ex := p.existingEndpoints
	var deps []constructs.IDependable
	if ex == nil || ex.Services != nil || (ex.S3GatewayEndpoint != nil && !*ex.S3GatewayEndpoint) {
		deps = srv.useEndpoints(p, relPath, https)
	}
	if ex != nil {
		switch {
		case ex.SecurityGroups != nil && len(*ex.SecurityGroups) > 0:
			if ex.Services == nil {
				srv.declareSets(p, *ex.SecurityGroups)
			}
			for _, sg := range *ex.SecurityGroups {
				srv.connections.AllowTo(sg, https, jsii.String("HTTPS to the existing VPC interface endpoints"))
				// The ingress rule is written under the group when it is in this stack.
				deps = append(deps, sg)
			}
		case ex.Services == nil || len(*ex.Services) > 0:
			srv.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_Ipv4(srv.api.Vpc.VpcCidrBlock()), https,
				jsii.String("HTTPS to the existing VPC interface endpoints"), nil)
		}
	}
	if p.s3PrefixListId != nil {
		srv.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_PrefixList(p.s3PrefixListId), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint"), nil)
	} else {
		srv.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint; the subnets have no internet route"), nil)
	}
	// Tasks started before their endpoints and rules exist cannot pull their image, and the
	// circuit breaker would roll the first deployment back: the service waits for them
	// (the S3 egress to a prefix list is a rule resource of its own too).
	deps = append(ruleResources(srv.ServiceSecurityGroup, srv.api.LoadBalancerSecurityGroup), deps...)
	srv.Service.Node().AddDependency(deps...)
}

// useEndpoints finds the endpoints the tasks need, in the set of the VPC, among the VPC's
// endpoints made elsewhere in the app (reused) and in ExistingEndpoints, creates the
// missing ones in the set, connects the tasks to them, and returns what the service must
// wait for.
func (srv *ApiService) useEndpoints(p *settings, relPath string, https awsec2.Port) []constructs.IDependable {
	ex := p.existingEndpoints
	needed := srv.endpointServices(p)
	external := map[string]bool{}
	if ex != nil && ex.Services != nil {
		for _, s := range *ex.Services {
			if s != nil {
				external[*s.ShortName()] = true
			}
		}
	}
	s3External := ex != nil && (ex.S3GatewayEndpoint == nil || *ex.S3GatewayEndpoint)

	var (
		scan  *appScan
		found []vpcEndpoint
	)
	if p.vpc != nil { // a VPC the construct has just created has no endpoints
		s := scanApp(srv.api.Vpc)
		scan = &s
		found = endpointsOfVpc(s, srv.api.Vpc, nil)
	}
	var (
		create, useSet []endpointService
		reuse          []vpcEndpoint
	)
	plan := func(e *PrivateEndpoints) endpointsPlan {
		for _, svc := range needed {
			switch {
			case e != nil && e.Interfaces[svc.name] != nil:
				useSet = append(useSet, svc)
			case external[svc.name]:
			default:
				if ep, ok := findInterface(found, svc.name); ok {
					reuse = append(reuse, ep)
					switch {
					case ep.privateDns == nil:
						warn(srv.Construct, "privaterdsapi:endpointPrivateDns", fmt.Sprintf(
							"cannot tell whether the VPC's interface endpoint %s (%s) has private DNS (PrivateDnsEnabled is a token): the tasks use it and reach it only with private DNS on. "+
								"Give PrivateDnsEnabled a literal true", ep.path, svc.name))
					case !*ep.privateDns:
						srv.problems = append(srv.problems, PropError{ProblemEndpointWithoutPrivateDns, "Vpc", fmt.Sprintf(
							"the VPC's interface endpoint %s (%s) has private DNS off, so the tasks, which call %s by its public name, would not reach it, and the construct does not add a second endpoint for a service the VPC has. "+
								"Turn its private DNS on (PrivateDnsEnabled: true; CloudFormation's default for a CfnVPCEndpoint is false), or remove it so that the construct creates one",
							ep.path, svc.name, svc.name)})
					}
					continue
				}
				create = append(create, svc)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(external)) {
			if e != nil && e.Interfaces[name] != nil {
				srv.problems = append(srv.problems, PropError{ProblemConflict, "ExistingEndpoints", fmt.Sprintf(
					"Services names %s, which another PrivateRdsApi of this VPC created (%s): a second one with private DNS fails to deploy. Give every PrivateRdsApi of this VPC the same ExistingEndpoints",
					name, *e.Interfaces[name].Node().Path())})
			}
		}
		todo := endpointsPlan{interfaces: len(create) > 0, s3External: s3External}
		if !s3External {
			todo.s3Covered = srv.coveredRouteTables(found)
		}
		return todo
	}
	e, todo := srv.shareEndpoints(p, relPath, scan, plan)
	if e != nil { // the set of the VPC, shared by the API's services
		srv.api.Endpoints = e
	}
	var deps []constructs.IDependable
	if e != nil {
		e.require(create)
		if !todo.s3External {
			e.routeS3(srv.api.Subnets, todo.s3Covered)
		}
		if len(create)+len(useSet) > 0 {
			srv.connections.AllowTo(e.SecurityGroup, https, jsii.String("HTTPS to the VPC interface endpoints"))
		}
		deps = append(deps, e.Construct)
	}
	imported := map[string]bool{}
	for _, ep := range reuse {
		if !slices.Contains(srv.api.ReusedEndpoints, ep.cfn) { // another service may use it too
			srv.api.ReusedEndpoints = append(srv.api.ReusedEndpoints, ep.cfn)
		}
		deps = append(deps, srv.connectReused(ep, https, imported)...)
	}
	// The tasks need the reused endpoints themselves, not only the rules to them: the
	// service waits for those of its stack, and for the VPC's S3 gateway endpoints there
	// (an endpoint in another stack is deployed before this stack, which references it).
	for _, ep := range found {
		if (slices.ContainsFunc(reuse, func(r vpcEndpoint) bool { return r.path == ep.path }) ||
			(!todo.s3External && ep.gateway && strings.HasSuffix(ep.service, ".s3"))) &&
			srv.api.inStack(ep.cfn) {
			deps = append(deps, ep.cfn)
		}
	}
	srv.reportCreatedEndpoints(p, e, create)
	return deps
}

// inStack says whether c is in the construct's stack.
func (a *PrivateRdsApi) inStack(c constructs.IConstruct) bool {
	return *awscdk.Stack_Of(c).Node().Path() == *a.stack.Node().Path()
}
