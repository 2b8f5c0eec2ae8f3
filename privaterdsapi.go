// Package privaterdsapi is an AWS CDK v2 construct library for Go: a container API in
// front of an RDS database, reachable through API Gateway, with no NAT gateway and no
// internet path at all.
//
// The topology is API Gateway REST API -> VPC link -> internal Network Load Balancer ->
// ECS Fargate service in isolated subnets -> the database, with PrivateLink (interface)
// endpoints and an S3 gateway endpoint so that the tasks can pull their image, write
// their logs and read their secrets without internet.
//
//	api := privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
//		Image: awsecs.ContainerImage_FromAsset(jsii.String("./app"), &awsecs.AssetImageProps{
//			Platform: awsecrassets.Platform_LINUX_AMD64(), // the task's default architecture
//		}),
//		Vpc:            vpc,
//		Database:       db,
//		DatabaseSecret: db.Secret(),
//	})
//
// This file is the table of contents: the props, the construct and the constructor that
// wires the parts. What the services share: the network (vpc.go), the VPC endpoints
// (endpoints.go, and existing_endpoints.go for those the VPC already has), the load
// balancer (nlb.go), the cluster and the REST API (gateway.go). What each service has
// (service.go: ServiceProps, ApiService, AddService): its listener and target group
// (nlb.go), task definition and Fargate service (fargate.go), database access
// (database.go, iam.go) and routes (gateway.go). Operations: alarms.go, dashboard.go,
// deployment.go. Around them: defaults.go (every default), validation.go and agreement.go
// (the checks), logs.go, nag.go (the cdk-nag suppressions).
package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// VpcLinkVersion selects the kind of API Gateway VPC link between the REST API and the
// Network Load Balancer.
type VpcLinkVersion string

const (
	// VpcLinkDefault is the zero value: it means VpcLinkV2.
	VpcLinkDefault VpcLinkVersion = ""
	// VpcLinkV1 is the legacy REST API VPC link (AWS::ApiGateway::VpcLink), which reaches
	// the load balancer through a PrivateLink endpoint service.
	VpcLinkV1 VpcLinkVersion = "V1"
	// VpcLinkV2 is the VPC link V2 (AWS::ApiGatewayV2::VpcLink): elastic network interfaces
	// in the isolated subnets with their own security group. AWS recommends it for new
	// REST API private integrations.
	VpcLinkV2 VpcLinkVersion = "V2"
)

// ExistingEndpoints tells the construct which VPC endpoints the VPC already has outside
// the app (made in the console or by another tool), so that it creates only the others.
// Endpoints made in the same app need no declaration: the construct finds and reuses
// them (see PrivateEndpoints). Every PrivateRdsApi of one VPC should be given the same
// ExistingEndpoints: one that creates an endpoint another declares existing is an error
// (ProblemConflict) when it comes first, a failed deploy when it comes after.
type ExistingEndpoints struct {
	// SecurityGroups are the security groups of the existing interface endpoints. The
	// construct allows HTTPS (443) from the tasks' security group into each of them, and
	// from the tasks to them; the service waits for those rules (DependsOn).
	//
	// Default: none. The tasks then get egress on 443 to the VPC's CIDR block, and the owner
	// of the endpoints must allow the tasks' security group (ServiceSecurityGroup) in.
	SecurityGroups *[]awsec2.ISecurityGroup
	// Services are the interface endpoints (with private DNS) that exist, for example
	// &[]awsec2.InterfaceVpcEndpointAwsService{awsec2.InterfaceVpcEndpointAwsService_ECR(),
	// awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER()}: the construct creates the other
	// interface endpoints the tasks need (see PrivateEndpoints), and EndpointSubnets then
	// applies to those. An empty list says that none exists.
	//
	// Default: nil, every interface endpoint the tasks need exists (ecr.api, ecr.dkr, logs,
	// secretsmanager or ssm for the injected secrets, ssmmessages with
	// EnableExecuteCommand, AdditionalEndpoints).
	Services *[]awsec2.InterfaceVpcEndpointAwsService
	// S3GatewayEndpoint says whether the S3 gateway endpoint exists on the tasks' route
	// tables. With false, the construct creates one on the route tables that no S3 gateway
	// endpoint of the app has.
	//
	// Default: true.
	S3GatewayEndpoint *bool
}

