// Package scenarios builds the configurations of privaterdsapi that the tests and the
// conformance suite synthesize: one stack per scenario, each a choice a user can make.
package scenarios

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
)

// Scenario is one configuration: Build adds its stack to app.
type Scenario struct {
	// Name is the scenario's name, also its stack's name.
	Name string
	// Build creates the stack in app and returns it with the constructs it made.
	Build func(app awscdk.App) *Built
}

// Built is a synthesized-to-be scenario.
type Built struct {
	// Stack is the scenario's stack.
	Stack awscdk.Stack
	// Apis are the PrivateRdsApi constructs of the stack.
	Apis []*privaterdsapi.PrivateRdsApi
}

// Account and Region are the environment of the environment-specific scenarios.
const (
	Account = "123456789012"
	Region  = "eu-west-1"
)

// Env is the concrete environment of the environment-specific scenarios.
func Env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String(Account), Region: jsii.String(Region)}
}

// Image is an image from an ECR repository of the stack's account.
func Image(stack awscdk.Stack) awsecs.ContainerImage {
	var repo awsecr.IRepository
	if c := stack.Node().TryFindChild(jsii.String("Repository")); c != nil {
		repo = c.(awsecr.IRepository)
	} else {
		repo = awsecr.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String("orders-api"))
	}
	return awsecs.ContainerImage_FromEcrRepository(repo, jsii.String("1.0.0"))
}

// NewStack is a stack of the scenarios: environment-specific with env (Env()), with the
// availability zones that `cdk synth` would have looked up, or environment-agnostic.
func NewStack(app awscdk.App, name string, env *awscdk.Environment) awscdk.Stack {
	s := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: env})
	if env != nil {
		// What `cdk synth` would have looked up and cached in cdk.context.json.
		s.Node().SetContext(jsii.String("availability-zones:account="+Account+":region="+Region),
			jsii.Strings(Region+"a", Region+"b", Region+"c"))
	}
	return s
}

func one(s awscdk.Stack, props *privaterdsapi.PrivateRdsApiProps) *Built {
	return &Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), props)}}
}

// All returns every scenario, in a fixed order.
func All() []Scenario {
	return []Scenario{
		{"Default", func(app awscdk.App) *Built {
			s := NewStack(app, "Default", nil)
			return one(s, &privaterdsapi.PrivateRdsApiProps{Image: Image(s)})
		}},
		{"VpcLinkV1", func(app awscdk.App) *Built {
			s := NewStack(app, "VpcLinkV1", nil)
			return one(s, &privaterdsapi.PrivateRdsApiProps{Image: Image(s), VpcLinkVersion: privaterdsapi.VpcLinkV1})
		}},
		{"EnvSpecific", func(app awscdk.App) *Built {
			s := NewStack(app, "EnvSpecific", Env())
			return one(s, &privaterdsapi.PrivateRdsApiProps{Image: Image(s), MaxAzs: jsii.Number(3)})
		}},
		{"RdsInstance", RdsInstance},
		{"ImportedDatabase", ImportedDatabase},
		{"TwoApisOneVpc", TwoApisOneVpc},
		{"EveryProp", EveryProp},
		{"ExistingEndpoints", ExistingEndpoints},
		{"Hardened", Hardened},
		{"Development", Development},
		{"ExistingAccount", ExistingAccount},
		{"AdoptedEndpoints", AdoptedEndpoints},
		{"ThreeServices", ThreeServices},
		{"BlueGreen", BlueGreen},
		{"IamAuth", IamAuth},
		{"Proxy", Proxy},
	}
}

// RdsInstance is the example's shape: an isolated VPC, a PostgreSQL instance with a
// generated secret in it, and the API connected to both.
func RdsInstance(app awscdk.App) *Built {
	s := NewStack(app, "RdsInstance", nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := Postgres(s, network.Vpc)
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image:          Image(s),
		Vpc:            network.Vpc,
		Database:       db,
		DatabaseSecret: db.Secret(),
		DatabaseName:   jsii.String("orders"),
	})
}

// IamAuth is RdsInstance with IAM database authentication instead of the secret: the
// tasks connect as orders_app with tokens, and no password reaches them.
func IamAuth(app awscdk.App) *Built { return iamAuth(app, "IamAuth", false) }

// Proxy is IamAuth through an RDS Proxy with end-to-end IAM authentication.
func Proxy(app awscdk.App) *Built { return iamAuth(app, "Proxy", true) }

