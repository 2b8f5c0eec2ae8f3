package privaterdsapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// endpointsAre asserts every VPC endpoint of the template by service: the logical id
// prefix of each (one entry per endpoint, in logical id order).
func endpointsAre(t *testing.T, s *synthesized, want map[string][]string) {
	t.Helper()
	got := serviceNames(s)
	if strings.Join(keys(got), ",") != strings.Join(keys(asResources(want)), ",") {
		t.Errorf("endpoints %v, want %v", keys(got), keys(asResources(want)))
	}
	for svc, prefixes := range want {
		list := got[svc]
		if len(list) != len(prefixes) {
			t.Errorf("%s: %d endpoints, want %d (%v)", svc, len(list), len(prefixes), prefixes)
			continue
		}
		for i, r := range list {
			if !strings.HasPrefix(r.id, prefixes[i]) {
				t.Errorf("%s endpoint %s, want one with id prefix %s", svc, r.id, prefixes[i])
			}
		}
	}
}

func asResources(m map[string][]string) map[string][]resource {
	out := map[string][]resource{}
	for k := range m {
		out[k] = nil
	}
	return out
}

// tasksReach asserts HTTPS (443) from the tasks of the API with id prefix api to the
// security group with id prefix group, written on both sides.
func tasksReach(t *testing.T, s *synthesized, api, group string) {
	t.Helper()
	tasks := s.only(t, "AWS::EC2::SecurityGroup", api+"ServiceSecurityGroup").id + ".GroupId"
	target := group
	if !strings.HasPrefix(group, "sg-") {
		target = s.only(t, "AWS::EC2::SecurityGroup", group).id + ".GroupId"
	}
	ingress, egress := s.rules()
	if !contains(rulesOf(ingress, target), "tcp:443-443 from/to "+tasks) {
		t.Errorf("no HTTPS ingress on %s from the tasks: %v", target, rulesOf(ingress, target))
	}
	if !contains(rulesOf(egress, tasks), "tcp:443-443 from/to "+target) {
		t.Errorf("no HTTPS egress from the tasks to %s: %v", target, rulesOf(egress, tasks))
	}
}

// servicesWaitForHttpsRules asserts that every ECS service of the template depends on
// every standalone HTTPS (443) rule of its tasks' security group, wherever CDK put it:
// on the tasks' group, or on another group with the tasks' group as its peer.
func servicesWaitForHttpsRules(t *testing.T, s *synthesized) {
	t.Helper()
	for _, service := range s.resources("AWS::ECS::Service") {
		net := service.props["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
		var tasks []string
		for _, g := range net["SecurityGroups"].([]any) {
			tasks = append(tasks, ref(g))
		}
		deps := asStrings(service.raw["DependsOn"])
		for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
			for _, r := range s.resources(typ) {
				rr := ruleOf(ref(r.props["GroupId"]), r.props)
				if rr.from != "443" || (!contains(tasks, rr.group) && !contains(tasks, rr.peer)) {
					continue
				}
				if !contains(deps, r.id) {
					t.Errorf("%s: service %s does not depend on %s %s (%v)", s.name, service.id, typ, r.id, rr)
				}
			}
		}
	}
}

func TestServicesWaitForEveryHttpsRule(t *testing.T) {
	for _, s := range allScenarios(t) {
		servicesWaitForHttpsRules(t, s)
	}
}

