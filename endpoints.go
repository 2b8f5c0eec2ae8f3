package privaterdsapi

import (
	"encoding/json"
	"fmt"
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
// VPC construct, in the VPC's stack (see EndpointsId), created by the first PrivateRdsApi
// in the VPC and extended by the others. Pass the same IVpc object to every
// PrivateRdsApi of a VPC: two imports of one VPC are two constructs and would get two
// sets of endpoints, which fail to deploy.
type PrivateEndpoints struct {
	constructs.Construct

	// SecurityGroup guards the interface endpoints.
	SecurityGroup awsec2.SecurityGroup
	// Interfaces are the interface endpoints by service short name, such as "ecr.api".
	Interfaces map[string]awsec2.InterfaceVpcEndpoint
	// S3 is the S3 gateway endpoint.
	S3 awsec2.GatewayVpcEndpoint

	vpc           awsec2.IVpc
	subnets       *awsec2.SubnetSelection
	routeTableIds []*string
}

var (
	endpointsMu       sync.Mutex
	endpointsRegistry = map[constructs.IConstruct]*PrivateEndpoints{}
)

// EndpointsOf returns the endpoints that PrivateRdsApi created in vpc, or nil.
func EndpointsOf(vpc awsec2.IVpc) *PrivateEndpoints {
	child := awscdk.Stack_Of(vpc).Node().TryFindChild(jsii.String(endpointsIdOf(vpc)))
	if child == nil {
		return nil
	}
	endpointsMu.Lock()
	e := endpointsRegistry[child]
	endpointsMu.Unlock()
	if e == nil || e.vpc != vpc {
		panic(fmt.Sprintf("privaterdsapi: construct %q exists but does not hold the endpoints of VPC %q",
			*child.Node().Path(), *vpc.Node().Path()))
	}
	return e
}

func endpointsIdOf(vpc awsec2.IVpc) string {
	stackPath := *awscdk.Stack_Of(vpc).Node().Path()
	rel := strings.TrimPrefix(strings.TrimPrefix(*vpc.Node().Path(), stackPath), "/")
	return EndpointsId + "-" + strings.ReplaceAll(rel, "/", "-")
}

// sharedEndpoints returns the endpoints of vpc, created on first use in subnets.
func sharedEndpoints(vpc awsec2.IVpc, subnets *awsec2.SubnetSelection) *PrivateEndpoints {
	if e := EndpointsOf(vpc); e != nil {
		return e
	}
	e := &PrivateEndpoints{
		Construct:  constructs.NewConstruct(awscdk.Stack_Of(vpc), jsii.String(endpointsIdOf(vpc))),
		Interfaces: map[string]awsec2.InterfaceVpcEndpoint{},
		vpc:        vpc,
		subnets:    subnets,
	}
	e.SecurityGroup = closedSecurityGroup(e.Construct, "SecurityGroup", vpc, "VPC interface endpoints: HTTPS from the privaterdsapi tasks only")
	e.S3 = awsec2.NewGatewayVpcEndpoint(e.Construct, jsii.String("S3"), &awsec2.GatewayVpcEndpointProps{
		Vpc:     vpc,
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{subnets},
	})
	// Every PrivateRdsApi in the VPC adds its route tables; the list is read at synthesis.
	e.S3.Node().DefaultChild().(awsec2.CfnVPCEndpoint).AddPropertyOverride(
		jsii.String("RouteTableIds"), awscdk.Lazy_List(&routeTables{e}, nil))
	endpointsMu.Lock()
	endpointsRegistry[e.Construct] = e
	endpointsMu.Unlock()
	return e
}

type routeTables struct{ e *PrivateEndpoints }

// Produce implements awscdk.IStableListProducer.
func (r *routeTables) Produce() *[]*string {
	out := append([]*string(nil), r.e.routeTableIds...)
	return &out
}

// require creates the interface endpoints of services that do not exist yet.
func (e *PrivateEndpoints) require(services []awsec2.InterfaceVpcEndpointAwsService) {
	for _, svc := range services {
		name := *svc.ShortName()
		if _, ok := e.Interfaces[name]; ok {
			continue
		}
		e.Interfaces[name] = awsec2.NewInterfaceVpcEndpoint(e.Construct, jsii.String(endpointId(name)), &awsec2.InterfaceVpcEndpointProps{
			Vpc:               e.vpc,
			Service:           svc,
			Subnets:           e.subnets,
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(false),
			SecurityGroups:    &[]awsec2.ISecurityGroup{e.SecurityGroup},
		})
	}
}

// routeS3 puts the S3 gateway endpoint on the route tables of subnets.
func (e *PrivateEndpoints) routeS3(subnets *awsec2.SelectedSubnets) {
	for _, s := range *subnets.Subnets {
		id := s.RouteTable().RouteTableId()
		known := false
		for _, have := range e.routeTableIds {
			known = known || *have == *id
		}
		if !known {
			e.routeTableIds = append(e.routeTableIds, id)
		}
	}
}

// ruleResources returns the standalone rule resources written so far under the given
// security groups' constructs, not the groups themselves.
func ruleResources(groups ...awsec2.SecurityGroup) []constructs.IDependable {
	var out []constructs.IDependable
	for _, g := range groups {
		for _, c := range *g.Node().Children() {
			if c != g.Node().DefaultChild() {
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
// the secrets injected from each, and whatever the user adds.
func (a *PrivateRdsApi) endpointServices(p *settings) []awsec2.InterfaceVpcEndpointAwsService {
	services := []awsec2.InterfaceVpcEndpointAwsService{
		awsec2.InterfaceVpcEndpointAwsService_ECR(),
		awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER(),
		awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS(),
	}
	secretsManager, ssm := p.DatabaseSecret != nil, false
	if p.Secrets != nil {
		for _, secret := range *p.Secrets {
			if a.isSsmParameter(secret) {
				ssm = true
			} else {
				secretsManager = true
			}
		}
	}
	if secretsManager {
		services = append(services, awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER())
	}
	if ssm {
		services = append(services, awsec2.InterfaceVpcEndpointAwsService_SSM())
	}
	if p.AdditionalEndpoints != nil {
		services = append(services, *p.AdditionalEndpoints...)
	}
	return services
}

// isSsmParameter says whether an ECS secret comes from SSM Parameter Store: its ARN,
// resolved, names the ssm service ("arn:aws:ssm:..." or a Fn::Join with ":ssm:").
// Anything unreadable counts as Secrets Manager.
func (a *PrivateRdsApi) isSsmParameter(secret awsecs.Secret) bool {
	var resolved any
	if jsiiPanic(func() { resolved = awscdk.Stack_Of(a.Construct).Resolve(secret.Arn()) }) != nil {
		return false
	}
	b, err := json.Marshal(resolved)
	return err == nil && strings.Contains(string(b), ":ssm:")
}

// connectEndpoints gives the tasks their way to AWS services: the shared endpoints (or
// the existing ones) and S3, with task egress limited to HTTPS towards them.
func (a *PrivateRdsApi) connectEndpoints(p *settings) {
	https := awsec2.Port_Tcp(jsii.Number(443))
	switch {
	case p.ExistingEndpoints == nil:
		a.Endpoints = sharedEndpoints(a.Vpc, a.Subnets)
		a.Endpoints.require(a.endpointServices(p))
		a.Endpoints.routeS3(a.Vpc.SelectSubnets(a.Subnets))
		a.Service.Connections().AllowTo(a.Endpoints.SecurityGroup, https, jsii.String("HTTPS to the VPC interface endpoints"))
	case p.ExistingEndpoints.SecurityGroups != nil && len(*p.ExistingEndpoints.SecurityGroups) > 0:
		for _, sg := range *p.ExistingEndpoints.SecurityGroups {
			a.Service.Connections().AllowTo(sg, https, jsii.String("HTTPS to the existing VPC interface endpoints"))
		}
	default:
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_Ipv4(a.Vpc.VpcCidrBlock()), https,
			jsii.String("HTTPS to the existing VPC interface endpoints"), nil)
	}
	// Tasks started before their endpoints and rules exist cannot pull their image, and the
	// circuit breaker would roll the first deployment back: the service waits for them.
	a.Service.Node().AddDependency(ruleResources(a.ServiceSecurityGroup, a.LoadBalancerSecurityGroup)...)
	if a.Endpoints != nil {
		a.Service.Node().AddDependency(a.Endpoints.Construct)
	}
	if p.S3PrefixListId != nil {
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_PrefixList(p.S3PrefixListId), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint"), nil)
	} else {
		a.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), https,
			jsii.String("HTTPS to S3 (image layers) through the gateway endpoint; the subnets have no internet route"), nil)
	}
}