// iamAuth is the stack of IamAuth, and of Proxy with proxy.
func iamAuth(app awscdk.App, name string, proxy bool) *Built {
	s := NewStack(app, name, nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := Postgres(s, network.Vpc)
	props := &privaterdsapi.PrivateRdsApiProps{
		Image:           Image(s),
		Vpc:             network.Vpc,
		Database:        db,
		DatabaseName:    jsii.String("orders"),
		DatabaseIamAuth: jsii.Bool(true),
		DatabaseUser:    jsii.String("orders_app"),
	}
	if proxy {
		props.DatabaseProxy = jsii.Bool(true)
	}
	return one(s, props)
}

// Postgres is a small, encrypted PostgreSQL instance in vpc's isolated subnets.
func Postgres(s awscdk.Stack, vpc awsec2.IVpc) awsrds.DatabaseInstance {
	return awsrds.NewDatabaseInstance(s, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
			Version: awsrds.PostgresEngineVersion_VER_17_9(),
		}),
		InstanceType:       awsec2.InstanceType_Of(awsec2.InstanceClass_T4G, awsec2.InstanceSize_MICRO),
		Vpc:                vpc,
		VpcSubnets:         &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		DatabaseName:       jsii.String("orders"),
		Credentials:        awsrds.Credentials_FromGeneratedSecret(jsii.String("orders_app"), nil),
		StorageEncrypted:   jsii.Bool(true),
		MultiAz:            jsii.Bool(false),
		AllocatedStorage:   jsii.Number(20),
		DeletionProtection: jsii.Bool(false),
		RemovalPolicy:      awscdk.RemovalPolicy_SNAPSHOT,
	})
}

// ImportedVpc is an existing VPC with two isolated subnets, imported by attributes.
func ImportedVpc(s awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(s, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0a1b2c3d4e5f60718"),
		VpcCidrBlock:                jsii.String("10.20.0.0/16"),
		AvailabilityZones:           jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"),
	})
}

// databaseGroup imports the security group of the scenarios' existing database.
func databaseGroup(s awscdk.Stack) awsec2.ISecurityGroup {
	return awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("DatabaseSecurityGroup"),
		jsii.String("sg-0d1e2f3a4b5c6d7e8"), &awsec2.SecurityGroupImportOptions{AllowAllOutbound: jsii.Bool(false)})
}

// accessLogsBucket imports the scenarios' bucket of load balancer access logs.
func accessLogsBucket(s awscdk.Stack) awss3.IBucket {
	return awss3.Bucket_FromBucketName(s, jsii.String("AccessLogs"), jsii.String("orders-nlb-access-logs"))
}

// webAclArn is the scenarios' regional WAF web ACL.
const webAclArn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/orders/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"

// ImportedDatabase is a user VPC, a database known only by its security group ID and an
// RDS-managed master secret (username and password only), with host and port as props.
func ImportedDatabase(app awscdk.App) *Built {
	s := NewStack(app, "ImportedDatabase", Env())
	db := awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{databaseGroup(s)},
		DefaultPort:    awsec2.Port_Tcp(jsii.Number(5432)),
	})
	secret := awssecretsmanager.Secret_FromSecretCompleteArn(s, jsii.String("DatabaseSecret"),
		jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0f1e2d3c-AbCdEf"))
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image:          Image(s),
		Vpc:            ImportedVpc(s),
		Database:       db,
		DatabaseSecret: secret,
		DatabaseHost:   jsii.String("orders.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com"),
		DatabasePort:   jsii.Number(5432),
	})
}

// TwoApisOneVpc is two APIs in one VPC: the second needs Secrets Manager, the first
// does not; both share one set of endpoints.
func TwoApisOneVpc(app awscdk.App) *Built {
	s := NewStack(app, "TwoApisOneVpc", nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := Postgres(s, network.Vpc)
	first := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Orders"), &privaterdsapi.PrivateRdsApiProps{
		Image: Image(s), Vpc: network.Vpc,
	})
	second := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Billing"), &privaterdsapi.PrivateRdsApiProps{
		Image: Image(s), Vpc: network.Vpc, Database: db, DatabaseSecret: db.Secret(),
		VpcLinkVersion: privaterdsapi.VpcLinkV1,
	})
	return &Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{first, second}}
}

// ApiKeyKeyArn is the customer managed key of EveryProp's API_KEY secret.
const ApiKeyKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"