// TestAdoptedEndpointsAreReused: a VPC with an S3 gateway endpoint from
// VpcProps.GatewayEndpoints and a logs endpoint from Vpc.AddInterfaceEndpoint gets neither
// a second time; the tasks reach the logs endpoint through its own group.
func TestAdoptedEndpointsAreReused(t *testing.T) {
	s := scenario(t, "AdoptedEndpoints")
	ours := privaterdsapi.EndpointsId
	endpointsAre(t, s, map[string][]string{"s3": {"VpcS3"}, "logs": {"VpcLogs"}, "ecr.api": {ours}, "ecr.dkr": {ours}})
	tasksReach(t, s, "Api", "LogsEndpointSecurityGroup")
	tasksReach(t, s, "Api", ours)
	api := s.built.Apis[0]
	if api.Endpoints.S3 != nil || len(api.ReusedEndpoints) != 1 || !strings.HasSuffix(*api.ReusedEndpoints[0].Node().Path(), "/Vpc/Logs/Resource") {
		t.Errorf("Endpoints.S3 = %v, ReusedEndpoints = %v; want no S3 gateway of the construct's and the logs endpoint reused", api.Endpoints.S3, api.ReusedEndpoints)
	}
	// The tasks need the reused endpoints themselves: the service waits for them, as it
	// waits for the construct's own.
	servicesWaitForEndpoints(t, s)
}

// servicesWaitForEndpoints checks that every ECS service of s depends on every VPC
// endpoint of its stack.
func servicesWaitForEndpoints(t *testing.T, s *synthesized) {
	t.Helper()
	for _, service := range s.resources("AWS::ECS::Service") {
		for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
			if !contains(asStrings(service.raw["DependsOn"]), e.id) {
				t.Errorf("service %s does not depend on the VPC endpoint %s (%v)", service.id, e.id, e.props["ServiceName"])
			}
		}
	}
}

