package privaterdsapi_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/cfntemplate"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// Each scenario is synthesized once (template_test.go) and asserted on by many tests.

func TestNewVpcIsIsolated(t *testing.T) {
	s := scenario(t, "Default")
	for _, typ := range []string{"AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
		"AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EgressOnlyInternetGateway"} {
		s.count(t, typ, 0)
	}
	s.count(t, "AWS::EC2::VPC", 1)
	s.has(t, "AWS::EC2::VPC", map[string]any{"EnableDnsSupport": true, "EnableDnsHostnames": true})
	s.count(t, "AWS::EC2::Subnet", 2) // MaxAzs default 2, one isolated subnet each
	for _, sub := range s.resources("AWS::EC2::Subnet") {
		if sub.props["MapPublicIpOnLaunch"] != false {
			t.Errorf("subnet %s: MapPublicIpOnLaunch = %v, want false", sub.id, sub.props["MapPublicIpOnLaunch"])
		}
	}
	// No route anywhere but the VPC itself (and the S3 gateway endpoint's prefix list).
	s.count(t, "AWS::EC2::Route", 0)
	s.has(t, "AWS::EC2::FlowLog", map[string]any{"ResourceType": "VPC", "TrafficType": "ALL"})
	s.count(t, "Custom::VpcRestrictDefaultSG", 0)

	// Three AZs where the environment is known.
	scenario(t, "EnvSpecific").count(t, "AWS::EC2::Subnet", 3)
}

func TestUserVpcGetsNoNetworkWideResources(t *testing.T) {
	for _, name := range []string{"ImportedDatabase", "ExistingEndpoints"} {
		s := scenario(t, name)
		for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::FlowLog",
			"AWS::EC2::InternetGateway", "AWS::EC2::NatGateway"} {
			s.count(t, typ, 0)
		}
	}
	// The imported VPC's isolated subnets carry the service, the NLB and the VPC link.
	s := scenario(t, "ImportedDatabase")
	subnets := []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"}
	s.has(t, "AWS::ECS::Service", map[string]any{"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{"Subnets": subnets}}})
	s.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Subnets": subnets})
	s.has(t, "AWS::ApiGatewayV2::VpcLink", map[string]any{"SubnetIds": subnets})
	s.has(t, "AWS::EC2::VPCEndpoint", map[string]any{"VpcEndpointType": "Gateway",
		"RouteTableIds": []any{"rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"}})
}

// serviceNames maps each VPC endpoint's service (ecr.api, s3, ...) to its resources.
// ServiceName is {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".ecr.api"]]},
// or a plain string where the region is known.
func serviceNames(s *synthesized) map[string][]resource {
	out := map[string][]resource{}
	for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
		var name string
		switch v := e.props["ServiceName"].(type) {
		case string: // a concrete region: com.amazonaws.eu-west-1.ecr.api
			name = strings.SplitN(v, ".", 4)[3]
		case map[string]any:
			parts := v["Fn::Join"].([]any)[1].([]any)
			name = strings.TrimPrefix(parts[len(parts)-1].(string), ".")
		}
		out[name] = append(out[name], e)
	}
	return out
}