// EveryProp sets every prop that does not conflict with another one
// (DatabaseSecurityGroups does: its Database has its security groups).
func EveryProp(app awscdk.App) *Built {
	s := NewStack(app, "EveryProp", Env())
	db := awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{databaseGroup(s)},
	})
	secret := awssecretsmanager.Secret_FromSecretCompleteArn(s, jsii.String("DatabaseSecret"),
		jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf"))
	apiKeyKey := awskms.Key_FromKeyArn(s, jsii.String("ApiKeyKey"), jsii.String(ApiKeyKeyArn))
	apiKey := awssecretsmanager.Secret_FromSecretAttributes(s, jsii.String("ApiKey"), &awssecretsmanager.SecretAttributes{
		SecretCompleteArn: jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-key-AbCdEf"), EncryptionKey: apiKeyKey})
	salt := awsssm.StringParameter_FromSecureStringParameterAttributes(s, jsii.String("SigningSalt"),
		&awsssm.SecureStringParameterAttributes{ParameterName: jsii.String("/orders/signing-salt")})
	logs := accessLogsBucket(s)
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image:               Image(s),
		ContainerPort:       jsii.Number(3000),
		ListenerPort:        jsii.Number(8443),
		MaxAzs:              jsii.Number(3),
		AdditionalEndpoints: &[]awsec2.InterfaceVpcEndpointAwsService{awsec2.InterfaceVpcEndpointAwsService_SQS()},
		S3PrefixListId:      jsii.String("pl-6da54004"),
		Cpu:                 jsii.Number(512),
		MemoryLimitMiB:      jsii.Number(2048),
		RuntimePlatform:     &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_ARM64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
		Environment:         &map[string]*string{"LOG_LEVEL": jsii.String("info")},
		Secrets: &map[string]awsecs.Secret{
			"API_KEY":      awsecs.Secret_FromSecretsManager(apiKey, nil),
			"SIGNING_SALT": awsecs.Secret_FromSsmParameter(salt),
		},
		SecretsEncryptionKeys:        &[]awskms.IKey{apiKeyKey},
		LogRetention:                 awslogs.RetentionDays_THREE_MONTHS,
		Database:                     db,
		DatabasePort:                 jsii.Number(3306),
		DatabaseSecret:               secret,
		DatabaseHost:                 jsii.String("orders.abcdefghijkl.eu-west-1.rds.amazonaws.com"),
		DatabaseName:                 jsii.String("orders"),
		MinCapacity:                  jsii.Number(2),
		MaxCapacity:                  jsii.Number(6),
		TargetCpuUtilizationPercent:  jsii.Number(60),
		HealthCheckGracePeriod:       awscdk.Duration_Seconds(jsii.Number(300)),
		DeregistrationDelay:          awscdk.Duration_Seconds(jsii.Number(10)),
		HealthCheckPath:              jsii.String("/healthz"),
		LoadBalancerAccessLogsBucket: logs,
		LoadBalancerAccessLogsPrefix: jsii.String("orders"),
		StageName:                    jsii.String("v1"),
		VpcLinkVersion:               privaterdsapi.VpcLinkV1,
		ThrottlingRateLimit:          jsii.Number(50),
		ThrottlingBurstLimit:         jsii.Number(100),
		LoggingLevel:                 awsapigateway.MethodLoggingLevel_INFO,
		AuthorizationType:            awsapigateway.AuthorizationType_IAM,
		WebAclArn:                    jsii.String(webAclArn),
		CreateApiGatewayAccountRole:  jsii.Bool(false),
	})
}

// ExistingEndpoints is a user VPC that already has its endpoints: one API knows their
// security group, the other does not.
func ExistingEndpoints(app awscdk.App) *Built {
	s := NewStack(app, "ExistingEndpoints", Env())
	endpoints := awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("EndpointSecurityGroup"),
		jsii.String("sg-0e1f2a3b4c5d6e7f8"), nil)
	vpc := ImportedVpc(s)
	known := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image:             Image(s),
		Vpc:               vpc,
		ExistingEndpoints: &privaterdsapi.ExistingEndpoints{SecurityGroups: &[]awsec2.ISecurityGroup{endpoints}},
	})
	unknown := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Reports"), &privaterdsapi.PrivateRdsApiProps{
		Image:             Image(s),
		Vpc:               vpc,
		ExistingEndpoints: &privaterdsapi.ExistingEndpoints{},
	})
	return &Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{known, unknown}}
}