// PrivateRdsApiProps configures a PrivateRdsApi. Pointer fields left nil take the
// documented default.
type PrivateRdsApiProps struct {
	// Image is the container image. The VPC has no internet path, so it must come from ECR:
	// awsecs.ContainerImage_FromAsset or awsecs.ContainerImage_FromEcrRepository. Required.
	Image awsecs.ContainerImage

	// ContainerPort is the TCP port the container listens on, also set as the container's
	// PORT variable (see Environment).
	//
	// Default: 8080.
	ContainerPort *float64
	// ListenerPort is the TCP port of the load balancer's listener, used in the integration
	// URI. Every service of the API has its own listener on the shared load balancer, so
	// two services on one port are an error (ProblemConflict), as are more listeners than
	// a Network Load Balancer takes (50, ProblemRange).
	//
	// Default: 80 for the service NewPrivateRdsApi builds; for AddService, the port after
	// the highest listener port in use.
	ListenerPort *float64

	// Vpc is the VPC to run in. The construct uses its isolated subnets (or VpcSubnets) and
	// creates nothing network-wide in it but the VPC endpoints the tasks need (see
	// ExistingEndpoints).
	//
	// Default: a new VPC with only PRIVATE_ISOLATED subnets in MaxAzs availability zones, no
	// NAT gateway, no internet gateway, DNS support and host names on, and a flow log.
	Vpc awsec2.IVpc
	// VpcSubnets selects the subnets of Vpc for the tasks, the load balancer, the VPC link
	// V2 and the endpoints. Only with Vpc. The load balancer and the interface endpoints
	// take the first selected subnet of each availability zone (AWS accepts one per zone
	// for them); the tasks and the VPC link take every selected subnet. Subnets with a
	// route to the internet are refused (ProblemInternetRoute) unless AllowInternetRoute.
	//
	// Default: the VPC's PRIVATE_ISOLATED subnets.
	VpcSubnets *awsec2.SubnetSelection
	// AllowInternetRoute accepts VpcSubnets with a route to the internet: PUBLIC subnets,
	// or PRIVATE_WITH_EGRESS subnets behind NAT gateways (those of a VPC made with
	// awsec2.NewVpc's defaults). The construct then no longer keeps its promise of no
	// internet path: the tasks can reach the internet, and both the VPC's NAT gateways and
	// the VPC endpoints the construct creates are paid for. Only with Vpc.
	//
	// Default: false; VpcSubnets that select such subnets are refused
	// (ProblemInternetRoute).
	AllowInternetRoute *bool
	// MaxAzs is the number of availability zones of the new VPC. Only without Vpc. An
	// environment-agnostic stack gets at most 2.
	//
	// Default: 2.
	MaxAzs *float64
	// ExistingEndpoints, when set, says which VPC endpoints the tasks need (ecr.api,
	// ecr.dkr, logs, secretsmanager or ssm for the injected secrets, and the S3 gateway on
	// the tasks' route tables) Vpc already has outside the app: all of them, or those of
	// its Services and S3GatewayEndpoint. Endpoints made in the app need no declaration
	// (see PrivateEndpoints). Only with Vpc.
	//
	// Default: nil; the construct creates the endpoints the VPC does not have in the app,
	// once per VPC: every PrivateRdsApi in the same VPC shares them (see PrivateEndpoints).
	ExistingEndpoints *ExistingEndpoints
	// EndpointSubnets are the subnets of the interface endpoints (at most one per
	// availability zone is used). Interface endpoints are billed per endpoint and per AZ,
	// so one AZ halves their cost with two: for example
	// &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
	// AvailabilityZones: &[]*string{(*vpc.AvailabilityZones())[0]}} for development.
	// Tasks in the other AZs then reach the endpoints across AZs (data transfer between
	// AZs is billed), and while that AZ is down no task anywhere can pull its image, write
	// its logs or read its secrets: new tasks fail to start. The endpoints are shared per
	// VPC: an API that sets EndpointSubnets must select the same subnets as the endpoints
	// already have (ProblemConflict at synthesis otherwise); an API that leaves it unset
	// uses the endpoints as they are. Not with an ExistingEndpoints without Services (the
	// construct then creates no interface endpoint).
	//
	// Default: the tasks' subnets (VpcSubnets).
	EndpointSubnets *awsec2.SubnetSelection
	// AdditionalEndpoints are more interface endpoints the application itself calls, for
	// example awsec2.InterfaceVpcEndpointAwsService_SQS(). They are shared per VPC like the
	// others.
	//
	// Default: none.
	AdditionalEndpoints *[]awsec2.InterfaceVpcEndpointAwsService
	// S3PrefixListId is the ID of the AWS-managed prefix list of S3 in the stack's region
	// (com.amazonaws.<region>.s3), for example from
	// awsec2.PrefixList_FromLookup(...).PrefixListId(). When set, the tasks' HTTPS egress to
	// S3 (image layers) is limited to it.
	//
	// Default: the tasks get HTTPS (443) egress to 0.0.0.0/0. With no internet route this
	// reaches only S3 through the gateway endpoint and HTTPS listeners inside the VPC; the ID
	// cannot be had in CloudFormation without a lookup, which the construct does not make
	// behind your back.
	S3PrefixListId *string

	// Cpu is the task's CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384).
	//
	// Default: 256.
	Cpu *float64
	// MemoryLimitMiB is the task's memory, in a combination with Cpu that Fargate accepts.
	//
	// Default: 512.
	MemoryLimitMiB *float64
	// RuntimePlatform is the task's operating system and CPU architecture. ARM64
	// (Graviton) costs about 20% less per vCPU and GB; the image must be built for it
	// (an image asset's AssetImageProps.Platform must match: ProblemImagePlatform). Windows
	// containers need X86_64, a Cpu of 1024, 2048 or 4096, no Fargate Spot and no User;
	// they get no read-only root filesystem, which ECS does not support for them.
	//
	// Default: Linux on X86_64.
	RuntimePlatform *awsecs.RuntimePlatform
	// CapacityProviderStrategies spread the service's tasks over Fargate capacity providers
	// ("FARGATE" and "FARGATE_SPOT", which the cluster then has), for example
	// []*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("FARGATE_SPOT"),
	// Weight: jsii.Number(1)}}. Fargate Spot costs about 70% less and may stop a task with
	// two minutes' notice (the task gets SIGTERM, and the service starts a replacement).
	// The service then has no launch type.
	//
	// Default: FARGATE on demand (the FARGATE launch type).
	CapacityProviderStrategies *[]*awsecs.CapacityProviderStrategy
	// ContainerInsights turns on CloudWatch Container Insights for the cluster: metrics per
	// task and service, billed as custom metrics (about 25 for one service). cdk-nag's ECS4
	// and AWS Control Tower's CT.ECS.PR.2 ask for it; with false the construct carries the
	// ECS4 suppression, with its reason.
	//
	// Default: true.
	ContainerInsights *bool
	// Environment is plain environment variables for the container. Never put secrets here:
	// use Secrets. The construct sets PORT (ContainerPort) and API_STAGE (StageName) itself,
	// so that the app cannot disagree with the port the load balancer targets or the stage
	// API Gateway puts in the path: an entry of the same name is accepted only with the same
	// literal value ("8080", "prod"), and is a ProblemReservedVariable error otherwise, as it
	// is in Secrets. So are the DB_* variables set from the database props.
	//
	// Default: none; the container still gets PORT and API_STAGE.
	Environment *map[string]*string
	// Secrets are more secrets injected into the container as environment variables, from
	// Secrets Manager or SSM Parameter Store. The construct adds the secretsmanager or ssm
	// endpoint for them, as they need.
	//
	// Default: none.
	Secrets *map[string]awsecs.Secret
	// SecretsEncryptionKeys are the customer managed KMS keys of Secrets Manager secrets in
	// Secrets whose keys are imported (awskms.Key_FromKeyArn): an awsecs.Secret does not show
	// its secret's key, and CDK's grant on an imported key does nothing (aws-cdk #17156).
	// The execution role gets kms:Decrypt on each, only through Secrets Manager
	// (kms:ViaService secretsmanager.<region>.amazonaws.com). The key's policy must let the
	// account's IAM policies grant it (a key's default policy does).
	//
	// Default: none; keys made in this app get CDK's grant in their key policy.
	SecretsEncryptionKeys *[]awskms.IKey
	// LogRetention is how long the container's logs, the API's access logs and the VPC flow
	// log are kept. AWS Control Tower's CT.CLOUDWATCH.PR.2 asks for a year or more.
	//
	// Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
	// LogEncryptionKey encrypts the construct's log groups (the container's, the API's
	// access log and the flow log of the VPC it creates) with a customer managed KMS key.
	// The construct adds a statement to the key's policy that lets the CloudWatch Logs
	// service of the stack's region use the key for log groups named as CloudFormation
	// names these ones, <stack name>-<logical id>-<random suffix> (ArnLike on the encryption
	// context, the suffix a wildcard; see SECURITY.md): the log groups have no fixed name,
	// so that `cdk deploy` after `cdk destroy` does not collide with the retained ones. An
	// imported key's policy cannot be changed: the construct then warns, and the statement
	// is yours to add. AWS Control Tower's CT.CLOUDWATCH.PR.3 accepts a key of the same
	// stack or one imported by a literal ARN (not one from Fn::ImportValue or a parameter).
	//
	// Default: none; CloudWatch Logs encrypts the log groups with its own key.
	LogEncryptionKey awskms.IKey

	// ReadonlyRootFilesystem mounts the container's root filesystem read-only. The task then
	// has a writable scratch volume at /tmp (Fargate ephemeral storage, emptied with the
	// task). Fargate creates such a volume owned by root with mode 0755: an image that runs
	// as a non-root user and writes to /tmp must declare VOLUME ["/tmp"] in its Dockerfile
	// on a /tmp that user can write (Fargate copies the directory's content and
	// permissions into the volume).
	//
	// Default: true; unset for a Windows RuntimePlatform (ECS does not support it there).
	ReadonlyRootFilesystem *bool
	// User is the user the container's process runs as: "uid", "uid:gid", "user" or
	// "user:group" (names must exist in the image). See SECURITY.md for why the default is
	// the image's own user; AWS Control Tower's CT.ECS.PR.3 asks for a non-root User in
	// the task definition.
	//
	// Default: the image's own user (its USER instruction; root when it has none).
	User *string
	// ContainerHealthCheck is the container's own health check, which ECS runs inside it
	// (the command needs what it calls in the image: a one-element command runs with
	// CMD-SHELL, so the image needs a shell). Independent of the load balancer's check; a
	// StartPeriod above 180 seconds lengthens the default HealthCheckGracePeriod.
	//
	// Default: none; the target group's health check decides.
	ContainerHealthCheck *awsecs.HealthCheck
	// EnableExecuteCommand turns on ECS Exec (aws ecs execute-command): a shell in a running
	// task without SSH or a bastion. It adds the ssmmessages interface endpoint (shared per
	// VPC), the task role's ssmmessages permissions, session logging into the container's
	// log group (encrypted with LogEncryptionKey when set), and, with a read-only root
	// filesystem, writable volumes at /managed-agents, /var/lib/amazon/ssm and
	// /var/log/amazon/ssm for the exec agent. The image needs the shell you ask for, and the
	// `script` program (util-linux) for session logging.
	//
	// Default: false.
	EnableExecuteCommand *bool

	// Database is the database the tasks talk to: an RDS instance, cluster or proxy, or an
	// imported one (awsec2.NewConnections with its security groups and default port). The
	// construct opens the database's port from the tasks' security group, and only from it,
	// on both sides: the tasks' egress and the database's ingress (also into a group
	// imported by ID, which CloudFormation takes; the service waits for that rule). With or
	// without DatabaseSecret, it sets as plain environment DB_HOST when the host is known
	// (DatabaseHost, or Database is an RDS instance, cluster or proxy) and DB_PORT
	// (DatabasePort, else the instance's or cluster's port, else the default port of
	// Database's connections; with DatabaseSecret, see there). Database must be in the
	// API's VPC (ProblemDatabaseVpc at synthesis where the two VPCs can be told apart); a
	// Database whose security groups are unknown fails at synthesis
	// (ProblemDatabaseSecurityGroups, see DatabaseSecurityGroups).
	//
	// Default: none; no database rule is written.
	Database awsec2.IConnectable
	// DatabaseSecurityGroups are the security groups of Database when its connections carry
	// none: an instance or cluster imported without SecurityGroups, or awsec2.NewConnections
	// without groups. The construct writes the ingress from the tasks into each (import
	// them with awsec2.SecurityGroup_FromSecurityGroupId) and the tasks' egress to each. An
	// empty list says that the database's side is yours: the tasks then get egress on the
	// database's port to the VPC's CIDR block (which must be known), and you must allow
	// ServiceSecurityGroup in on the database. Only with Database, and only when its
	// connections have no security groups (ProblemConflict otherwise).
	//
	// Default: the security groups of Database's connections; with none, the tasks get
	// egress on the database's port to the VPC's CIDR block and synthesis fails with
	// ProblemDatabaseSecurityGroups.
	DatabaseSecurityGroups *[]awsec2.ISecurityGroup
	// DatabasePort is the database's TCP port, for the security group rule and DB_PORT.
	//
	// Default: the default port of Database's connections; required when it has none.
	DatabasePort *float64
	// DatabaseSecret is an RDS credentials secret (JSON with username and password). It is
	// injected as ECS secrets, never as plain environment: DB_USER and DB_PASSWORD from its
	// username and password keys. DB_HOST and DB_PORT come from DatabaseHost/DatabasePort,
	// else from Database when it is an RDS instance or cluster, else from the secret's host
	// and port keys, which a secret made by CDK's DatabaseInstance or DatabaseCluster has and
	// an RDS-managed master secret (ManageMasterUserPassword) lacks: ECS fails the task at
	// start when a referenced key is missing. When the secret has a customer managed key
	// that CDK cannot grant through the key's policy (an imported key, as in
	// Secret_FromSecretAttributes with EncryptionKey: awskms.Key_FromKeyArn(...)), the
	// execution role gets kms:Decrypt on it, only through Secrets Manager
	// (kms:ViaService secretsmanager.<region>.amazonaws.com).
	//
	// Default: none; the construct injects no credentials. The application then gets them
	// another way: IAM database authentication (DatabaseIamAuth) or its own Secrets. With
	// DatabaseIamAuth it is refused (ProblemConflict), except with DatabaseProxy, where it
	// is the proxy's credential to the database and is not injected.
	DatabaseSecret awssecretsmanager.ISecret
	// DatabaseHost is the database's host name, set as DB_HOST, with or without
	// DatabaseSecret.
	//
	// Default: see DatabaseSecret.
	DatabaseHost *string
	// DatabaseName is set as DB_NAME.
	//
	// Default: none; DB_NAME is not set.
	DatabaseName *string
	// DatabaseIamAuth makes the tasks connect to the database as DatabaseUser with IAM
	// database authentication: the app signs a 15-minute token with the task role's
	// credentials for each new connection (locally: no VPC endpoint), and no password
	// exists for it. The container gets DB_HOST, DB_PORT, DB_USER, DB_IAM_AUTH=true and
	// DB_NAME (with DatabaseName), and no DB_PASSWORD; ECS sets AWS_REGION in every task
	// (ECS developer guide, "Amazon ECS environment variables"). The task role gets
	// rds-db:connect for DatabaseUser on exactly that database (its GrantConnect), or on
	// the proxy with DatabaseProxy. An instance or cluster made in the app gets its IAM
	// authentication turned on (EnableIAMDatabaseAuthentication; CDK's GrantConnect does it
	// for an instance, the construct for a cluster); one with IamAuthentication: false is
	// a ProblemConflict. The database user must exist and be allowed IAM
	// authentication (PostgreSQL: GRANT rds_iam TO <user>; MySQL and MariaDB: CREATE USER
	// ... IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'). Requires Database and
	// DatabaseUser (ProblemRequired); refused with DatabaseSecret unless DatabaseProxy
	// (ProblemConflict), and for engines without IAM database authentication where the
	// engine is known (ProblemIamAuthEngine: Oracle, SQL Server, Db2, MariaDB before
	// 10.11; RDS User Guide, "Supported Regions and DB engines for IAM database
	// authentication"). An imported database needs DatabaseResourceId unless it was
	// imported with its resource ID.
	//
	// Default: false.
	DatabaseIamAuth *bool
	// DatabaseUser is the database user the tasks connect as with DatabaseIamAuth, set as
	// DB_USER. Only with DatabaseIamAuth (ProblemRequires).
	//
	// Default: none; required with DatabaseIamAuth.
	DatabaseUser *string
	// DatabaseResourceId is the resource ID of an imported Database for the task role's
	// rds-db:connect grant: the DbiResourceId of an instance ("db-" and 26 characters,
	// `aws rds describe-db-instances --db-instance-identifier NAME --query
	// 'DBInstances[0].DbiResourceId'`), or the DbClusterResourceId of a cluster
	// ("cluster-...", `aws rds describe-db-clusters --db-cluster-identifier NAME --query
	// 'DBClusters[0].DbClusterResourceId'`); not the instance or cluster identifier. Only
	// with DatabaseIamAuth, without DatabaseProxy, and for a Database whose resource ID
	// the construct cannot read (ProblemConflict otherwise): an imported instance or
	// cluster, or awsec2.NewConnections (which also needs DatabaseHost). A value that is
	// not of the form db-..., cluster-... or prx-... is ProblemFormat (an identifier
	// there would make every connection fail at run time).
	//
	// Default: the database's own (InstanceResourceId, ClusterResourceIdentifier, or the
	// proxy's ARN); ProblemRequired where it has none.
	DatabaseResourceId *string
	// DatabaseProxy puts an RDS Proxy (awsrds.DatabaseProxy, the service's DatabaseProxy
	// field) between the tasks and Database, an RDS instance or cluster made in the app,
	// in the API's subnets: TLS required, IAM authentication from the tasks (so it needs
	// DatabaseIamAuth), DB_HOST its endpoint, DB_PORT the engine family's port (the proxy
	// listens on 3306 for MySQL and MariaDB, 5432 for PostgreSQL, 1433 for SQL Server).
	// To the database, the proxy authenticates with end-to-end IAM
	// (awsrds.DefaultAuthScheme_IAM_AUTH, MySQL, MariaDB and PostgreSQL: no secret at all;
	// the proxy's role gets rds-db:connect for DatabaseUser on the database, whose IAM
	// authentication GrantConnect turns on), or, with DatabaseSecret, with that secret,
	// which is then the proxy's only (never injected into the container). Security groups:
	// the tasks reach the proxy on its port, the proxy reaches the database on the
	// database's port, nothing else. Proxies are billed per vCPU of the database's
	// instances (see README, Cost), and each service with DatabaseProxy gets its own
	// proxy: services that share a database share a proxy only if you create it yourself
	// and pass it as their Database. Errors: ProblemProxyTarget for a Database that is not
	// an instance or cluster of the app (an imported one, a proxy, Connections: create the
	// proxy yourself and pass it as Database with DatabaseIamAuth), ProblemProxyEngine for
	// an engine RDS Proxy does not support (CDK knows no engine family for it: Oracle,
	// Db2), ProblemRequires without DatabaseIamAuth, ProblemConflict with DatabaseHost or
	// DatabasePort.
	//
	// Default: false; the tasks connect to Database directly.
	DatabaseProxy *bool

	// DeploymentStrategy is how ECS replaces the service's tasks on a deployment:
	// awsecs.DeploymentStrategy_ROLLING, or awsecs.DeploymentStrategy_BLUE_GREEN (ECS's
	// native blue/green: a second, alternate target group of the service
	// (ApiService.AlternateTargetGroup) gets the new tasks, ECS moves the listener to it,
	// then stops the old tasks). With a
	// Network Load Balancer ECS waits 10 minutes at each traffic shift (ECS developer guide,
	// "Network Load Balancer resources for blue/green deployments"): a blue/green
	// deployment takes at least 20 minutes more than a rolling one, and runs twice the
	// tasks meanwhile. LINEAR and CANARY are ProblemRange (the construct has no props for
	// their traffic steps).
	//
	// Default: awsecs.DeploymentStrategy_ROLLING.
	DeploymentStrategy awsecs.DeploymentStrategy
	// MinCapacity is the least number of tasks. With a scaling range (MinCapacity below
	// MaxCapacity) the service has no DesiredCount, since CloudFormation applies it on every
	// update of the service and would take a scaled-out service back to it at each deploy
	// (aws-cdk #3919; CDK's flag @aws-cdk/aws-ecs-patterns:removeDefaultDesiredCount). Without
	// it, ECS creates the service with one task and keeps the current count on later updates
	// (AWS::ECS::Service DesiredCount); the scalable target, registered once the service is
	// stable, then brings the count into [MinCapacity, MaxCapacity] (Application Auto
	// Scaling's RegisterScalableTarget "changes the resource's current capacity to a value
	// that is inside of this range"), so the first deploy reaches MinCapacity tasks. With
	// MinCapacity equal to MaxCapacity, DesiredCount is that number. With 0 the service
	// starts with one task and can scale in to nothing, but CPU tracking never scales out
	// from zero.
	//
	// Default: 1.
	MinCapacity *float64
	// MaxCapacity is the largest number of tasks.
	//
	// Default: 2.
	MaxCapacity *float64
	// TargetCpuUtilizationPercent is the CPU utilization the service scales to keep.
	//
	// Default: 80.
	TargetCpuUtilizationPercent *float64
	// HealthCheckGracePeriod is how long ECS ignores load balancer health checks of a new
	// task. NLB target registration takes a while; too short a period kills healthy tasks.
	// It must not be shorter than ContainerHealthCheck.StartPeriod (ProblemConflict).
	//
	// Default: 180 seconds; with a ContainerHealthCheck.StartPeriod above 180 seconds, the
	// start period plus HealthyThresholdCount × HealthCheckInterval (the time the load
	// balancer takes to find the started task healthy).
	HealthCheckGracePeriod awscdk.Duration

	// DeregistrationDelay is how long the load balancer drains a target before it is
	// deregistered (0 to 3600 seconds).
	//
	// Default: 30 seconds (ELB's own default is 300).
	DeregistrationDelay awscdk.Duration
	// HealthCheckPath, when set, makes the target group's health check an HTTP GET of this
	// path on the container port, expecting HealthCheckHealthyHttpCodes.
	//
	// Default: a TCP connection check on the container port.
	HealthCheckPath *string
	// HealthCheckHealthyHttpCodes are the HTTP codes of a healthy answer to
	// HealthCheckPath: codes from 200 to 599 or ranges, separated by commas ("200",
	// "200-299,304"). Only with HealthCheckPath.
	//
	// Default: "200-399".
	HealthCheckHealthyHttpCodes *string
	// HealthCheckInterval is the time between two health checks of a target (5 to 300
	// seconds, whole seconds).
	//
	// Default: 10 seconds.
	HealthCheckInterval awscdk.Duration
	// HealthCheckTimeout is how long a health check waits for an answer (2 to 120 seconds,
	// at most HealthCheckInterval).
	//
	// Default: Elastic Load Balancing's (10 seconds for TCP, 6 for HTTP), or
	// HealthCheckInterval when that is shorter.
	HealthCheckTimeout awscdk.Duration
	// HealthyThresholdCount is the number of consecutive successful health checks that make
	// a target healthy (2 to 10).
	//
	// Default: 2.
	HealthyThresholdCount *float64
	// UnhealthyThresholdCount is the number of consecutive failed health checks that make a
	// target unhealthy (2 to 10).
	//
	// Default: 2.
	UnhealthyThresholdCount *float64
	// LoadBalancerAccessLogsBucket turns on the load balancer's access logs into this bucket
	// (SSE-S3 encrypted). An NLB writes access logs only for TLS listeners, so with the TCP
	// listener this construct creates, the bucket stays empty.
	//
	// Default: no access logs.
	LoadBalancerAccessLogsBucket awss3.IBucket
	// LoadBalancerAccessLogsPrefix is the key prefix of the access logs.
	//
	// Default: no prefix.
	LoadBalancerAccessLogsPrefix *string
	// DeletionProtection protects the load balancer from deletion. It also blocks
	// `cdk destroy` and any update that replaces the load balancer until it is turned off
	// again (in a deploy of its own). AWS Control Tower's CT.ELASTICLOADBALANCING.PR.5 asks
	// for it.
	//
	// Default: false.
	DeletionProtection *bool

	// StageName is the API's deployment stage, also set as the container's API_STAGE
	// variable (see Environment). A token (such as a CfnParameter) is a ProblemToken error.
	//
	// Default: "prod".
	StageName *string
	// VpcLinkVersion selects the VPC link.
	//
	// Default: VpcLinkV2 (the zero value VpcLinkDefault).
	VpcLinkVersion VpcLinkVersion
	// ThrottlingRateLimit is the stage's steady-state request rate limit (requests per
	// second).
	//
	// Default: 100.
	ThrottlingRateLimit *float64
	// ThrottlingBurstLimit is the stage's burst limit (requests).
	//
	// Default: 200.
	ThrottlingBurstLimit *float64
	// TracingEnabled turns on AWS X-Ray tracing of the stage (billed per trace recorded).
	// AWS Control Tower's CT.APIGATEWAY.PR.2 asks for it.
	//
	// Default: false.
	TracingEnabled *bool
	// LoggingLevel is the stage's execution logging level.
	//
	// Default: awsapigateway.MethodLoggingLevel_ERROR.
	LoggingLevel awsapigateway.MethodLoggingLevel
	// Authorizer authorizes every method (a Lambda or Cognito authorizer). Conflicts with
	// AuthorizationType.
	//
	// Default: none, see AuthorizationType.
	Authorizer awsapigateway.IAuthorizer
	// AuthorizationType authorizes every method without an authorizer, for example
	// awsapigateway.AuthorizationType_IAM. Conflicts with Authorizer.
	//
	// Default: awsapigateway.AuthorizationType_NONE, a public API.
	AuthorizationType awsapigateway.AuthorizationType
	// WebAclArn is the ARN of a regional AWS WAFv2 web ACL to associate with the stage.
	//
	// Default: none.
	WebAclArn *string
	// CreateApiGatewayAccountRole creates the account-level CloudWatch role of API Gateway
	// (AWS::ApiGateway::Account and its role, once per stack, both retained on delete) that
	// execution and access logging need. Set false when the account and region already
	// have one, for example from a landing zone.
	//
	// Default: true.
	CreateApiGatewayAccountRole *bool

	// Operations (alarms.go, dashboard.go): see the README's "Operating it".

	// Alarms creates the construct's CloudWatch alarms: on the API, ServerErrorAlarm (the
	// rate of 5XX answers) and LatencyAlarm (p99); on each service (ApiService),
	// HealthyHostsAlarm, UnhealthyHostsAlarm, RunningTasksAlarm, CpuAlarm and MemoryAlarm.
	// Each service's deployments roll back when ServerErrorAlarm or its
	// UnhealthyHostsAlarm goes into ALARM (ECS deployment alarms, besides the circuit
	// breaker). Standard resolution alarms cost $0.10 a month each.
	//
	// Default: true; false creates no alarm and no deployment alarm.
	Alarms *bool
	// AlarmActions are run by every alarm of the construct when it goes into ALARM and when
	// it returns to OK, for example an SNS topic (awscloudwatchactions.NewSnsAction). No
	// action runs on INSUFFICIENT_DATA, the state of every new alarm. Only with Alarms.
	//
	// Default: none.
	AlarmActions *[]awscloudwatch.IAlarmAction
	// ServerErrorRateAlarmPercent is the share of the stage's requests answered with a 5XX
	// error (API Gateway's 5XXError metric, whose Average is the error rate) above which
	// ServerErrorAlarm fires: 3 of 5 one-minute periods (0 to 100, ProblemRange).
	//
	// Default: 5 (percent).
	ServerErrorRateAlarmPercent *float64
	// LatencyAlarmMilliseconds is the p99 of the stage's Latency (API Gateway's, from the
	// request to the answer) above which LatencyAlarm fires: 3 consecutive five-minute
	// periods (1 to 29000, API Gateway's integration timeout; ProblemRange).
	//
	// Default: 3000 (milliseconds).
	LatencyAlarmMilliseconds *float64
	// CpuAlarmPercent and MemoryAlarmPercent are the average CPU and memory utilization of
	// each service's tasks (AWS/ECS, against the task size) above which its CpuAlarm and
	// MemoryAlarm fire: 3 consecutive five-minute periods (1 to 100, ProblemRange).
	//
	// Default: 90 (percent) each.
	CpuAlarmPercent, MemoryAlarmPercent *float64
	// Dashboard creates one CloudWatch dashboard (no fixed name: CloudFormation names it)
	// with graphs of the API, the load balancer, each service and, when a service's
	// Database is an RDS instance or cluster, the database. A dashboard costs $3 a month
	// beyond the account's first three.
	//
	// Default: false.
	Dashboard *bool
}