func keys(m map[string][]resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func TestEndpointsFollowWhatTheTaskUses(t *testing.T) {
	cases := map[string][]string{
		"Default":           {"ecr.api", "ecr.dkr", "logs", "s3"},
		"RdsInstance":       {"ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"},
		"EveryProp":         {"ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "sqs", "ssm"},
		"TwoApisOneVpc":     {"ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"},
		"ExistingEndpoints": nil,
	}
	for name, want := range cases {
		s := scenario(t, name)
		got := serviceNames(s)
		if strings.Join(keys(got), ",") != strings.Join(want, ",") {
			t.Errorf("%s: endpoints %v, want %v", name, keys(got), want)
		}
		for svc, list := range got {
			if len(list) != 1 {
				t.Errorf("%s: %d endpoints for %s, want exactly 1 (private DNS clash)", name, len(list), svc)
			}
			e := list[0]
			if svc == "s3" {
				if e.props["VpcEndpointType"] != "Gateway" || e.props["RouteTableIds"] == nil {
					t.Errorf("%s: S3 endpoint %s: want a gateway endpoint on route tables, got %v", name, e.id, e.props)
				}
				continue
			}
			if e.props["VpcEndpointType"] != "Interface" || e.props["PrivateDnsEnabled"] != true {
				t.Errorf("%s: %s endpoint %s: want interface with private DNS, got %v", name, svc, e.id, e.props)
			}
			groups, _ := e.props["SecurityGroupIds"].([]any)
			if len(groups) != 1 || !strings.HasPrefix(ref(groups[0]), "PrivateRdsApiEndpoints") {
				t.Errorf("%s: %s endpoint %s: security groups %v, want only the shared endpoint group", name, svc, e.id, groups)
			}
		}
	}
}

// endpointsAdmitOnly asserts that the endpoints' security group admits HTTPS from the
// tasks of the APIs named (by construct id), and from nothing else.
func endpointsAdmitOnly(t *testing.T, s *synthesized, apis ...string) {
	t.Helper()
	endpointSG := s.only(t, "AWS::EC2::SecurityGroup", "PrivateRdsApiEndpoints").id + ".GroupId"
	var want []string
	for _, a := range apis {
		want = append(want, "tcp:443-443 from/to "+s.only(t, "AWS::EC2::SecurityGroup", a+"ServiceSecurityGroup").id+".GroupId")
	}
	sortStrings(want)
	ingress, _ := s.rules()
	if got := rulesOf(ingress, endpointSG); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: endpoint ingress:\n got %v\nwant %v", s.name, got, want)
	}
}

func TestTwoApisInOneVpcShareEndpoints(t *testing.T) {
	s := scenario(t, "TwoApisOneVpc")
	endpointsAdmitOnly(t, s, "Orders", "Billing")
	// Both APIs' route tables (the same subnets), each once: those of the isolated subnets.
	_, routeTables := subnetsOf(s, "NetworkVpcIsolatedSubnet")
	sameList(t, "S3 gateway route tables", refs(serviceNames(s)["s3"][0].props["RouteTableIds"]), routeTables)
	// Everything else exists twice, with no name that could collide.
	for _, typ := range []string{"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup",
		"AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ApiGateway::RestApi"} {
		s.count(t, typ, 2)
	}
	// One account role per stack, shared.
	s.count(t, "AWS::ApiGateway::Account", 1)
	s.count(t, "AWS::ApiGateway::VpcLink", 1)
	s.count(t, "AWS::ApiGatewayV2::VpcLink", 1)
}

// The endpoints' construct id is part of their logical ids: it must not depend on how
// the construct learns the VPC's path (from its own id at the stack's root, without a
// jsii call, or by asking), or endpoints would be replaced on upgrade.
func TestEndpointsIdIsTheVpcPath(t *testing.T) {
	app := awscdk.NewApp(nil)
	root := awscdk.NewStack(app, jsii.String("Root"), nil)
	nested := awscdk.NewStack(app, jsii.String("Nested"), nil)
	group := constructs.NewConstruct(nested, jsii.String("Group"))
	escaped := awscdk.NewStack(app, jsii.String("Escaped"), nil)
	for _, c := range []struct {
		scope constructs.Construct
		id    string
		want  string
	}{
		{root, "Api", "PrivateRdsApiEndpoints-Api-Network-Vpc"},
		{group, "Api", "PrivateRdsApiEndpoints-Group-Api-Network-Vpc"},
		{escaped, "Team/Api", "PrivateRdsApiEndpoints-Team--Api-Network-Vpc"},
	} {
		api := privaterdsapi.NewPrivateRdsApi(c.scope, jsii.String(c.id), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(awscdk.Stack_Of(c.scope))})
		e := privaterdsapi.EndpointsOf(api.Vpc)
		if got := *e.Node().Id(); got != c.want {
			t.Errorf("%s: endpoints id %q, want %q", *api.Node().Path(), got, c.want)
		}
		if got, want := *e.Node().Path(), *awscdk.Stack_Of(c.scope).Node().Path()+"/"+c.want; got != want {
			t.Errorf("%s: endpoints path %q, want %q (in the VPC's stack)", *api.Node().Path(), got, want)
		}
	}
}

func TestNoPhysicalNames(t *testing.T) {
	named := map[string][]string{
		"AWS::ElasticLoadBalancingV2::LoadBalancer": {"Name"},
		"AWS::ElasticLoadBalancingV2::TargetGroup":  {"Name"},
		"AWS::EC2::SecurityGroup":                   {"GroupName"},
		"AWS::ECS::Service":                         {"ServiceName"},
		"AWS::ECS::Cluster":                         {"ClusterName"},
		"AWS::Logs::LogGroup":                       {"LogGroupName"},
		"AWS::IAM::Role":                            {"RoleName"},
		"AWS::CloudWatch::Alarm":                    {"AlarmName"},
		"AWS::CloudWatch::Dashboard":                {"DashboardName"},
		"AWS::ApiGateway::RestApi":                  {}, // Name is CDK's construct-path name
	}
	for _, s := range allScenarios(t) {
		for typ, props := range named {
			for _, r := range s.resources(typ) {
				for _, p := range props {
					if v, ok := r.props[p]; ok {
						t.Errorf("%s: %s %s has physical name %s=%v", s.name, typ, r.id, p, v)
					}
				}
			}
		}
	}
}

func TestNoOpenIngress(t *testing.T) {
	for _, s := range allScenarios(t) {
		ingress, egress := s.rules()
		for _, r := range ingress {
			if strings.Contains(r.peer, "0.0.0.0/0") || strings.Contains(r.peer, "::/0") || strings.Contains(r.peer, "CidrBlock") ||
				strings.HasPrefix(r.peer, "10.") {
				t.Errorf("%s: ingress from a CIDR: %v", s.name, r)
			}
			if r.proto == "-1" {
				t.Errorf("%s: ingress of all protocols: %v", s.name, r)
			}
		}
		for _, r := range egress {
			// The scenarios' own RDS instance keeps CDK's default egress; it is not the
			// construct's to restrict.
			if r.proto == "-1" && !strings.HasPrefix(r.group, "Database") {
				t.Errorf("%s: egress of all traffic: %v", s.name, r)
			}
		}
	}
}

