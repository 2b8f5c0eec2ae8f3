package privaterdsapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// problem is what a test expects of one PropError: its code and its prop.
type problem struct {
	code privaterdsapi.ProblemCode
	prop string
}

func problemsOf(err error) []problem {
	var verr *privaterdsapi.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	var out []problem
	for _, p := range verr.Problems {
		out = append(out, problem{p.Code, p.Prop})
	}
	return out
}

func TestBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Bad"), &awscdk.StackProps{Env: scenarios.Env()})
	image := scenarios.Image(stack)
	isolated := privaterdsapi.NewIsolatedVpc(stack, jsii.String("Isolated"), nil).Vpc
	publicOnly := awsec2.NewVpc(stack, jsii.String("PublicOnly"), &awsec2.VpcProps{
		NatGateways:         jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC}},
	})
	withEgress := awsec2.NewVpc(stack, jsii.String("WithEgress"), nil) // CDK's default: public and private-with-egress subnets, NAT gateways
	importedWithEgress := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("ImportedWithEgress"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-2"), AvailabilityZones: jsii.Strings("eu-west-1a"),
		PrivateSubnetIds: jsii.Strings("subnet-2"), PrivateSubnetRouteTableIds: jsii.Strings("rtb-2"),
	})
	egressSubnets := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	noRouteTables := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("NoRouteTables"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-1"), AvailabilityZones: jsii.Strings("eu-west-1a"), IsolatedSubnetIds: jsii.Strings("subnet-1"),
	})
	noPort := awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{
		awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("Db"), jsii.String("sg-1"), nil)}})
	dbGroup := awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("Db2"), jsii.String("sg-2"), nil)
	withPort := awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{dbGroup}, DefaultPort: awsec2.Port_Tcp(jsii.Number(5432))})
	noGroups := awsec2.NewConnections(&awsec2.ConnectionsProps{DefaultPort: awsec2.Port_Tcp(jsii.Number(5432))})
	noCidrVpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("NoCidr"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-2"), AvailabilityZones: jsii.Strings("eu-west-1a"), IsolatedSubnetIds: jsii.Strings("subnet-2"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-2"),
	})
	token := awscdk.NewCfnParameter(stack, jsii.String("Size"), &awscdk.CfnParameterProps{Type: jsii.String("Number")}).ValueAsNumber()
	stageToken := awscdk.NewCfnParameter(stack, jsii.String("Stage"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	tokenSecret := awsecs.Secret_FromSecretsManager(awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Token"), jsii.String("token")), nil)

	with := func(f func(p *privaterdsapi.PrivateRdsApiProps)) *privaterdsapi.PrivateRdsApiProps {
		p := &privaterdsapi.PrivateRdsApiProps{Image: image}
		f(p)
		return p
	}
	seconds := func(s float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(s)) }
	type P = privaterdsapi.PrivateRdsApiProps
	const (
		required   = privaterdsapi.ProblemRequired
		rng        = privaterdsapi.ProblemRange
		tok        = privaterdsapi.ProblemToken
		conflict   = privaterdsapi.ProblemConflict
		requires   = privaterdsapi.ProblemRequires
		format     = privaterdsapi.ProblemFormat
		fargate    = privaterdsapi.ProblemFargateSize
		order      = privaterdsapi.ProblemCapacityOrder
		reserved   = privaterdsapi.ProblemReservedVariable
		duplicate  = privaterdsapi.ProblemDuplicateVariable
		noSubnets  = privaterdsapi.ProblemNoSubnets
		noRoutes   = privaterdsapi.ProblemUnknownRouteTables
		noCidr     = privaterdsapi.ProblemUnknownCidr
		noDatabase = privaterdsapi.ProblemDatabasePort
		internet   = privaterdsapi.ProblemInternetRoute
	)

	cases := []struct {
		name  string
		props *P
		want  []problem
	}{
		{"nil props", nil, []problem{{required, "props"}}},
		{"missing image", &P{}, []problem{{required, "Image"}}},
		{"container port 0", with(func(p *P) { p.ContainerPort = jsii.Number(0) }), []problem{{rng, "ContainerPort"}}},
		{"container port 65536", with(func(p *P) { p.ContainerPort = jsii.Number(65536) }), []problem{{rng, "ContainerPort"}}},
		{"fractional port", with(func(p *P) { p.ListenerPort = jsii.Number(80.5) }), []problem{{rng, "ListenerPort"}}},
		{"negative listener port", with(func(p *P) { p.ListenerPort = jsii.Number(-1) }), []problem{{rng, "ListenerPort"}}},
		{"database port", with(func(p *P) { p.DatabasePort = jsii.Number(70000) }), []problem{{rng, "DatabasePort"}}},
		{"min above max", with(func(p *P) { p.MinCapacity = jsii.Number(3) }), []problem{{order, "MinCapacity and MaxCapacity"}}},
		{"negative min", with(func(p *P) { p.MinCapacity = jsii.Number(-1) }), []problem{{rng, "MinCapacity"}}},
		{"zero max", with(func(p *P) { p.MaxCapacity, p.MinCapacity = jsii.Number(0), jsii.Number(0) }), []problem{{rng, "MaxCapacity"}}},
		{"cpu target 0", with(func(p *P) { p.TargetCpuUtilizationPercent = jsii.Number(0) }), []problem{{rng, "TargetCpuUtilizationPercent"}}},
		{"cpu target 101", with(func(p *P) { p.TargetCpuUtilizationPercent = jsii.Number(101) }), []problem{{rng, "TargetCpuUtilizationPercent"}}},
		{"deregistration 3601 s", with(func(p *P) { p.DeregistrationDelay = seconds(3601) }), []problem{{rng, "DeregistrationDelay"}}},
		{"grace period", with(func(p *P) { p.HealthCheckGracePeriod = awscdk.Duration_Hours(jsii.Number(3)) }), []problem{{rng, "HealthCheckGracePeriod"}}},
		{"unknown cpu", with(func(p *P) { p.Cpu = jsii.Number(300) }), []problem{{fargate, "Cpu"}}},
		{"cpu memory pair", with(func(p *P) { p.MemoryLimitMiB = jsii.Number(4096) }), []problem{{fargate, "Cpu and MemoryLimitMiB"}}},
		{"token cpu", with(func(p *P) { p.Cpu = token }), []problem{{tok, "Cpu"}}},
		{"token memory", with(func(p *P) { p.MemoryLimitMiB = token }), []problem{{tok, "MemoryLimitMiB"}}},
		{"token max azs", with(func(p *P) { p.MaxAzs = token }), []problem{{tok, "MaxAzs"}}},
		{"token duration", with(func(p *P) { p.DeregistrationDelay = awscdk.Duration_Seconds(token) }), []problem{{tok, "DeregistrationDelay"}}},
		{"token threshold", with(func(p *P) { p.HealthyThresholdCount = token }), []problem{{tok, "HealthyThresholdCount"}}},
		{"empty stage", with(func(p *P) { p.StageName = jsii.String("") }), []problem{{format, "StageName"}}},
		{"stage with space", with(func(p *P) { p.StageName = jsii.String("my stage") }), []problem{{format, "StageName"}}},
		{"token stage", with(func(p *P) { p.StageName = stageToken }), []problem{{tok, "StageName"}}},
		{"PORT other than the container port", with(func(p *P) {
			p.ContainerPort, p.Environment = jsii.Number(9000), &map[string]*string{"PORT": jsii.String("8080")}
		}), []problem{{reserved, "Environment"}}},
		{"API_STAGE other than the stage", with(func(p *P) { p.Environment = &map[string]*string{"API_STAGE": jsii.String("v1")} }),
			[]problem{{reserved, "Environment"}}},
		{"PORT with a token container port", with(func(p *P) {
			p.ContainerPort, p.Environment = token, &map[string]*string{"PORT": jsii.String("8080")}
		}), []problem{{reserved, "Environment"}}},
		{"API_STAGE as a secret", with(func(p *P) { p.Secrets = &map[string]awsecs.Secret{"API_STAGE": tokenSecret} }),
			[]problem{{reserved, "Secrets"}}},
		{"unknown link version", with(func(p *P) { p.VpcLinkVersion = "V3" }), []problem{{rng, "VpcLinkVersion"}}},
		{"subnets without vpc", with(func(p *P) { p.VpcSubnets = &awsec2.SubnetSelection{} }), []problem{{requires, "VpcSubnets"}}},
		{"existing endpoints without vpc", with(func(p *P) { p.ExistingEndpoints = &privaterdsapi.ExistingEndpoints{} }), []problem{{requires, "ExistingEndpoints"}}},
		{"max azs with vpc", with(func(p *P) { p.Vpc, p.MaxAzs = isolated, jsii.Number(3) }), []problem{{conflict, "MaxAzs and Vpc"}}},
		{"max azs 0", with(func(p *P) { p.MaxAzs = jsii.Number(0) }), []problem{{rng, "MaxAzs"}}},
		{"vpc without isolated subnets", with(func(p *P) { p.Vpc = publicOnly }), []problem{{noSubnets, "Vpc"}}},
		{"private subnets with egress", with(func(p *P) { p.Vpc, p.VpcSubnets = withEgress, egressSubnets }), []problem{{internet, "VpcSubnets"}}},
		{"public subnets", with(func(p *P) {
			p.Vpc, p.VpcSubnets = withEgress, &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
		}), []problem{{internet, "VpcSubnets"}}},
		{"imported private subnets with egress", with(func(p *P) { p.Vpc, p.VpcSubnets = importedWithEgress, egressSubnets }), []problem{{internet, "VpcSubnets"}}},
		{"allow internet route without vpc", with(func(p *P) { p.AllowInternetRoute = jsii.Bool(true) }), []problem{{requires, "AllowInternetRoute"}}},
		{"grace period shorter than the container's start period", with(func(p *P) {
			p.HealthCheckGracePeriod = seconds(120)
			p.ContainerHealthCheck = &awsecs.HealthCheck{Command: jsii.Strings("CMD", "/app", "-healthcheck"), StartPeriod: seconds(150)}
		}), []problem{{conflict, "HealthCheckGracePeriod and ContainerHealthCheck.StartPeriod"}}},
		{"windows with the default cpu", with(func(p *P) { p.RuntimePlatform = windows(awsecs.CpuArchitecture_X86_64()) }),
			[]problem{{fargate, "Cpu and RuntimePlatform"}}},
		{"windows with what it does not support", with(func(p *P) {
			p.RuntimePlatform, p.Cpu, p.MemoryLimitMiB = windows(awsecs.CpuArchitecture_ARM64()), jsii.Number(1024), jsii.Number(2048)
			p.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("FARGATE_SPOT"), Weight: jsii.Number(1)}}
			p.ReadonlyRootFilesystem, p.User = jsii.Bool(true), jsii.String("1000")
		}), []problem{{conflict, "RuntimePlatform"}, {conflict, "CapacityProviderStrategies and RuntimePlatform"},
			{conflict, "ReadonlyRootFilesystem and RuntimePlatform"}, {conflict, "User and RuntimePlatform"}}},
		{"vpc without route table ids", with(func(p *P) { p.Vpc = noRouteTables }), []problem{{noRoutes, "Vpc"}}},
		{"existing endpoints, no groups, no cidr", with(func(p *P) {
			p.Vpc, p.ExistingEndpoints = noRouteTables, &privaterdsapi.ExistingEndpoints{}
		}), []problem{{noCidr, "ExistingEndpoints"}}},
		{"database without port", with(func(p *P) { p.Database = noPort }), []problem{{noDatabase, "Database and DatabasePort"}}},
		{"cognito without authorizer", with(func(p *P) { p.AuthorizationType = awsapigateway.AuthorizationType_COGNITO }), []problem{{rng, "AuthorizationType"}}},
		{"health check path", with(func(p *P) { p.HealthCheckPath = jsii.String("healthz") }), []problem{{format, "HealthCheckPath"}}},
		{"health check interval 4 s", with(func(p *P) { p.HealthCheckInterval = seconds(4) }), []problem{{rng, "HealthCheckInterval"}}},
		{"health check interval 301 s", with(func(p *P) { p.HealthCheckInterval = awscdk.Duration_Minutes(jsii.Number(6)) }), []problem{{rng, "HealthCheckInterval"}}},
		{"health check timeout 1 s", with(func(p *P) { p.HealthCheckTimeout = seconds(1) }), []problem{{rng, "HealthCheckTimeout"}}},
		{"health check timeout above interval", with(func(p *P) {
			p.HealthCheckInterval, p.HealthCheckTimeout = seconds(10), seconds(20)
		}), []problem{{conflict, "HealthCheckTimeout and HealthCheckInterval"}}},
		{"healthy threshold 1", with(func(p *P) { p.HealthyThresholdCount = jsii.Number(1) }), []problem{{rng, "HealthyThresholdCount"}}},
		{"unhealthy threshold 11", with(func(p *P) { p.UnhealthyThresholdCount = jsii.Number(11) }), []problem{{rng, "UnhealthyThresholdCount"}}},
		{"http codes without path", with(func(p *P) { p.HealthCheckHealthyHttpCodes = jsii.String("200") }), []problem{{requires, "HealthCheckHealthyHttpCodes"}}},
		{"http codes out of range", with(func(p *P) {
			p.HealthCheckPath, p.HealthCheckHealthyHttpCodes = jsii.String("/healthz"), jsii.String("100-299")
		}), []problem{{format, "HealthCheckHealthyHttpCodes"}}},
		{"http codes reversed range", with(func(p *P) {
			p.HealthCheckPath, p.HealthCheckHealthyHttpCodes = jsii.String("/healthz"), jsii.String("299-200")
		}), []problem{{format, "HealthCheckHealthyHttpCodes"}}},
		{"http codes not a list", with(func(p *P) {
			p.HealthCheckPath, p.HealthCheckHealthyHttpCodes = jsii.String("/healthz"), jsii.String("2xx")
		}), []problem{{format, "HealthCheckHealthyHttpCodes"}}},
		{"throttling", with(func(p *P) { p.ThrottlingBurstLimit = jsii.Number(-5) }), []problem{{rng, "ThrottlingBurstLimit"}}},
		{"access log prefix alone", with(func(p *P) { p.LoadBalancerAccessLogsPrefix = jsii.String("x") }), []problem{{requires, "LoadBalancerAccessLogsPrefix"}}},
		{"empty web acl", with(func(p *P) { p.WebAclArn = jsii.String("") }), []problem{{format, "WebAclArn"}}},
		{"environment overrides a database variable", with(func(p *P) {
			p.DatabaseName = jsii.String("app")
			p.Environment = &map[string]*string{"DB_NAME": jsii.String("other")}
		}), []problem{{reserved, "Environment"}}},
		{"secret overrides a database variable", with(func(p *P) {
			p.DatabaseSecret = awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Db1"), jsii.String("db"))
			p.Secrets = &map[string]awsecs.Secret{"DB_PASSWORD": tokenSecret}
		}), []problem{{reserved, "Secrets"}}},
		{"variable in environment and secrets", with(func(p *P) {
			p.Environment = &map[string]*string{"TOKEN": jsii.String("x")}
			p.Secrets = &map[string]awsecs.Secret{"TOKEN": tokenSecret}
		}), []problem{{duplicate, "Environment and Secrets"}}},
		{"variable without a value", with(func(p *P) { p.Environment = &map[string]*string{"EMPTY": nil} }), []problem{{required, "Environment"}}},
		{"variable without a name", with(func(p *P) { p.Environment = &map[string]*string{"": jsii.String("x")} }), []problem{{format, "Environment"}}},
		{"secret without a secret", with(func(p *P) { p.Secrets = &map[string]awsecs.Secret{"KEY": nil} }), []problem{{required, "Secrets"}}},
		// Without a secret, the construct sets DB_HOST and DB_PORT from the database props.
		{"environment overrides the host of a database without secret", with(func(p *P) {
			p.Database, p.DatabaseHost = withPort, jsii.String("db")
			p.Environment = &map[string]*string{"DB_HOST": jsii.String("other"), "DB_PORT": jsii.String("1")}
		}), []problem{{reserved, "Environment"}, {reserved, "Environment"}}},
		{"cluster imported without its endpoint, no host", with(func(p *P) {
			p.Database = awsrds.DatabaseCluster_FromDatabaseClusterAttributes(stack, jsii.String("NoEndpoint"), &awsrds.DatabaseClusterAttributes{
				ClusterIdentifier: jsii.String("orders"), Port: jsii.Number(5432), SecurityGroups: &[]awsec2.ISecurityGroup{dbGroup}})
		}), []problem{{required, "DatabaseHost"}}},
		{"database security groups without database", with(func(p *P) { p.DatabaseSecurityGroups = &[]awsec2.ISecurityGroup{dbGroup} }),
			[]problem{{requires, "DatabaseSecurityGroups"}}},
		{"database security groups for a database that has its own", with(func(p *P) {
			p.Database, p.DatabaseSecurityGroups = withPort, &[]awsec2.ISecurityGroup{dbGroup}
		}), []problem{{conflict, "Database and DatabaseSecurityGroups"}}},
		{"no database security groups, no cidr", with(func(p *P) {
			p.Vpc, p.Database, p.DatabaseSecurityGroups = noCidrVpc, noGroups, &[]awsec2.ISecurityGroup{}
		}), []problem{{noCidr, "DatabaseSecurityGroups"}}},
		{"endpoint subnets with existing endpoints", with(func(p *P) {
			p.Vpc, p.ExistingEndpoints = isolated, &privaterdsapi.ExistingEndpoints{}
			p.EndpointSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
		}), []problem{{conflict, "EndpointSubnets and ExistingEndpoints"}}},
		{"existing endpoints with a nil service", with(func(p *P) {
			p.Vpc = isolated
			p.ExistingEndpoints = &privaterdsapi.ExistingEndpoints{Services: &[]awsec2.InterfaceVpcEndpointAwsService{nil}}
		}), []problem{{required, "ExistingEndpoints.Services"}}},
		{"existing endpoints without the S3 gateway, no route table ids", with(func(p *P) {
			p.Vpc = noRouteTables
			p.ExistingEndpoints = &privaterdsapi.ExistingEndpoints{SecurityGroups: noPort.SecurityGroups(), S3GatewayEndpoint: jsii.Bool(false)}
		}), []problem{{noRoutes, "Vpc"}}},
		{"empty capacity provider strategies", with(func(p *P) { p.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{} }),
			[]problem{{required, "CapacityProviderStrategies"}}},
		{"capacity provider not Fargate", with(func(p *P) {
			p.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("EC2"), Weight: jsii.Number(1)}}
		}), []problem{{rng, "CapacityProviderStrategies"}}},
		{"capacity provider twice, two bases, bad weight", with(func(p *P) {
			p.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{
				{CapacityProvider: jsii.String("FARGATE"), Base: jsii.Number(1), Weight: jsii.Number(1001)},
				{CapacityProvider: jsii.String("FARGATE"), Base: jsii.Number(2), Weight: jsii.Number(1)},
			}
		}), []problem{{rng, "CapacityProviderStrategies"}, {conflict, "CapacityProviderStrategies"}, {conflict, "CapacityProviderStrategies"}}},
		{"capacity providers without weight", with(func(p *P) {
			p.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("FARGATE_SPOT"), Base: jsii.Number(1)}}
		}), []problem{{rng, "CapacityProviderStrategies"}}},
		{"user with a space", with(func(p *P) { p.User = jsii.String("app user") }), []problem{{format, "User"}}},
		{"empty user", with(func(p *P) { p.User = jsii.String("") }), []problem{{format, "User"}}},
		{"container health check without command", with(func(p *P) { p.ContainerHealthCheck = &awsecs.HealthCheck{} }),
			[]problem{{required, "ContainerHealthCheck.Command"}}},
		{"container health check out of ECS's ranges", with(func(p *P) {
			p.ContainerHealthCheck = &awsecs.HealthCheck{Command: jsii.Strings("CMD", "/app", "-healthcheck"),
				Interval: seconds(4), Timeout: seconds(61), StartPeriod: seconds(301), Retries: jsii.Number(11)}
		}), []problem{{rng, "ContainerHealthCheck.Interval"}, {rng, "ContainerHealthCheck.Timeout"},
			{rng, "ContainerHealthCheck.StartPeriod"}, {rng, "ContainerHealthCheck.Retries"}}},
		{"container health check timeout above its interval", with(func(p *P) {
			p.ContainerHealthCheck = &awsecs.HealthCheck{Command: jsii.Strings("CMD-SHELL", "true"), Interval: seconds(10), Timeout: seconds(20)}
		}), []problem{{conflict, "ContainerHealthCheck.Timeout and ContainerHealthCheck.Interval"}}},
		// Operations (alarms.go, deployment.go).
		{"error rate above 100%", with(func(p *P) { p.ServerErrorRateAlarmPercent = jsii.Number(101) }), []problem{{rng, "ServerErrorRateAlarmPercent"}}},
		{"latency above the integration timeout", with(func(p *P) { p.LatencyAlarmMilliseconds = jsii.Number(30000) }), []problem{{rng, "LatencyAlarmMilliseconds"}}},
		{"CPU alarm at 0%", with(func(p *P) { p.CpuAlarmPercent = jsii.Number(0) }), []problem{{rng, "CpuAlarmPercent"}}},
		{"memory alarm as a token", with(func(p *P) { p.MemoryAlarmPercent = token }), []problem{{tok, "MemoryAlarmPercent"}}},
		{"alarm actions without alarms", with(func(p *P) {
			p.Alarms = jsii.Bool(false)
			p.AlarmActions = &[]awscloudwatch.IAlarmAction{awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String("arn:aws:sns:eu-west-1:123456789012:t")))}
		}), []problem{{requires, "AlarmActions"}}},
		{"canary deployment", with(func(p *P) { p.DeploymentStrategy = awsecs.DeploymentStrategy_CANARY }), []problem{{rng, "DeploymentStrategy"}}},
		{"everything at once", &P{
			ContainerPort: jsii.Number(0), MinCapacity: jsii.Number(5), MaxCapacity: jsii.Number(4),
			StageName: jsii.String(""), Cpu: jsii.Number(256), MemoryLimitMiB: jsii.Number(3000),
		}, []problem{{required, "Image"}, {rng, "ContainerPort"}, {fargate, "Cpu and MemoryLimitMiB"},
			{order, "MinCapacity and MaxCapacity"}, {format, "StageName"}}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := privaterdsapi.ValidateProps(c.props)
			if got := problemsOf(err); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("ValidateProps: problems %v, want %v\n%v", got, c.want, err)
			}
			if strings.Contains(err.Error(), "e+289") || strings.Contains(err.Error(), "${Token[") {
				t.Errorf("a token is shown as a float: %v", err)
			}
			// The constructor refuses the same props, naming the construct's path, before it
			// creates anything.
			scope := awscdk.NewStack(app, jsii.String(fmt.Sprintf("Scope%d", i)), nil)
			panicked := catch(func() { privaterdsapi.NewPrivateRdsApi(scope, jsii.String("Api"), c.props) })
			var verr *privaterdsapi.ValidationError
			if !errors.As(panicked, &verr) {
				t.Fatalf("NewPrivateRdsApi panicked with %v, want a *ValidationError", panicked)
			}
			if want := fmt.Sprintf("Scope%d/Api", i); verr.Path != want || fmt.Sprint(problemsOf(verr)) != fmt.Sprint(c.want) {
				t.Errorf("NewPrivateRdsApi: path %q problems %v, want %q %v", verr.Path, problemsOf(verr), want, c.want)
			}
			if !strings.HasPrefix(verr.Error(), "privaterdsapi: invalid PrivateRdsApiProps for Scope") {
				t.Errorf("message does not name the construct: %s", verr)
			}
			if n := len(*scope.Node().Children()); n != 0 {
				t.Errorf("NewPrivateRdsApi created %d constructs before refusing", n)
			}
		})
	}
}