// PrivateRdsApi is a REST API in front of a Fargate service in isolated subnets, reached
// through a VPC link and an internal Network Load Balancer. Every resource it creates is
// a field, for escape hatches. AddService adds more services behind the same API, load
// balancer, cluster and endpoints (see ApiService).
type PrivateRdsApi struct {
	constructs.Construct

	// Vpc is the VPC the construct runs in: Props.Vpc or the one it created.
	Vpc awsec2.IVpc
	// Subnets are the subnets of the tasks, the load balancer and the VPC link V2.
	Subnets *awsec2.SubnetSelection
	// FlowLog is the VPC flow log; nil when Props.Vpc was given.
	FlowLog awsec2.FlowLog
	// FlowLogGroup is the flow log's log group; nil when Props.Vpc was given.
	FlowLogGroup awslogs.LogGroup
	// Endpoints are the VPC endpoints, shared by every PrivateRdsApi in the VPC; nil when
	// the construct creates none (Props.ExistingEndpoints, or endpoints made elsewhere in
	// the app, cover every need).
	Endpoints *PrivateEndpoints
	// ReusedEndpoints are the VPC's endpoints made elsewhere in the app before this
	// construct, which the tasks use instead of new ones (see PrivateEndpoints).
	ReusedEndpoints []awsec2.CfnVPCEndpoint

	// Services are the API's services: the one NewPrivateRdsApi builds (serving "/"), then
	// those of AddService, in order. The fields ServiceSecurityGroup, Listener,
	// TargetGroup, TaskDefinition, Container, LogGroup, Service and Scaling are the first
	// service's.
	Services []*ApiService

	// ServiceSecurityGroup is the tasks' security group.
	ServiceSecurityGroup awsec2.SecurityGroup
	// LoadBalancerSecurityGroup is the Network Load Balancer's security group.
	LoadBalancerSecurityGroup awsec2.SecurityGroup
	// LoadBalancer is the internal Network Load Balancer.
	LoadBalancer awselasticloadbalancingv2.NetworkLoadBalancer
	// Listener is the first service's TCP listener.
	Listener awselasticloadbalancingv2.NetworkListener
	// TargetGroup is the IP target group of the tasks.
	TargetGroup awselasticloadbalancingv2.NetworkTargetGroup

	// Cluster is the ECS cluster.
	Cluster awsecs.Cluster
	// TaskDefinition is the Fargate task definition.
	TaskDefinition awsecs.FargateTaskDefinition
	// Container is the application container.
	Container awsecs.ContainerDefinition
	// LogGroup receives the container's logs.
	LogGroup awslogs.LogGroup
	// CapacityProviders associates the FARGATE and FARGATE_SPOT capacity providers with the
	// cluster, shared by the services; nil while no service has CapacityProviderStrategies.
	CapacityProviders awsecs.CfnClusterCapacityProviderAssociations
	// Service is the Fargate service.
	Service awsecs.FargateService
	// Scaling is the service's task count scaling.
	Scaling awsecs.ScalableTaskCount
	// DatabaseProxy is the first service's RDS Proxy; nil unless Props.DatabaseProxy.
	DatabaseProxy awsrds.DatabaseProxy

	// RestApi is the API Gateway REST API.
	RestApi awsapigateway.RestApi
	// RootMethod is ANY / and ProxyMethod is ANY /{proxy+}.
	RootMethod, ProxyMethod awsapigateway.Method
	// RequestValidator validates the methods' request parameters.
	RequestValidator awsapigateway.RequestValidator
	// AccessLogGroup receives the stage's access logs.
	AccessLogGroup awslogs.LogGroup
	// VpcLinkV1 is the legacy VPC link; nil unless Props.VpcLinkVersion is VpcLinkV1.
	VpcLinkV1 awsapigateway.VpcLink
	// VpcLinkV2 is the VPC link V2; nil with VpcLinkV1.
	VpcLinkV2 awsapigatewayv2.VpcLink
	// VpcLinkSecurityGroup is the security group of the VPC link V2; nil with VpcLinkV1.
	VpcLinkSecurityGroup awsec2.SecurityGroup
	// VpcLinkId is the ID of the VPC link, whichever version.
	VpcLinkId *string
	// AccountRole is the account-level API Gateway CloudWatch role this stack shares; nil
	// when Props.CreateApiGatewayAccountRole is false.
	AccountRole *ApiGatewayAccountRole
	// Url is the invoke URL of the stage. It is also a stack output, CDK's default for a
	// RestApi, whose key starts with the RestApi's logical id and "Endpoint" (for example
	// ApiRestApiEndpoint4DEFB5CC for a construct with id "Api" at the stack's root).
	Url *string

	// ServerErrorAlarm and LatencyAlarm are the API's alarms; nil when Props.Alarms is
	// false. Dashboard is the CloudWatch dashboard; nil unless Props.Dashboard.
	ServerErrorAlarm, LatencyAlarm awscloudwatch.Alarm
	Dashboard                      awscloudwatch.Dashboard

	// stack is the stack the construct is in.
	stack awscdk.Stack
	// props are the props the API was made with (a copy), which added services share;
	// settings, their settings with the first service's.
	props    PrivateRdsApiProps
	settings *settings
	// relPath is the API's path relative to its stack when known without a jsii call (see
	// pathAtStackRoot), else "".
	relPath string
	// loadBalancerArn is the load balancer's ARN once read (see integrationTarget).
	loadBalancerArn *string
	// apiDimensions and loadBalancerFullName are the metric dimensions of the API and the
	// load balancer, once read (alarms.go).
	apiDimensions        map[string]*string
	loadBalancerFullName *string
	periods              map[float64]awscdk.Duration
}