func TestSecurityGroupRulesDefault(t *testing.T) {
	for _, name := range []string{"Default", "VpcLinkV1"} {
		s := scenario(t, name)
		tasks := s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
		nlb := s.only(t, "AWS::EC2::SecurityGroup", "ApiLoadBalancerSecurityGroup").id + ".GroupId"
		endpoints := s.only(t, "AWS::EC2::SecurityGroup", "PrivateRdsApiEndpoints").id + ".GroupId"
		ingress, egress := s.rules()

		check := func(what string, got, want []string) {
			t.Helper()
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: %s:\n got %q\nwant %q", name, what, got, want)
			}
		}
		check("task ingress", rulesOf(ingress, tasks), []string{"tcp:8080-8080 from/to " + nlb})
		check("task egress", rulesOf(egress, tasks), sorted(
			"tcp:443-443 from/to 0.0.0.0/0",
			"tcp:443-443 from/to "+endpoints,
		))
		check("endpoint ingress", rulesOf(ingress, endpoints), []string{"tcp:443-443 from/to " + tasks})
		check("endpoint egress", rulesOf(egress, endpoints), []string{"icmp:252-86 from/to 255.255.255.255/32"})
		check("load balancer egress", rulesOf(egress, nlb), []string{"tcp:8080-8080 from/to " + tasks})
		if name == "VpcLinkV1" {
			check("load balancer ingress (V1, PrivateLink not enforced)", rulesOf(ingress, nlb), nil)
			s.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "off"})
			continue
		}
		link := s.only(t, "AWS::EC2::SecurityGroup", "ApiVpcLinkSecurityGroup").id + ".GroupId"
		check("load balancer ingress (V2)", rulesOf(ingress, nlb), []string{"tcp:80-80 from/to " + link})
		check("VPC link egress", rulesOf(egress, link), []string{"tcp:80-80 from/to " + nlb})
		check("VPC link ingress", rulesOf(ingress, link), nil)
		s.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "on"})
		s.has(t, "AWS::ApiGatewayV2::VpcLink", map[string]any{"SecurityGroupIds": []any{map[string]any{"Fn::GetAtt": []any{strings.TrimSuffix(link, ".GroupId"), "GroupId"}}}})
	}
}

func sorted(v ...string) []string { sortStrings(v); return v }

func TestDatabaseOpenOnlyToTasks(t *testing.T) {
	s := scenario(t, "RdsInstance")
	tasks := s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
	dbSG := s.only(t, "AWS::EC2::SecurityGroup", "DatabaseSecurityGroup").id + ".GroupId"
	ingress, egress := s.rules()
	port := s.only(t, "AWS::RDS::DBInstance", "Database").id + ".Endpoint.Port"
	if got := rulesOf(ingress, dbSG); strings.Join(got, "|") != "tcp:"+port+"-"+port+" from/to "+tasks {
		t.Errorf("database ingress: %v", got)
	}
	found := false
	for _, r := range rulesOf(egress, tasks) {
		found = found || strings.HasSuffix(r, dbSG) && strings.Contains(r, "Endpoint.Port")
	}
	if !found {
		t.Errorf("no task egress to the database: %v", rulesOf(egress, tasks))
	}

	// Imported database: its security group ID, the default port, from the tasks only.
	s = scenario(t, "ImportedDatabase")
	tasks = s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
	ingress, egress = s.rules()
	if got := rulesOf(ingress, "sg-0d1e2f3a4b5c6d7e8"); strings.Join(got, "|") != "tcp:5432-5432 from/to "+tasks {
		t.Errorf("imported database ingress: %v", got)
	}
	if got := rulesOf(egress, tasks); !contains(got, "tcp:5432-5432 from/to sg-0d1e2f3a4b5c6d7e8") {
		t.Errorf("task egress to the imported database missing: %v", got)
	}

	// DatabasePort overrides the default port.
	_, egress = scenario(t, "EveryProp").rules()
	found = false
	for _, r := range egress {
		found = found || (r.from == "3306" && r.peer == "sg-0d1e2f3a4b5c6d7e8")
	}
	if !found {
		t.Error("EveryProp: no egress to the database on DatabasePort 3306")
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestLoadBalancer(t *testing.T) {
	s := scenario(t, "Default")
	s.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"Type": "network", "Scheme": "internal",
		"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}}),
		"SecurityGroups":         assertions.Match_AnyValue(),
	})
	s.has(t, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 80, "Protocol": "TCP"})
	s.has(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
		"Port": 8080, "Protocol": "TCP", "TargetType": "ip",
		"HealthCheckEnabled": true, "HealthCheckProtocol": "TCP", "HealthCheckIntervalSeconds": 10,
		"HealthCheckTimeoutSeconds": assertions.Match_Absent(), "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
		"TargetGroupAttributes": []any{map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}},
	})
	e := scenario(t, "EveryProp")
	e.has(t, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 8443, "Protocol": "TCP"})
	e.has(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
		"Port": 3000, "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/healthz", "Matcher": map[string]any{"HttpCode": "200-399"},
		"TargetGroupAttributes": []any{map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}},
	})
	e.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Key": "access_logs.s3.enabled", "Value": "true"},
			map[string]any{"Key": "access_logs.s3.bucket", "Value": "orders-nlb-access-logs"},
			map[string]any{"Key": "access_logs.s3.prefix", "Value": "orders"},
		}),
	})
}