// Hardened sets every hardening prop: the read-only root filesystem (the default), a
// non-root user, a container health check, load balancer deletion protection and access
// logs, a customer managed key for the logs, a year of log retention, ECS Exec, X-Ray
// tracing and a WAF web ACL. It is meant to pass AWS Control Tower's proactive controls with no accepted
// finding.
func Hardened(app awscdk.App) *Built {
	s := NewStack(app, "Hardened", Env()) // NLB access logs need the region
	key := awskms.NewKey(s, jsii.String("LogKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the privaterdsapi log groups"),
		EnableKeyRotation: jsii.Bool(true),
	})
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image: Image(s),
		User:  jsii.String("65532:65532"),
		ContainerHealthCheck: &awsecs.HealthCheck{
			Command:     jsii.Strings("CMD", "/app", "-healthcheck"),
			Interval:    awscdk.Duration_Seconds(jsii.Number(30)),
			Timeout:     awscdk.Duration_Seconds(jsii.Number(5)),
			Retries:     jsii.Number(3),
			StartPeriod: awscdk.Duration_Seconds(jsii.Number(10)),
		},
		HealthCheckPath:              jsii.String("/healthz"),
		DeletionProtection:           jsii.Bool(true),
		LoadBalancerAccessLogsBucket: accessLogsBucket(s),
		LogEncryptionKey:             key,
		LogRetention:                 awslogs.RetentionDays_ONE_YEAR,
		EnableExecuteCommand:         jsii.Bool(true),
		TracingEnabled:               jsii.Bool(true),
		WebAclArn:                    jsii.String(webAclArn),
		AlarmActions:                 Pager(s),
	})
}

// Pager is an alarm action on an SNS topic of the account (imported: the topic is the
// account's, and has its own encryption and policy).
func Pager(s awscdk.Stack) *[]awscloudwatch.IAlarmAction {
	topic := awssns.Topic_FromTopicArn(s, jsii.String("Pager"), jsii.String("arn:aws:sns:"+Region+":"+Account+":pager"))
	return &[]awscloudwatch.IAlarmAction{awscloudwatchactions.NewSnsAction(topic)}
}

// Development is the cheapest profile: the interface endpoints in one availability zone,
// the tasks on Fargate Spot and ARM64, and no Container Insights.
func Development(app awscdk.App) *Built {
	s := NewStack(app, "Development", nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image: Image(s),
		Vpc:   network.Vpc,
		EndpointSubnets: &awsec2.SubnetSelection{
			SubnetType:        awsec2.SubnetType_PRIVATE_ISOLATED,
			AvailabilityZones: &[]*string{(*network.Vpc.AvailabilityZones())[0]},
		},
		CapacityProviderStrategies: &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("FARGATE_SPOT"), Weight: jsii.Number(1)}},
		RuntimePlatform:            &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_ARM64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
		ContainerInsights:          jsii.Bool(false),
	})
}

// LookupContext is what `cdk synth` caches in cdk.context.json for
// awsec2.Vpc_FromLookup(VpcId: the scenarios' existing VPC) in the scenarios' environment:
// the VPC of ImportedVpc, with its two isolated subnets and their route tables. The key
// is the one CDK reports as missing context without it.
func LookupContext() map[string]any {
	key := "vpc-provider:account=" + Account + ":filter.vpc-id=vpc-0a1b2c3d4e5f60718:region=" + Region + ":returnAsymmetricSubnets=true"
	return map[string]any{key: map[string]any{
		"vpcId":             "vpc-0a1b2c3d4e5f60718",
		"vpcCidrBlock":      "10.20.0.0/16",
		"availabilityZones": []any{},
		"subnetGroups": []any{map[string]any{"name": "Isolated", "type": "Isolated", "subnets": []any{
			map[string]any{"subnetId": "subnet-0aaaaaaaaaaaaaaa1", "cidr": "10.20.0.0/24", "availabilityZone": "eu-west-1a", "routeTableId": "rtb-0aaaaaaaaaaaaaaa1"},
			map[string]any{"subnetId": "subnet-0bbbbbbbbbbbbbbb2", "cidr": "10.20.1.0/24", "availabilityZone": "eu-west-1b", "routeTableId": "rtb-0bbbbbbbbbbbbbbb2"},
		}}},
	}}
}

// SecretKeyArn is the customer managed key of ExistingAccount's database secret.
const SecretKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