// TestEndpointsTheAppAlreadyHas: endpoints of the VPC made in the app before the API,
// however made, are reused; those made after fail synthesis; ExistingEndpoints says
// which exist outside the app.
func TestEndpointsTheAppAlreadyHas(t *testing.T) {
	logs := awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS
	ours := privaterdsapi.EndpointsId
	var network awscdk.Stack // of the cross-stack case
	cases := []mistake{
		{name: "an S3 gateway on one route table of two", check: func(t *testing.T, s *synthesized) {
			endpointsAre(t, s, map[string][]string{"s3": {"NetworkVpcS3", ours}, "logs": {ours}, "ecr.api": {ours}, "ecr.dkr": {ours}})
			var tables []string
			for _, e := range serviceNames(s)["s3"] {
				for _, id := range e.props["RouteTableIds"].([]any) {
					tables = append(tables, ref(id))
				}
			}
			sortStrings(tables)
			_, routeTables := subnetsOf(s, "NetworkVpcIsolatedSubnet")
			sameList(t, "S3 gateway route tables (both endpoints)", tables, routeTables)
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			s := envStack(app, "HalfRouted")
			vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
			vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
				Service: awsec2.GatewayVpcEndpointAwsService_S3(), Subnets: &[]*awsec2.SubnetSelection{inAz("eu-west-1a")}})
			return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})}
		}},
		{name: "a raw CfnVPCEndpoint with private DNS and a security group", check: func(t *testing.T, s *synthesized) {
			endpointsAre(t, s, map[string][]string{"s3": {ours}, "logs": {ours}, "ecr.api": {ours}, "ecr.dkr": {"Docker"}})
			tasksReach(t, s, "Api", "DockerEndpointGroup")
			servicesWaitForHttpsRules(t, s)
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			s := envStack(app, "Raw")
			vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
			group := awsec2.NewSecurityGroup(s, jsii.String("DockerEndpointGroup"), &awsec2.SecurityGroupProps{Vpc: vpc, AllowAllOutbound: jsii.Bool(false)})
			awsec2.NewCfnVPCEndpoint(s, jsii.String("Docker"), &awsec2.CfnVPCEndpointProps{
				VpcId: vpc.VpcId(), ServiceName: jsii.String("com.amazonaws.eu-west-1.ecr.dkr"), VpcEndpointType: jsii.String("Interface"),
				PrivateDnsEnabled: jsii.Bool(true), SecurityGroupIds: &[]any{group.SecurityGroupId()},
				SubnetIds: subnetIds(vpc),
			})
			return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})}
		}},
		{name: "a raw CfnVPCEndpoint without private DNS (CloudFormation's default)", path: "NoDns/Api",
			want: []problem{{privaterdsapi.ProblemEndpointWithoutPrivateDns, "Vpc"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "NoDns")
				vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
				awsec2.NewCfnVPCEndpoint(s, jsii.String("Logs"), &awsec2.CfnVPCEndpointProps{
					VpcId: vpc.VpcId(), ServiceName: awscdk.Fn_Sub(jsii.String("com.amazonaws.${AWS::Region}.logs"), nil),
					VpcEndpointType: jsii.String("Interface"), SubnetIds: subnetIds(vpc),
				})
				return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})}
			}},
		{name: "an endpoint on another import of the same VPC", check: func(t *testing.T, s *synthesized) {
			endpointsAre(t, s, map[string][]string{"s3": {ours}, "logs": {"Logs"}, "ecr.api": {ours}, "ecr.dkr": {ours}})
			tasksReach(t, s, "Api", "LogsSecurityGroup")
			servicesWaitForHttpsRules(t, s)
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			s := envStack(app, "Imports")
			awsec2.NewInterfaceVpcEndpoint(s, jsii.String("Logs"), &awsec2.InterfaceVpcEndpointProps{Vpc: scenarios.ImportedVpc(s), Service: logs()})
			again := awsec2.Vpc_FromVpcAttributes(s, jsii.String("SameVpc"), &awsec2.VpcAttributes{
				VpcId: jsii.String("vpc-0a1b2c3d4e5f60718"), AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
				IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"),
				IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"),
			})
			return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: again})}
		}},
		{name: "an endpoint in the VPC's stack, the API in another", check: func(t *testing.T, s *synthesized) {
			s.count(t, "AWS::EC2::VPCEndpoint", 0) // ecr.api, ecr.dkr and S3 are in the VPC's stack
			s.has(t, "AWS::EC2::SecurityGroupIngress", map[string]any{"FromPort": 443,
				"GroupId":               map[string]any{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsii.String("LogsSecurityGroup"))},
				"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id, "GroupId"}}})
			servicesWaitForHttpsRules(t, s)
			if n := len(*network.Dependencies()); n != 0 {
				t.Errorf("the VPC's stack depends on %d stacks, want none (a cycle with the API's)", n)
			}
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			network = envStack(app, "Network")
			vpc := privaterdsapi.NewIsolatedVpc(network, jsii.String("Network"), nil).Vpc
			vpc.AddInterfaceEndpoint(jsii.String("Logs"), &awsec2.InterfaceVpcEndpointOptions{Service: logs()})
			s := envStack(app, "Orders")
			return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})}
		}},
		{name: "an interface endpoint added after the API", path: "LateLogs/Api",
			want: []problem{{privaterdsapi.ProblemDuplicateEndpoint, "Vpc"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "LateLogs")
				vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
				a := api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})
				vpc.AddInterfaceEndpoint(jsii.String("Logs"), &awsec2.InterfaceVpcEndpointOptions{Service: logs()})
				return s, []*privaterdsapi.PrivateRdsApi{a}
			}},
		{name: "an S3 gateway added after the API, to the VPC the API created", path: "LateS3/Api",
			want: []problem{{privaterdsapi.ProblemDuplicateEndpoint, "Vpc"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "LateS3")
				a := api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s)})
				a.Vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{Service: awsec2.GatewayVpcEndpointAwsService_S3()})
				return s, []*privaterdsapi.PrivateRdsApi{a}
			}},
		{name: "ExistingEndpoints with some services, no S3 gateway, in one AZ", check: func(t *testing.T, s *synthesized) {
			endpointsAre(t, s, map[string][]string{"s3": {ours}, "logs": {ours}})
			if ids := serviceNames(s)["logs"][0].props["SubnetIds"].([]any); len(ids) != 1 || ids[0] != "subnet-0aaaaaaaaaaaaaaa1" {
				t.Errorf("logs endpoint in %v, want EndpointSubnets' subnet-0aaaaaaaaaaaaaaa1", ids)
			}
			tasksReach(t, s, "Api", "sg-0e1f2a3b4c5d6e7f8")
			tasksReach(t, s, "Api", ours)
			servicesWaitForHttpsRules(t, s)
		}, build: oneApi(envStack, "Partial", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
				EndpointSubnets: inAz("eu-west-1a"),
				ExistingEndpoints: &privaterdsapi.ExistingEndpoints{
					SecurityGroups:    &[]awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("Endpoints"), jsii.String("sg-0e1f2a3b4c5d6e7f8"), nil)},
					Services:          &[]awsec2.InterfaceVpcEndpointAwsService{awsec2.InterfaceVpcEndpointAwsService_ECR(), awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER()},
					S3GatewayEndpoint: jsii.Bool(false),
				}}
		})},
		{name: "ExistingEndpoints with the S3 gateway only", check: func(t *testing.T, s *synthesized) {
			endpointsAre(t, s, map[string][]string{"logs": {ours}, "ecr.api": {ours}, "ecr.dkr": {ours}})
			tasks := s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
			_, egress := s.rules()
			for _, r := range rulesOf(egress, tasks) {
				if strings.Contains(r, "10.20.0.0/16") {
					t.Errorf("egress to the VPC's CIDR block although no interface endpoint exists outside: %s", r)
				}
			}
		}, build: oneApi(envStack, "S3Only", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
				ExistingEndpoints: &privaterdsapi.ExistingEndpoints{Services: &[]awsec2.InterfaceVpcEndpointAwsService{}}}
		})},
		{name: "ExistingEndpoints names a service another API of the VPC created", path: "Declared/Billing",
			want: []problem{{privaterdsapi.ProblemConflict, "ExistingEndpoints"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "Declared")
				vpc := scenarios.ImportedVpc(s)
				first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})
				second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc,
					ExistingEndpoints: &privaterdsapi.ExistingEndpoints{Services: &[]awsec2.InterfaceVpcEndpointAwsService{awsec2.InterfaceVpcEndpointAwsService_ECR()}}})
				return s, []*privaterdsapi.PrivateRdsApi{first, second}
			}},
		{name: "ExistingEndpoints names another stack's endpoints, which lack one", path: "Second/Api",
			want: []problem{{privaterdsapi.ProblemMissingEndpoint, "ExistingEndpoints.Services"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				_, second, apis := twoStacksOneVpc(app, nil)
				return second, apis
			}},
		{name: "ExistingEndpoints lists another stack's endpoints; this stack creates the rest", check: func(t *testing.T, s *synthesized) {
			// Only what the first stack's endpoints lack: secretsmanager, in this stack.
			endpointsAre(t, s, map[string][]string{"secretsmanager": {ours}})
			tasksReach(t, s, "Api", ours)
			servicesWaitForEndpoints(t, s)
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			_, second, apis := twoStacksOneVpc(app, &[]awsec2.InterfaceVpcEndpointAwsService{
				awsec2.InterfaceVpcEndpointAwsService_ECR(), awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER(), logs()})
			return second, apis
		}},
		{name: "a secret of unknown origin", check: func(t *testing.T, s *synthesized) {
			got := keys(serviceNames(s))
			if !contains(got, "ssm") || !contains(got, "secretsmanager") {
				t.Errorf("endpoints %v, want both ssm and secretsmanager", got)
			}
			if err := catch(func() {
				assertions.Annotations_FromStack(s.built.Stack).HasWarning(jsii.String("/Unknown/Api"),
					assertions.Match_StringLikeRegexp(jsii.String("Secrets\\[TOKEN\\]: cannot tell whether")))
			}); err != nil {
				t.Error(err)
			}
		}, build: oneApi(envStack, "Unknown", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Secrets: &map[string]awsecs.Secret{"TOKEN": unknownSecret(s)}}
		})},
	}
	runMistakes(t, cases)
}