func TestFargateService(t *testing.T) {
	s := scenario(t, "Default")
	s.has(t, "AWS::ECS::Cluster", map[string]any{"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "enabled"}}})
	s.has(t, "AWS::ECS::TaskDefinition", map[string]any{
		"Cpu": "256", "Memory": "512", "NetworkMode": "awsvpc", "RequiresCompatibilities": []any{"FARGATE"},
		"RuntimePlatform": map[string]any{"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
		"ContainerDefinitions": []any{map[string]any{
			"Name":         "app",
			"PortMappings": []any{map[string]any{"ContainerPort": 8080, "Protocol": "tcp"}},
			"LogConfiguration": map[string]any{"LogDriver": "awslogs", "Options": map[string]any{
				"awslogs-group": map[string]any{"Ref": s.only(t, "AWS::Logs::LogGroup", "ApiLogGroup").id}}},
		}},
	})
	logRetention(t, s, 30, "ApiAccessLogGroup", "ApiLogGroup", "ApiNetworkFlowLogGroup")
	s.count(t, "Custom::LogRetention", 0)
	s.has(t, "AWS::ECS::Service", map[string]any{
		"LaunchType": "FARGATE", "HealthCheckGracePeriodSeconds": 180, "PlatformVersion": "LATEST",
		"EnableExecuteCommand": false,
		"DeploymentConfiguration": map[string]any{
			"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
			"MinimumHealthyPercent":    100,
		},
		"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{"AssignPublicIp": "DISABLED"}},
		"LoadBalancers":        []any{map[string]any{"ContainerName": "app", "ContainerPort": 8080}},
	})
	// The service starts only when its listener, endpoints and security group rules exist.
	service := s.only(t, "AWS::ECS::Service", "Api")
	for _, r := range append(append(append(s.resources("AWS::EC2::VPCEndpoint"), s.resources("AWS::EC2::SecurityGroupEgress")...),
		s.resources("AWS::EC2::SecurityGroupIngress")...), s.resources("AWS::ElasticLoadBalancingV2::Listener")...) {
		if strings.Contains(r.id, "VpcLinkSecurityGroup") {
			continue // API Gateway to the NLB: not needed for a task to start
		}
		if !contains(asStrings(service.raw["DependsOn"]), r.id) {
			t.Errorf("service does not depend on %s %s", r.raw["Type"], r.id)
		}
	}
	s.has(t, "AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 1, "MaxCapacity": 2})
	s.has(t, "AWS::ApplicationAutoScaling::ScalingPolicy", map[string]any{
		"PolicyType": "TargetTrackingScaling",
		"TargetTrackingScalingPolicyConfiguration": map[string]any{
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
			"TargetValue":                   80,
		},
	})

	e := scenario(t, "EveryProp")
	e.has(t, "AWS::ECS::TaskDefinition", map[string]any{"Cpu": "512", "Memory": "2048",
		"RuntimePlatform": map[string]any{"CpuArchitecture": "ARM64"}})
	e.has(t, "AWS::ECS::Service", map[string]any{"HealthCheckGracePeriodSeconds": 300})
	e.has(t, "AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 2, "MaxCapacity": 6})
	e.has(t, "AWS::ApplicationAutoScaling::ScalingPolicy", map[string]any{
		"TargetTrackingScalingPolicyConfiguration": map[string]any{"TargetValue": 60}})
	logRetention(t, e, 90, "ApiAccessLogGroup", "ApiLogGroup", "ApiNetworkFlowLogGroup")
}

// logRetention asserts the template's log groups, by logical id prefix in id order, and
// that every one of them keeps its events days days (RetentionInDays).
func logRetention(t *testing.T, s *synthesized, days int, prefixes ...string) {
	t.Helper()
	groups := s.resources("AWS::Logs::LogGroup")
	if len(groups) != len(prefixes) {
		t.Errorf("%s: %d log groups, want %d (%v)", s.name, len(groups), len(prefixes), prefixes)
	}
	for i, lg := range groups {
		if i < len(prefixes) && !strings.HasPrefix(lg.id, prefixes[i]) {
			t.Errorf("%s: log group %s, want one with id prefix %s", s.name, lg.id, prefixes[i])
		}
		if lg.props["RetentionInDays"] != float64(days) {
			t.Errorf("%s: log group %s: RetentionInDays %v, want %d", s.name, lg.id, lg.props["RetentionInDays"], days)
		}
	}
}

// container returns the one container definition of the scenario's task definition.
func container(t *testing.T, s *synthesized) (env, secrets map[string]any) {
	td := s.only(t, "AWS::ECS::TaskDefinition", "Api")
	c := td.props["ContainerDefinitions"].([]any)[0].(map[string]any)
	env, secrets = map[string]any{}, map[string]any{}
	for _, e := range asList(c["Environment"]) {
		env[e["Name"].(string)] = e["Value"]
	}
	for _, e := range asList(c["Secrets"]) {
		secrets[e["Name"].(string)] = e["ValueFrom"]
	}
	return env, secrets
}

func asStrings(v any) []string { return cfntemplate.Strings(v) }

func asList(v any) []map[string]any { return cfntemplate.Maps(v) }

func TestDatabaseSecretIsInjectedNotPlain(t *testing.T) {
	// A CDK-made instance: credentials from the secret, host and port from the instance.
	s := scenario(t, "RdsInstance")
	env, secrets := container(t, s)
	db := s.only(t, "AWS::RDS::DBInstance", "Database").id
	if ref(env["DB_HOST"]) != db+".Endpoint.Address" || ref(env["DB_PORT"]) != db+".Endpoint.Port" || env["DB_NAME"] != "orders" {
		t.Errorf("RdsInstance environment: %v", env)
	}
	for _, k := range []string{"DB_USER", "DB_PASSWORD"} {
		if _, ok := secrets[k]; !ok {
			t.Errorf("RdsInstance: %s is not an ECS secret: %v", k, secrets)
		}
	}
	if !strings.Contains(ref(secrets["DB_PASSWORD"]), ":password::") || !strings.Contains(ref(secrets["DB_USER"]), ":username::") {
		t.Errorf("RdsInstance: secrets do not name the JSON keys: %v", secrets)
	}

	// An RDS-managed master secret has only username and password: host and port come
	// from props, and no secret key that the secret lacks is referenced.
	s = scenario(t, "ImportedDatabase")
	env, secrets = container(t, s)
	if env["DB_HOST"] != "orders.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com" || env["DB_PORT"] != "5432" {
		t.Errorf("ImportedDatabase environment: %v", env)
	}
	if _, ok := env["DB_NAME"]; ok {
		t.Error("ImportedDatabase: DB_NAME set without DatabaseName")
	}
	if len(secrets) != 2 || secrets["DB_USER"] == nil || secrets["DB_PASSWORD"] == nil {
		t.Errorf("ImportedDatabase secrets: %v, want only DB_USER and DB_PASSWORD", secrets)
	}

	// No credential ever in plain environment. With IAM authentication (DB_IAM_AUTH=true)
	// the user name is no credential: the token is.
	for _, sc := range allScenarios(t) {
		for _, td := range sc.resources("AWS::ECS::TaskDefinition") {
			for _, c := range asList(td.props["ContainerDefinitions"]) {
				iam := false
				for _, e := range asList(c["Environment"]) {
					iam = iam || (e["Name"] == "DB_IAM_AUTH" && e["Value"] == "true")
				}
				for _, e := range asList(c["Environment"]) {
					if name := e["Name"].(string); strings.Contains(name, "PASSWORD") || (name == "DB_USER" && !iam) {
						t.Errorf("%s: %s in plain environment", sc.name, name)
					}
				}
			}
		}
	}
}

// starOnly are the actions IAM accepts only on Resource "*" (no resource-level
// permissions; Service Authorization Reference), the only ones a role of the construct
// may have on a wildcard resource.
var starOnly = map[string]bool{
	"ecr:GetAuthorizationToken":        true,
	"ssmmessages:CreateControlChannel": true, "ssmmessages:CreateDataChannel": true,
	"ssmmessages:OpenControlChannel": true, "ssmmessages:OpenDataChannel": true,
	"logs:DescribeLogGroups": true, // ECS Exec's session logging
}

// everything returns the values of v that resolve to the resource "*".
func everything(v any) []string {
	var out []string
	for _, w := range wildcards(v) {
		if w == "*" {
			out = append(out, w)
		}
	}
	return out
}

// TestRolesAreLeastPrivilege reads every statement of every role's policies (execution,
// task, flow log, account role, inline or attached) in every scenario: no wildcard
// action, and the resource "*" (a string, ["*"], or an Fn::Join that yields it) only for
// the actions in starOnly.
func TestRolesAreLeastPrivilege(t *testing.T) {
	for _, s := range allScenarios(t) {
		for _, p := range leastPrivilege(s) {
			t.Errorf("%s: %s", s.name, p)
		}
	}
	// The check itself: a ["*"] list and an Fn::Join that yields "*", on a role that is
	// not the execution role, are found.
	broken := fromJSON(t, "Broken", map[string]any{"Resources": map[string]any{
		"TaskRolePolicy": map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{"PolicyDocument": map[string]any{
			"Statement": []any{map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": []any{"*"}}}}}},
		"FlowLogRole": map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{"Policies": []any{map[string]any{
			"PolicyName": "Inline", "PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow",
				"Action": []any{"logs:PutLogEvents", "logs:*"}, "Resource": map[string]any{"Fn::Join": []any{"", []any{"*"}}}}}}}}}},
	}})
	want := []string{
		"FlowLogRole.Inline grants logs:* on [*]", "FlowLogRole.Inline grants logs:PutLogEvents on [*]",
		"FlowLogRole.Inline has wildcard actions [logs:*]", "TaskRolePolicy grants s3:GetObject on [*]",
	}
	if got := leastPrivilege(broken); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leastPrivilege on a broken template:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// leastPrivilege returns the problems of every statement of every role's policies.
func leastPrivilege(s *synthesized) []string {
	var out []string
	statements := s.policyStatements()
	if len(statements) == 0 {
		out = append(out, "no IAM statement")
	}
	for _, st := range statements {
		if w := wildcards(st.st["Action"]); len(w) > 0 {
			out = append(out, fmt.Sprintf("%s has wildcard actions %v", st.in, w))
		}
		if w := everything(st.st["Resource"]); len(w) > 0 {
			for _, a := range append(asAny(st.st["Action"]), st.st["Action"]) {
				if a, ok := a.(string); ok && !starOnly[a] {
					out = append(out, fmt.Sprintf("%s grants %s on %v", st.in, a, w))
				}
			}
		}
	}
	for _, r := range s.resources("AWS::IAM::Role") {
		// A blue/green service's role for ECS (CDK's AlternateTarget) carries AWS's policy
		// for it, and nothing else (SECURITY.md, cdk-nag IAM4).
		if b, _ := json.Marshal(r.props["ManagedPolicyArns"]); strings.Contains(r.id, "ServiceAlternateTargetRole") &&
			strings.HasSuffix(string(b), `":iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"]]}]`) {
			continue
		}
		if r.props["ManagedPolicyArns"] != nil {
			out = append(out, fmt.Sprintf("role %s has managed policies %v", r.id, r.props["ManagedPolicyArns"]))
		}
	}
	sort.Strings(out)
	return out
}

func TestRestApi(t *testing.T) {
	for _, name := range []string{"Default", "VpcLinkV1"} {
		s := scenario(t, name)
		lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "Api").id
		uri := func(path string) any {
			return map[string]any{"Fn::Join": []any{"", []any{"http://", map[string]any{"Fn::GetAtt": []any{lb, "DNSName"}}, ":80" + path}}}
		}
		var link map[string]any
		if name == "VpcLinkV1" {
			link = map[string]any{"ConnectionType": "VPC_LINK", "ConnectionId": map[string]any{"Ref": s.only(t, "AWS::ApiGateway::VpcLink", "Api").id}}
		} else {
			link = map[string]any{"ConnectionType": "VPC_LINK", "ConnectionId": map[string]any{"Ref": s.only(t, "AWS::ApiGatewayV2::VpcLink", "Api").id},
				"IntegrationTarget": map[string]any{"Ref": lb}}
		}
		root := map[string]any{"Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY", "Uri": uri("/")}
		proxy := map[string]any{"Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY", "Uri": uri("/{proxy}"),
			"RequestParameters": map[string]any{"integration.request.path.proxy": "method.request.path.proxy"}}
		for k, v := range link {
			root[k], proxy[k] = v, v
		}
		s.count(t, "AWS::ApiGateway::Method", 2)
		s.has(t, "AWS::ApiGateway::Method", map[string]any{"HttpMethod": "ANY", "AuthorizationType": "NONE",
			"ResourceId":  map[string]any{"Fn::GetAtt": []any{s.only(t, "AWS::ApiGateway::RestApi", "Api").id, "RootResourceId"}},
			"Integration": root, "RequestValidatorId": assertions.Match_AnyValue()})
		s.has(t, "AWS::ApiGateway::Method", map[string]any{"HttpMethod": "ANY",
			"RequestParameters": map[string]any{"method.request.path.proxy": true},
			"Integration":       proxy, "RequestValidatorId": assertions.Match_AnyValue()})
		s.has(t, "AWS::ApiGateway::Resource", map[string]any{"PathPart": "{proxy+}"})
		s.has(t, "AWS::ApiGateway::RequestValidator", map[string]any{"ValidateRequestBody": true, "ValidateRequestParameters": true})
		s.has(t, "AWS::ApiGateway::RestApi", map[string]any{"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}}})
		s.has(t, "AWS::ApiGateway::Stage", map[string]any{
			"StageName":        "prod",
			"AccessLogSetting": map[string]any{"DestinationArn": map[string]any{"Fn::GetAtt": []any{s.only(t, "AWS::Logs::LogGroup", "ApiAccessLogGroup").id, "Arn"}}},
			"MethodSettings": []any{map[string]any{"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR",
				"DataTraceEnabled": false, "MetricsEnabled": true, "ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200}},
		})
		if err := catch(func() {
			s.tpl.HasOutput(jsii.String("*"), map[string]any{"Value": map[string]any{"Fn::Join": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ArrayWith(&[]any{"https://", map[string]any{"Ref": s.only(t, "AWS::ApiGateway::RestApi", "Api").id}})})}})
		}); err != nil {
			t.Errorf("%s: no invoke URL output: %v", name, err)
		}
	}
}

func TestEveryPropReachesTheTemplate(t *testing.T) {
	s := scenario(t, "EveryProp")
	// IAM authorization on every method, the {proxy+} one as much as the root's.
	if got := strings.Join(s.paths(t), ", "); got != "/ ANY, /{proxy+} ANY" {
		t.Errorf("EveryProp: methods %s", got)
	}
	s.everyMethod(t, "AuthorizationType", "AWS_IAM")
	// The check itself: the {proxy+} method left public is found.
	broken := fromJSON(t, "EveryPropBroken", s.json)
	for _, m := range broken.resources("AWS::ApiGateway::Method") {
		if m.props["ResourceId"].(map[string]any)["Ref"] != nil {
			m.props["AuthorizationType"] = "NONE"
		}
	}
	if got := broken.methodProblems(t, "AuthorizationType", "AWS_IAM"); len(got) != 1 || !strings.Contains(got[0], "/{proxy+} ANY") {
		t.Errorf("a public {proxy+} method is not found: %v", got)
	}
	s.has(t, "AWS::ApiGateway::Stage", map[string]any{"StageName": "v1",
		"MethodSettings": []any{map[string]any{"LoggingLevel": "INFO", "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}}})
	s.has(t, "AWS::WAFv2::WebACLAssociation", map[string]any{
		"WebACLArn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/orders/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"})
	s.count(t, "AWS::ApiGateway::Account", 0)
	s.count(t, "AWS::ApiGateway::VpcLink", 1)
	_, egress := s.rules()
	found := false
	for _, r := range egress {
		found = found || (r.peer == "pl-6da54004" && r.from == "443")
		if r.peer == "0.0.0.0/0" {
			t.Errorf("EveryProp: egress to 0.0.0.0/0 despite S3PrefixListId: %v", r)
		}
	}
	if !found {
		t.Error("EveryProp: no HTTPS egress to the S3 prefix list")
	}
	env, secrets := container(t, s)
	if env["LOG_LEVEL"] != "info" || env["DB_PORT"] != "3306" || secrets["API_KEY"] == nil || secrets["SIGNING_SALT"] == nil {
		t.Errorf("EveryProp container: env %v secrets %v", env, secrets)
	}
}

func TestApiGatewayAccountRole(t *testing.T) {
	s := scenario(t, "Default")
	account := s.only(t, "AWS::ApiGateway::Account", "PrivateRdsApiGatewayAccount")
	role := s.only(t, "AWS::IAM::Role", "PrivateRdsApiGatewayAccountRole")
	if account.raw["DeletionPolicy"] != "Retain" || role.raw["DeletionPolicy"] != "Retain" {
		t.Errorf("account role and account must be retained: %v / %v", account.raw["DeletionPolicy"], role.raw["DeletionPolicy"])
	}
	if ref(account.props["CloudWatchRoleArn"]) != role.id+".Arn" {
		t.Errorf("account role ARN: %v", account.props["CloudWatchRoleArn"])
	}
	stage := s.only(t, "AWS::ApiGateway::Stage", "Api")
	if !strings.Contains(ref(stage.raw["DependsOn"]), account.id) {
		t.Errorf("stage does not depend on the account: %v", stage.raw["DependsOn"])
	}
}

func TestNagSuppressionsAreCarried(t *testing.T) {
	s := scenario(t, "Default")
	want := map[string]string{
		"ApiTaskDefinitionExecutionRoleDefaultPolicy": "AwsSolutions-IAM5",
		"ApiLoadBalancer":                 "AwsSolutions-ELB2",
		"ApiRestApiDeploymentStage":       "AwsSolutions-APIG3",
		"ApiRestApiANY":                   "AwsSolutions-APIG4",
		"PrivateRdsApiGatewayAccountRole": "AwsSolutions-IAM5",
	}
	for prefix, id := range want {
		found := false
		for id2, r := range s.json["Resources"].(map[string]any) {
			if !strings.HasPrefix(id2, prefix) {
				continue
			}
			md, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := md["cdk_nag"].(map[string]any)
			for _, rule := range asList(nag["rules_to_suppress"]) {
				found = found || (rule["id"] == id && len(rule["reason"].(string)) > 40)
			}
		}
		if !found {
			t.Errorf("no %s suppression with a reason on %s*", id, prefix)
		}
	}
	// Given a WAF web ACL and IAM authorization, nothing is suppressed for them.
	e := scenario(t, "EveryProp")
	for id, r := range e.json["Resources"].(map[string]any) {
		md, _ := r.(map[string]any)["Metadata"].(map[string]any)
		if nag, ok := md["cdk_nag"].(map[string]any); ok {
			for _, rule := range asList(nag["rules_to_suppress"]) {
				if rule["id"] == "AwsSolutions-APIG3" || rule["id"] == "AwsSolutions-APIG4" || rule["id"] == "AwsSolutions-ELB2" {
					t.Errorf("EveryProp: %s suppressed on %s although the prop is set", rule["id"], id)
				}
			}
		}
	}
}

// TestCrossStack puts the VPC and the database in one stack and the API in another: the
// rules the API writes must live in the API's stack (no dependency cycle), and the
// shared endpoints in the VPC's.
func TestCrossStack(t *testing.T) {
	app := awscdk.NewApp(nil)
	network := awscdk.NewStack(app, jsii.String("Network"), nil)
	vpc := privaterdsapi.NewIsolatedVpc(network, jsii.String("Vpc"), nil).Vpc
	db := scenarios.Postgres(network, vpc)
	apiStack := awscdk.NewStack(app, jsii.String("Orders"), nil)
	privaterdsapi.NewPrivateRdsApi(apiStack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(apiStack), Vpc: vpc, Database: db, DatabaseSecret: db.Secret(),
	})
	if err := catch(func() { app.Synth(nil) }); err != nil {
		t.Fatalf("synthesis of two stacks failed: %v", err)
	}
	if deps := *network.Dependencies(); len(deps) != 0 {
		t.Errorf("the network stack depends on %d stacks; want none (a cycle with the API stack)", len(deps))
	}
	api := assertions.Template_FromStack(apiStack, nil)
	net := assertions.Template_FromStack(network, nil)
	// By port and peer: the database's ingress (its port) and the endpoints' (443) from the
	// tasks, each on the group the network stack exports.
	orders := synthesize(t, "Orders", &scenarios.Built{Stack: apiStack})
	tasks := orders.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
	ingress, _ := orders.rules()
	var fromTasks []string
	for _, r := range ingress {
		if r.peer == tasks {
			fromTasks = append(fromTasks, fmt.Sprintf("%s:%s-%s on %s", r.proto, r.from, r.to, r.group))
		}
	}
	sort.Strings(fromTasks)
	netJSON := synthesize(t, "Network", &scenarios.Built{Stack: network})
	dbGroup := netJSON.only(t, "AWS::EC2::SecurityGroup", "DatabaseSecurityGroup").id
	endpointGroup := netJSON.only(t, "AWS::EC2::SecurityGroup", "PrivateRdsApiEndpoints").id
	dbId := netJSON.only(t, "AWS::RDS::DBInstance", "Database").id
	imported := func(id, attr string) string {
		return `{"Fn::ImportValue":"Network:ExportsOutputFnGetAtt` + id + attr
	}
	if len(fromTasks) != 2 || !strings.HasPrefix(fromTasks[0], "tcp:443-443 on "+imported(endpointGroup, "GroupId")) ||
		!strings.HasPrefix(fromTasks[1], "tcp:"+imported(dbId, "EndpointPort")) ||
		!strings.Contains(fromTasks[1], " on "+imported(dbGroup, "GroupId")) {
		t.Errorf("ingress from the tasks %s: %v, want 443 on the network stack's endpoint group %s and the database's port on its group %s",
			tasks, fromTasks, endpointGroup, dbGroup)
	}
	if err := catch(func() {
		net.ResourcePropertiesCountIs(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{"VpcEndpointType": "Interface"}, jsii.Number(4))
		api.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(0))
	}); err != nil {
		t.Error(err)
	}
}

func TestDevelopmentProfile(t *testing.T) {
	s := scenario(t, "Development")
	// Interface endpoints in one subnet, of the first availability zone.
	endpointsInAz(t, s, zoneOf(s.only(t, "AWS::EC2::Subnet", "NetworkVpcIsolatedSubnet1").props["AvailabilityZone"]))
	// The tasks on Fargate Spot, which the cluster has, and ARM64.
	service := s.only(t, "AWS::ECS::Service", "Api")
	if _, ok := service.props["LaunchType"]; ok {
		t.Errorf("service has a LaunchType with a capacity provider strategy: %v", service.props["LaunchType"])
	}
	s.has(t, "AWS::ECS::Service", map[string]any{"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}}})
	association := s.only(t, "AWS::ECS::ClusterCapacityProviderAssociations", "ApiCapacityProviders")
	if got := asStrings(association.props["CapacityProviders"]); strings.Join(got, ",") != "FARGATE,FARGATE_SPOT" {
		t.Errorf("cluster capacity providers %v", got)
	}
	if !contains(asStrings(service.raw["DependsOn"]), association.id) {
		t.Errorf("the service does not wait for the capacity provider association: %v", service.raw["DependsOn"])
	}
	s.has(t, "AWS::ECS::TaskDefinition", map[string]any{"RuntimePlatform": map[string]any{"CpuArchitecture": "ARM64"}})
	// No Container Insights, with cdk-nag's ECS4 suppressed only then.
	s.has(t, "AWS::ECS::Cluster", map[string]any{"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "disabled"}}})
	for _, name := range []string{"Development", "Default"} {
		cluster := scenario(t, name).only(t, "AWS::ECS::Cluster", "Api")
		md, _ := cluster.raw["Metadata"].(map[string]any)
		if _, suppressed := md["cdk_nag"]; suppressed != (name == "Development") {
			t.Errorf("%s: ECS4 suppression on the cluster: %v", name, md)
		}
	}
	scenario(t, "Default").count(t, "AWS::ECS::ClusterCapacityProviderAssociations", 0)
	scenario(t, "Default").has(t, "AWS::ECS::Service", map[string]any{"LaunchType": "FARGATE"})
}