// ExistingAccount is the setup of a user who adopts the construct in an existing
// account (the README's "Adopting into an existing account"): the VPC looked up (its
// isolated subnets from cdk.context.json, here set on the stack), a PostgreSQL instance
// made by hand, imported with its security group ID, and its secret imported by complete
// ARN, encrypted with a customer managed key.
func ExistingAccount(app awscdk.App) *Built {
	s := NewStack(app, "ExistingAccount", Env())
	for k, v := range LookupContext() {
		s.Node().SetContext(jsii.String(k), v)
	}
	vpc := awsec2.Vpc_FromLookup(s, jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String("vpc-0a1b2c3d4e5f60718")})
	db := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(s, jsii.String("Database"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String("orders"),
		InstanceEndpointAddress: jsii.String("orders.abcdefghijkl.eu-west-1.rds.amazonaws.com"),
		Port:                    jsii.Number(5432),
		SecurityGroups: &[]awsec2.ISecurityGroup{
			awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("DatabaseSecurityGroup"), jsii.String("sg-0d1e2f3a4b5c6d7e8"), nil),
		},
	})
	secret := awssecretsmanager.Secret_FromSecretAttributes(s, jsii.String("DatabaseSecret"), &awssecretsmanager.SecretAttributes{
		SecretCompleteArn: jsii.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0f1e2d3c-AbCdEf"),
		EncryptionKey:     awskms.Key_FromKeyArn(s, jsii.String("SecretKey"), jsii.String(SecretKeyArn)),
	})
	return one(s, &privaterdsapi.PrivateRdsApiProps{
		Image:          Image(s),
		Vpc:            vpc,
		Database:       db,
		DatabaseSecret: secret,
		DatabaseName:   jsii.String("orders"),
	})
}

// AdoptedEndpoints is a VPC made with CDK that already has endpoints when the API comes:
// the S3 gateway endpoint from VpcProps.GatewayEndpoints (CDK's documented way) and a
// logs interface endpoint from Vpc.AddInterfaceEndpoint. The API reuses both and creates
// only the endpoints that are missing.
func AdoptedEndpoints(app awscdk.App) *Built {
	s := NewStack(app, "AdoptedEndpoints", Env())
	vpc := awsec2.NewVpc(s, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24),
		}},
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(awslogs.NewLogGroup(s, jsii.String("FlowLogGroup"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}), nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	// The user's endpoint group admits only whom it is told to, such as the API's tasks.
	group := awsec2.NewSecurityGroup(s, jsii.String("LogsEndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: vpc, AllowAllOutbound: jsii.Bool(false), Description: jsii.String("The logs interface endpoint"),
	})
	vpc.AddInterfaceEndpoint(jsii.String("Logs"), &awsec2.InterfaceVpcEndpointOptions{
		Service:        awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS(),
		Open:           jsii.Bool(false),
		SecurityGroups: &[]awsec2.ISecurityGroup{group},
	})
	return one(s, &privaterdsapi.PrivateRdsApiProps{Image: Image(s), Vpc: vpc})
}

// ThreeServices is one API with three services behind one load balancer: the first
// (serving "/") with the database and its secret, "/orders" with another task size and a
// Secrets Manager secret of its own, "/catalog" without database.
func ThreeServices(app awscdk.App) *Built {
	s := NewStack(app, "ThreeServices", nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := Postgres(s, network.Vpc)
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image:          Image(s),
		Vpc:            network.Vpc,
		Database:       db,
		DatabaseSecret: db.Secret(),
		DatabaseName:   jsii.String("orders"),
	})
	key := awssecretsmanager.Secret_FromSecretNameV2(s, jsii.String("PaymentsKey"), jsii.String("orders/payments-key"))
	api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{
		PathPrefix:     jsii.String("/orders"),
		Image:          Image(s),
		Cpu:            jsii.Number(512),
		MemoryLimitMiB: jsii.Number(1024),
		Secrets:        &map[string]awsecs.Secret{"PAYMENTS_KEY": awsecs.Secret_FromSecretsManager(key, nil)},
		MaxCapacity:    jsii.Number(4),
	})
	api.AddService(jsii.String("Catalog"), &privaterdsapi.ServiceProps{
		PathPrefix:      jsii.String("/catalog"),
		Image:           Image(s),
		HealthCheckPath: jsii.String("/healthz"),
	})
	return &Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}}
}

// BlueGreen is an API whose services deploy blue/green (ECS's native blue/green with an
// alternate target group on the shared load balancer), with alarm actions on an SNS topic
// of the account and the dashboard, and a database in the app.
func BlueGreen(app awscdk.App) *Built {
	s := NewStack(app, "BlueGreen", Env())
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := Postgres(s, network.Vpc)
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image:              Image(s),
		Vpc:                network.Vpc,
		Database:           db,
		DatabaseSecret:     db.Secret(),
		DeploymentStrategy: awsecs.DeploymentStrategy_BLUE_GREEN,
		AlarmActions:       Pager(s),
		Dashboard:          jsii.Bool(true),
	})
	api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{
		PathPrefix:         jsii.String("/orders"),
		Image:              Image(s),
		DeploymentStrategy: awsecs.DeploymentStrategy_BLUE_GREEN,
	})
	return &Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}}
}