func TestValidPropsPass(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Good"), nil)
	image := awsecs.ContainerImage_FromRegistry(jsii.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"), nil)
	port := awscdk.NewCfnParameter(stack, jsii.String("Port"), &awscdk.CfnParameterProps{Type: jsii.String("Number")}).ValueAsNumber()
	for _, p := range []*privaterdsapi.PrivateRdsApiProps{
		{Image: image},
		{Image: image, Cpu: jsii.Number(16384), MemoryLimitMiB: jsii.Number(122880), MinCapacity: jsii.Number(0),
			DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(0)), StageName: jsii.String("v1_beta-2")},
		{Image: image, Vpc: privaterdsapi.NewIsolatedVpc(stack, jsii.String("Vpc"), nil).Vpc, VpcLinkVersion: privaterdsapi.VpcLinkV1},
		// EndpointSubnets apply to the interface endpoints that ExistingEndpoints.Services
		// leaves to the construct.
		{Image: image, Vpc: privaterdsapi.NewIsolatedVpc(stack, jsii.String("Partial"), nil).Vpc,
			EndpointSubnets:   &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
			ExistingEndpoints: &privaterdsapi.ExistingEndpoints{Services: &[]awsec2.InterfaceVpcEndpointAwsService{awsec2.InterfaceVpcEndpointAwsService_ECR()}}},
		// Tokens where CloudFormation takes a parameter: range checks apply to concrete values only.
		{Image: image, ContainerPort: port, ListenerPort: port, DatabasePort: port, MinCapacity: port, MaxCapacity: port,
			TargetCpuUtilizationPercent: port, ThrottlingRateLimit: port, ThrottlingBurstLimit: port},
		// The construct's own variables, repeated with its values.
		{Image: image, Environment: &map[string]*string{"PORT": jsii.String("8080"), "API_STAGE": jsii.String("prod")}},
		{Image: image, ContainerPort: jsii.Number(9000), StageName: jsii.String("v1"),
			Environment: &map[string]*string{"PORT": jsii.String("9000"), "API_STAGE": jsii.String("v1")}},
		// A host without a secret (IAM database authentication); a user's DB_HOST where the
		// construct sets none.
		{Image: image, DatabaseHost: jsii.String("orders.example.internal")},
		{Image: image, Database: awsec2.NewConnections(&awsec2.ConnectionsProps{DefaultPort: awsec2.Port_Tcp(jsii.Number(5432))}),
			Environment: &map[string]*string{"DB_HOST": jsii.String("orders.example.internal")}},
		{Image: image, HealthCheckPath: jsii.String("/healthz"), HealthCheckHealthyHttpCodes: jsii.String("200,204,300-399"),
			HealthCheckInterval: awscdk.Duration_Seconds(jsii.Number(5)), HealthCheckTimeout: awscdk.Duration_Seconds(jsii.Number(5)),
			HealthyThresholdCount: jsii.Number(10), UnhealthyThresholdCount: jsii.Number(2)},
		// A VPC with an internet path, acknowledged.
		{Image: image, Vpc: awsec2.NewVpc(stack, jsii.String("WithEgress"), nil), AllowInternetRoute: jsii.Bool(true),
			VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}},
		// A lookup still pending (the first pass of cdk synth) is not judged by its placeholder.
		{Image: image, Vpc: awsec2.Vpc_FromLookup(envStack(app, "Pending"), jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String("vpc-1")}),
			VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}},
		// A grace period as long as the start period.
		{Image: image, HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(300)),
			ContainerHealthCheck: &awsecs.HealthCheck{Command: jsii.Strings("CMD", "true"), StartPeriod: awscdk.Duration_Seconds(jsii.Number(300))}},
	} {
		if err := privaterdsapi.ValidateProps(p); err != nil {
			t.Errorf("ValidateProps(%+v) = %v", p, err)
		}
	}
}