// opaqueSecret is an ECS secret of the user's own making (an awsecs.Secret subclass) that
// says neither whether it uses a JSON field (as Secrets Manager's do) nor, in its ARN (a
// parameter of the stack), its service.
type opaqueSecret struct {
	awsecs.Secret
	arn *string
}

func (o *opaqueSecret) Arn() *string    { return o.arn }
func (o *opaqueSecret) HasField() *bool { return nil }
func (o *opaqueSecret) GrantRead(grantee awsiam.IGrantable) awsiam.Grant {
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{Grantee: grantee,
		Actions: jsii.Strings("secretsmanager:GetSecretValue", "ssm:GetParameters"), ResourceArns: &[]*string{o.arn}})
}

func unknownSecret(s awscdk.Stack) awsecs.Secret {
	o := &opaqueSecret{arn: awscdk.NewCfnParameter(s, jsii.String("TokenArn"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()}
	awsecs.NewSecret_Override(o)
	return o
}

// subnetIds are the IDs of the VPC's isolated subnets, as a CfnVPCEndpoint takes them.
func subnetIds(vpc awsec2.IVpc) *[]any {
	var out []any
	for _, id := range *vpc.SelectSubnets(nil).SubnetIds {
		out = append(out, id)
	}
	return &out
}

// twoStacksOneVpc builds the same VPC (by its literal ID) in two stacks: in First an API
// without secrets, whose endpoints are ecr.api, ecr.dkr, logs and the S3 gateway; in
// Second an API with a database secret that declares First's endpoints with
// ExistingEndpoints, listing services (nil: all exist).
func twoStacksOneVpc(app awscdk.App, services *[]awsec2.InterfaceVpcEndpointAwsService) (first, second awscdk.Stack, apis []*privaterdsapi.PrivateRdsApi) {
	first = envStack(app, "First")
	vpc := scenarios.ImportedVpc(first)
	apis = append(apis, api(first, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(first), Vpc: vpc}))
	second = envStack(app, "Second")
	secret := awssecretsmanager.Secret_FromSecretCompleteArn(second, jsii.String("DatabaseSecret"),
		jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf"))
	apis = append(apis, api(second, "Api", &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(second), Vpc: scenarios.ImportedVpc(second),
		Database: awsec2.NewConnections(&awsec2.ConnectionsProps{
			SecurityGroups: &[]awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(second, jsii.String("DatabaseGroup"), jsii.String("sg-0d1e2f3a4b5c6d7e8"), nil)},
			DefaultPort:    awsec2.Port_Tcp(jsii.Number(5432)),
		}),
		DatabaseSecret:    secret,
		DatabaseHost:      jsii.String("orders.example.internal"),
		ExistingEndpoints: &privaterdsapi.ExistingEndpoints{SecurityGroups: &[]awsec2.ISecurityGroup{privaterdsapi.EndpointsOf(vpc).SecurityGroup}, Services: services},
	}))
	return first, second, apis
}

// TestImportedVpcSaysWhichEndpointsItGets: in a VPC imported into the app, endpoints made
// outside the app cannot be seen, so the construct says, as information at synthesis,
// which endpoints it creates and how to declare existing ones.
func TestImportedVpcSaysWhichEndpointsItGets(t *testing.T) {
	s := scenario(t, "ExistingAccount")
	if err := catch(func() {
		assertions.Annotations_FromStack(s.built.Stack).HasInfo(jsii.String("/ExistingAccount/Api"), assertions.Match_StringLikeRegexp(jsii.String(
			"creates the VPC endpoints ecr.api, ecr.dkr, logs, secretsmanager, the S3 gateway in the imported VPC ExistingAccount/Vpc\\..*ExistingEndpoints")))
	}); err != nil {
		t.Error(err)
	}
	// A VPC made in the app gets no such note: its endpoints are all in view.
	for _, name := range []string{"RdsInstance", "AdoptedEndpoints"} {
		if infos := assertions.Annotations_FromStack(scenario(t, name).built.Stack).FindInfo(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("creates the VPC endpoints"))); len(*infos) != 0 {
			t.Errorf("%s: %d notes about created endpoints, want none", name, len(*infos))
		}
	}
}