// NewPrivateRdsApi builds the private API with its first service, which serves "/" and
// "/{proxy+}" (see AddService for more). It panics, as CDK constructs do, with a
// *ValidationError naming the construct's path and every invalid prop (the problems of
// ValidateProps) before it creates anything. What needs values known only at synthesis
// is checked then (see Validate).
func NewPrivateRdsApi(scope constructs.Construct, id *string, props *PrivateRdsApiProps) *PrivateRdsApi {
	d, problems := validate(props)
	problems = append(problems, checkStack(scope, props)...) // validation.go
	if len(problems) > 0 {
		panic(&ValidationError{Path: childPath(scope, id), Problems: problems})
	}
	p := resolve(props, d) // defaults.go
	this := &PrivateRdsApi{stack: awscdk.Stack_Of(scope), props: *props, settings: p}
	constructs.NewConstruct_Override(this, scope, id) // the tree gives this Go struct back (see ToString)

	this.buildNetwork(p)      // vpc.go
	this.buildLoadBalancer(p) // nlb.go
	// The first service, built as AddService builds the others (service.go), on the API's
	// own node.
	first := &ApiService{api: this, PathPrefix: "/", settings: p}
	first.Construct = this.Construct
	this.relPath = pathAtStackRoot(scope, this.stack, id)
	this.newService(first)
	this.ServiceSecurityGroup, this.Listener, this.TargetGroup = first.ServiceSecurityGroup, first.Listener, first.TargetGroup
	this.TaskDefinition, this.Container, this.LogGroup = first.TaskDefinition, first.Container, first.LogGroup
	this.Service, this.Scaling = first.Service, first.Scaling
	this.DatabaseProxy = first.DatabaseProxy
	this.suppressSharedFindings(p) // nag.go
	this.buildApi(p)               // gateway.go
	this.buildOperations(p)        // alarms.go, dashboard.go
	// The image's platform against the tasks' (agreement.go), reported at synthesis.
	first.checkPlatformLater()
	this.Node().AddValidation(&synthesisChecks{this})
	return this
}