// TestNoSubnetsMessage: the NoSubnets error says what was selected, what the VPC has and
// what the construct needs, in its own words.
func TestNoSubnetsMessage(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("NoSubnets"), nil)
	publicOnly := awsec2.NewVpc(stack, jsii.String("PublicOnly"), &awsec2.VpcProps{
		NatGateways:         jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC}},
	})
	image := scenarios.Image(stack)
	for _, c := range []struct {
		props *privaterdsapi.PrivateRdsApiProps
		want  []string
	}{
		{&privaterdsapi.PrivateRdsApiProps{Image: image, Vpc: publicOnly},
			[]string{"Vpc: the VPC has no PRIVATE_ISOLATED subnet (it has 2 PUBLIC, 0 PRIVATE_WITH_EGRESS and 0 PRIVATE_ISOLATED subnets)", "NewIsolatedVpc", "set AllowInternetRoute"}},
		{&privaterdsapi.PrivateRdsApiProps{Image: image, Vpc: publicOnly, VpcSubnets: &awsec2.SubnetSelection{SubnetGroupName: jsii.String("App")}},
			[]string{`VpcSubnets: the selection (SubnetGroupName "App") matches no subnet of the VPC (it has 2 PUBLIC`}},
	} {
		err := privaterdsapi.ValidateProps(c.props)
		if fmt.Sprint(problemsOf(err)) != fmt.Sprint([]problem{{privaterdsapi.ProblemNoSubnets, strings.SplitN(c.want[0], ":", 2)[0]}}) {
			t.Fatalf("problems %v, want NoSubnets: %v", problemsOf(err), err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("message %q\ndoes not say %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "There are no") || strings.Contains(err.Error(), "There is no") {
			t.Errorf("message carries CDK's own error text: %v", err)
		}
	}
}

// TestStackDependentProps: what depends on the stack is checked by the constructor, which
// knows it, and refused with the construct's path.
func TestStackDependentProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	agnostic := awscdk.NewStack(app, jsii.String("Agnostic"), nil)
	props := &privaterdsapi.PrivateRdsApiProps{
		Image:                        scenarios.Image(agnostic),
		LoadBalancerAccessLogsBucket: awss3.Bucket_FromBucketName(agnostic, jsii.String("Logs"), jsii.String("logs")),
	}
	if err := privaterdsapi.ValidateProps(props); err != nil {
		t.Fatalf("ValidateProps knows no stack: %v", err)
	}
	err := catch(func() { privaterdsapi.NewPrivateRdsApi(agnostic, jsii.String("Api"), props) })
	var verr *privaterdsapi.ValidationError
	if !errors.As(err, &verr) || verr.Path != "Agnostic/Api" ||
		fmt.Sprint(problemsOf(err)) != fmt.Sprint([]problem{{privaterdsapi.ProblemRequires, "LoadBalancerAccessLogsBucket"}}) {
		t.Fatalf("NewPrivateRdsApi in an environment-agnostic stack with access logs: %v", err)
	}
	// With a region, the same props are accepted.
	env := envStack(app, "WithRegion")
	privaterdsapi.NewPrivateRdsApi(env, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image:                        scenarios.Image(env),
		LoadBalancerAccessLogsBucket: awss3.Bucket_FromBucketName(env, jsii.String("Logs"), jsii.String("logs")),
	})
}

// windows is a Windows Server 2022 task platform on arch.
func windows(arch awsecs.CpuArchitecture) *awsecs.RuntimePlatform {
	return &awsecs.RuntimePlatform{OperatingSystemFamily: awsecs.OperatingSystemFamily_WINDOWS_SERVER_2022_CORE(), CpuArchitecture: arch}
}
