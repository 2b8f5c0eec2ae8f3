package privaterdsapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

func TestBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Bad"), &awscdk.StackProps{Env: scenarios.Env()})
	image := scenarios.Image(stack)
	isolated := privaterdsapi.NewIsolatedVpc(stack, jsii.String("Isolated"), nil).Vpc
	publicOnly := awsec2.NewVpc(stack, jsii.String("PublicOnly"), &awsec2.VpcProps{
		NatGateways:         jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC}},
	})
	noRouteTables := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("NoRouteTables"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-1"), AvailabilityZones: jsii.Strings("eu-west-1a"), IsolatedSubnetIds: jsii.Strings("subnet-1"),
	})
	noPort := awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{
		awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("Db"), jsii.String("sg-1"), nil)}})

	valid := func() *privaterdsapi.PrivateRdsApiProps { return &privaterdsapi.PrivateRdsApiProps{Image: image} }
	with := func(f func(p *privaterdsapi.PrivateRdsApiProps)) *privaterdsapi.PrivateRdsApiProps {
		p := valid()
		f(p)
		return p
	}
	seconds := func(s float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(s)) }

	cases := []struct {
		name  string
		props *privaterdsapi.PrivateRdsApiProps
		want  []string // each must appear in the error
	}{
		{"nil props", nil, []string{"props: required"}},
		{"missing image", &privaterdsapi.PrivateRdsApiProps{}, []string{"Image: required"}},
		{"container port 0", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ContainerPort = jsii.Number(0) }), []string{"ContainerPort", "1 to 65535"}},
		{"container port 65536", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ContainerPort = jsii.Number(65536) }), []string{"ContainerPort", "got 65536"}},
		{"fractional port", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ListenerPort = jsii.Number(80.5) }), []string{"ListenerPort", "whole number"}},
		{"negative listener port", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ListenerPort = jsii.Number(-1) }), []string{"ListenerPort"}},
		{"database port", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.DatabasePort = jsii.Number(70000) }), []string{"DatabasePort"}},
		{"min above max", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.MinCapacity = jsii.Number(3) }), []string{"MinCapacity and MaxCapacity", "(3)", "(2)"}},
		{"negative min", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.MinCapacity = jsii.Number(-1) }), []string{"MinCapacity: must be a whole number from 0"}},
		{"zero max", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.MaxCapacity = jsii.Number(0)
			p.MinCapacity = jsii.Number(0)
		}), []string{"MaxCapacity: must be a whole number from 1"}},
		{"cpu target 0", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.TargetCpuUtilizationPercent = jsii.Number(0) }), []string{"TargetCpuUtilizationPercent", "1 to 100"}},
		{"cpu target 101", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.TargetCpuUtilizationPercent = jsii.Number(101) }), []string{"TargetCpuUtilizationPercent"}},
		{"deregistration 3601 s", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.DeregistrationDelay = seconds(3601) }), []string{"DeregistrationDelay", "0 to 3600"}},
		{"grace period", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.HealthCheckGracePeriod = awscdk.Duration_Hours(jsii.Number(3))
		}), []string{"HealthCheckGracePeriod"}},
		{"unknown cpu", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.Cpu = jsii.Number(300) }), []string{"Cpu: must be one of 256, 512"}},
		{"cpu memory pair", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.MemoryLimitMiB = jsii.Number(4096) }), []string{"Cpu and MemoryLimitMiB", "512, 1024, 2048"}},
		{"empty stage", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.StageName = jsii.String("") }), []string{"StageName"}},
		{"stage with space", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.StageName = jsii.String("my stage") }), []string{"StageName", `"my stage"`}},
		{"unknown link version", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.VpcLinkVersion = "V3" }), []string{"VpcLinkVersion", "VpcLinkV1, VpcLinkV2"}},
		{"subnets without vpc", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.VpcSubnets = &awsec2.SubnetSelection{} }), []string{"VpcSubnets: applies only with Vpc"}},
		{"existing endpoints without vpc", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ExistingEndpoints = &privaterdsapi.ExistingEndpoints{} }), []string{"ExistingEndpoints: applies only with Vpc"}},
		{"max azs with vpc", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.Vpc = isolated; p.MaxAzs = jsii.Number(3) }), []string{"MaxAzs and Vpc"}},
		{"max azs 0", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.MaxAzs = jsii.Number(0) }), []string{"MaxAzs: must be a whole number from 1"}},
		{"vpc without isolated subnets", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.Vpc = publicOnly }), []string{"Vpc: selects no usable subnet", "PRIVATE_ISOLATED"}},
		{"vpc without route table ids", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.Vpc = noRouteTables }), []string{"Vpc: the selected subnets' route table IDs are unknown"}},
		{"existing endpoints, no groups, no cidr", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.Vpc = noRouteTables
			p.ExistingEndpoints = &privaterdsapi.ExistingEndpoints{}
		}), []string{"ExistingEndpoints: without SecurityGroups", "VpcCidrBlock"}},
		{"database without port", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.Database = noPort }), []string{"Database and DatabasePort"}},
		{"cognito without authorizer", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.AuthorizationType = awsapigateway.AuthorizationType_COGNITO
		}), []string{"AuthorizationType: must be NONE or IAM"}},
		{"health check path", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.HealthCheckPath = jsii.String("healthz") }), []string{"HealthCheckPath"}},
		{"throttling", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.ThrottlingBurstLimit = jsii.Number(-5) }), []string{"ThrottlingBurstLimit"}},
		{"access log prefix alone", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.LoadBalancerAccessLogsPrefix = jsii.String("x") }), []string{"LoadBalancerAccessLogsPrefix"}},
		{"environment overrides a database variable", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.DatabaseName = jsii.String("app")
			p.Environment = &map[string]*string{"DB_NAME": jsii.String("other")}
		}), []string{"Environment: DB_NAME is set by the construct"}},
		{"variable in environment and secrets", with(func(p *privaterdsapi.PrivateRdsApiProps) {
			p.Environment = &map[string]*string{"TOKEN": jsii.String("x")}
			p.Secrets = &map[string]awsecs.Secret{"TOKEN": awsecs.Secret_FromSecretsManager(
				awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Token"), jsii.String("token")), nil)}
		}), []string{"Environment and Secrets: TOKEN is in both"}},
		{"host without secret", with(func(p *privaterdsapi.PrivateRdsApiProps) { p.DatabaseHost = jsii.String("db") }), []string{"DatabaseHost"}},
		{"everything at once", &privaterdsapi.PrivateRdsApiProps{
			ContainerPort: jsii.Number(0), MinCapacity: jsii.Number(5), MaxCapacity: jsii.Number(4),
			StageName: jsii.String(""), Cpu: jsii.Number(256), MemoryLimitMiB: jsii.Number(3000),
		}, []string{"Image", "ContainerPort", "MinCapacity and MaxCapacity", "StageName", "Cpu and MemoryLimitMiB"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := privaterdsapi.ValidateProps(c.props)
			var verr *privaterdsapi.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("ValidateProps = %v, want a *ValidationError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%s", w, err)
				}
			}
			if c.name != "everything at once" && c.name != "nil props" && len(verr.Problems) != 1 {
				t.Errorf("want exactly one problem, got %d:\n%s", len(verr.Problems), err)
			}
			// The constructor refuses the same props, with the same error, before creating anything.
			scope := awscdk.NewStack(app, jsii.String(fmt.Sprintf("Scope%d", i)), nil)
			panicked := catch(func() { privaterdsapi.NewPrivateRdsApi(scope, jsii.String("Api"), c.props) })
			if panicked == nil || panicked.Error() != err.Error() {
				t.Errorf("NewPrivateRdsApi: panic %v, want %v", panicked, err)
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
	for _, p := range []*privaterdsapi.PrivateRdsApiProps{
		{Image: image},
		{Image: image, Cpu: jsii.Number(16384), MemoryLimitMiB: jsii.Number(122880), MinCapacity: jsii.Number(0),
			DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(0)), StageName: jsii.String("v1_beta-2")},
		{Image: image, Vpc: privaterdsapi.NewIsolatedVpc(stack, jsii.String("Vpc"), nil).Vpc, VpcLinkVersion: privaterdsapi.VpcLinkV1},
	} {
		if err := privaterdsapi.ValidateProps(p); err != nil {
			t.Errorf("ValidateProps(%+v) = %v", p, err)
		}
	}
}