// ToString is the construct's path. It makes the Go struct the construct's own object in
// jsii (an overriding method, see constructs.NewConstruct_Override), so that the
// construct tree gives it back (the endpoints' scan of the app knows it).
func (a *PrivateRdsApi) ToString() *string { return a.Node().Path() }

// Validate makes the checks that need values known only at synthesis, and returns a
// *ValidationError with the construct's path and every problem, or nil:
//   - the image must come from ECR in the stack's region (ProblemImageNotEcr,
//     ProblemImageRegion): the tasks have no internet path, and the VPC's ecr.dkr
//     endpoint serves its own region only;
//   - the VPC must not get the construct's endpoint for one service in two stacks
//     (ProblemEndpointsInTwoStacks);
//   - an image asset must be built for the tasks' RuntimePlatform (ProblemImagePlatform);
//   - the database must have known security groups (ProblemDatabaseSecurityGroups) and
//     be in the API's VPC (ProblemDatabaseVpc): see Database;
//   - an endpoint of the VPC found at construction must have private DNS
//     (ProblemEndpointWithoutPrivateDns), and none made after the construct may duplicate
//     one it created (ProblemDuplicateEndpoint);
//   - ExistingEndpoints that names the security group of the construct's endpoints and
//     leaves Services unset must not lack an endpoint the tasks need
//     (ProblemMissingEndpoint).
//
// CDK runs it when the app is synthesized, and synthesis fails with its message.
//
// The checks of the first service are the API's; an added service reports its own, with
// its path (ApiService.Validate).
func (a *PrivateRdsApi) Validate() error {
	var problems []PropError
	if err, ok := a.Services[0].Validate().(*ValidationError); ok {
		problems = append(problems, err.Problems...)
	}
	problems = append(problems, a.checkLateEndpoints()...) // endpoints.go
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Path: *a.Node().Path(), Problems: problems}
}

// synthesisChecks is the construct's validation, which CDK calls at synthesis.
type synthesisChecks struct{ a *PrivateRdsApi }

// Validate implements constructs.IValidation.
func (v *synthesisChecks) Validate() *[]*string {
	if err := v.a.Validate(); err != nil {
		return &[]*string{jsii.String(err.Error())}
	}
	return &[]*string{}
}

// childPath is the construct path that a construct with id will have under scope.
func childPath(scope constructs.Construct, id *string) string {
	name := "<nil id>"
	if id != nil {
		name = *id
	}
	if scope == nil {
		return name
	}
	var path string
	if jsiiPanic(func() { path = *scope.Node().Path() }) != nil || path == "" {
		return name
	}
	return path + "/" + name
}
