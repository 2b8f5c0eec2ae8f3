package privaterdsapi

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// This file is what each service of a PrivateRdsApi has of its own: its props
// (ServiceProps), its parts (ApiService) and AddService. What the services share (the
// network, the endpoints, the load balancer, the cluster and the REST API) is built by
// NewPrivateRdsApi (privaterdsapi.go); the first service is built by the same code as
// every added one (newService), from the per-service props of PrivateRdsApiProps.

// MaxListenersPerLoadBalancer is the number of listeners a Network Load Balancer takes
// (Elastic Load Balancing quota "Listeners per Network Load Balancer", not adjustable):
// one per service.
const MaxListenersPerLoadBalancer = 50

// ServiceProps configures a service added to a PrivateRdsApi with AddService. Its fields,
// but PathPrefix, are the per-service props of PrivateRdsApiProps, with the same names,
// defaults and checks (a test holds them to the same types and documentation): there they
// configure the service NewPrivateRdsApi builds, here an added one. What the services
// share stays on PrivateRdsApiProps: the network (Vpc, VpcSubnets, AllowInternetRoute,
// MaxAzs), the endpoints (ExistingEndpoints, EndpointSubnets, AdditionalEndpoints,
// S3PrefixListId), the cluster (ContainerInsights), the logs (LogRetention,
// LogEncryptionKey, which apply to every service's log group), the load balancer
// (LoadBalancerAccessLogs*, DeletionProtection) and the API (StageName, VpcLinkVersion,
// throttling, tracing, logging, authorization, WebAclArn).
type ServiceProps struct {
	// PathPrefix is the path the service serves: the API gets ANY <PathPrefix> and ANY
	// <PathPrefix>/{proxy+}, sent to the service with the path unchanged (the backend sees
	// /orders and /orders/items for a PathPrefix of "/orders", so that its links and logs
	// name the path the client called). It starts with "/" and has one or more parts
	// separated by "/", each made of letters, digits and - . _ : $ (API Gateway's
	// resource path parts, without path variables), at most 1024 characters, no trailing
	// "/" (ProblemFormat). It must not equal or contain, or lie under, another service's
	// PathPrefix (ProblemConflict); the service of NewPrivateRdsApi serves "/" and
	// "/{proxy+}", which API Gateway matches after the more specific resources. Required.
	PathPrefix *string

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
}

// serviceProps are the per-service props of p: every field of ServiceProps but
// PathPrefix, copied by name from its twin in PrivateRdsApiProps (TestServicePropsTwins
// holds the twins to one type and one doc comment), so that the first service is checked,
// defaulted and built from a ServiceProps, as the added ones are.
func (p *PrivateRdsApiProps) serviceProps() *ServiceProps {
	s := &ServiceProps{PathPrefix: jsii.String("/")}
	from, to := reflect.ValueOf(p).Elem(), reflect.ValueOf(s).Elem()
	for i := 0; i < to.NumField(); i++ {
		if name := to.Type().Field(i).Name; name != "PathPrefix" {
			to.Field(i).Set(from.FieldByName(name))
		}
	}
	return s
}

// ApiService is one service of a PrivateRdsApi: a Fargate service with its task
// definition, log group and security group, behind its own listener and target group on
// the API's shared load balancer, reached through the routes of its PathPrefix. The
// service NewPrivateRdsApi builds is the API's first (its parts are also the API's own
// fields, such as api.Service); AddService adds the others.
//
// Isolation: the service's security group admits only the load balancer's security group,
// on the container port; the VPC link reaches only the listener ports; no rule lets one
// service's tasks reach another's (open it yourself with
// orders.Service.Connections().AllowTo(other.Service, port, ...)).
type ApiService struct {
	// Construct is the service's node: a child of the API with the id given to
	// AddService; for the first service, the API's own node, under which its parts have
	// always been.
	constructs.Construct

	// PathPrefix is the path the service serves ("/" for the first service).
	PathPrefix string
	// ServiceSecurityGroup is the tasks' security group.
	ServiceSecurityGroup awsec2.SecurityGroup
	// Listener is the service's TCP listener on the shared load balancer.
	Listener elbv2.NetworkListener
	// TargetGroup is the IP target group of the service's tasks.
	TargetGroup elbv2.NetworkTargetGroup
	// TaskDefinition is the Fargate task definition.
	TaskDefinition awsecs.FargateTaskDefinition
	// Container is the application container.
	Container awsecs.ContainerDefinition
	// LogGroup receives the container's logs.
	LogGroup awslogs.LogGroup
	// Service is the Fargate service, in the API's cluster.
	Service awsecs.FargateService
	// Scaling is the service's task count scaling.
	Scaling awsecs.ScalableTaskCount
	// Resource is the API resource of PathPrefix (the root for the first service).
	Resource awsapigateway.IResource
	// Method is ANY <PathPrefix> and ProxyMethod ANY <PathPrefix>/{proxy+}.
	Method, ProxyMethod awsapigateway.Method
	// DatabaseProxy is the RDS Proxy between the tasks and the database; nil unless
	// DatabaseProxy is set (see iam.go).
	DatabaseProxy awsrds.DatabaseProxy

	// AlternateTargetGroup is the second IP target group of a blue/green service
	// (DeploymentStrategy), to which ECS moves the listener at each deployment; nil for a
	// rolling one.
	AlternateTargetGroup elbv2.NetworkTargetGroup
	// The service's alarms (alarms.go); nil when Props.Alarms is false, and
	// HealthyHostsAlarm and RunningTasksAlarm also with a MinCapacity of 0.
	HealthyHostsAlarm, UnhealthyHostsAlarm, RunningTasksAlarm, CpuAlarm, MemoryAlarm awscloudwatch.Alarm

	api *PrivateRdsApi
	// dimensions are the service's metric dimensions, once read (alarms.go).
	dimensions map[string]*string
	// settings are the API's settings with this service's own.
	settings    *settings
	connections awsec2.Connections
	// problems are found at construction and reported at synthesis (see Validate).
	problems []PropError
	// warnedImage is set once the warning about the image is written.
	warnedImage bool
	// declaredSets are sets of endpoints of the construct's that ExistingEndpoints names
	// as existing, and neededEndpoints the interface endpoints the tasks need (see
	// checkDeclaredSets); otherStackEndpoints is the set of endpoints of the same VPC in
	// another stack, if any (see checkEndpointsInTwoStacks).
	declaredSets        []*PrivateEndpoints
	neededEndpoints     []string
	otherStackEndpoints *PrivateEndpoints
}

// AddService adds a service to the API: its own listener on the shared load balancer
// (ListenerPort), target group, task definition, log group, security group, Fargate
// service in the shared cluster with its autoscaling, the routes ANY <PathPrefix> and ANY
// <PathPrefix>/{proxy+} (with the API's authorization and request validator), and the
// endpoints it needs in the shared set. id is the construct id of the service under the
// API. It panics, as the constructor does, with a *ValidationError naming the service's
// path and every invalid prop, before it creates anything; what needs values known only
// at synthesis is checked then (see Validate), and reported with the service's path.
func (a *PrivateRdsApi) AddService(id *string, props *ServiceProps) *ApiService {
	d, problems := validateService(props, &a.props)
	if props != nil {
		problems = append(problems, a.checkRoute(props)...)
	}
	if id != nil && a.Node().TryFindChild(id) != nil {
		problems = append(problems, PropError{ProblemConflict, "id", fmt.Sprintf(
			"the API already has a child with id %q (another service, or one of its own parts): give each service an id of its own", *id)})
	}
	if len(problems) > 0 {
		panic(&ValidationError{Path: childPath(a.Construct, id), Problems: problems, service: true})
	}
	p := a.settings.with(resolveService(props, d, a.nextListenerPort(props)))
	s := &ApiService{api: a, PathPrefix: *props.PathPrefix, settings: p}
	s.Construct = constructs.NewConstruct(a.Construct, id)
	a.newService(s)
	s.checkPlatformLater()
	s.Node().AddValidation(&serviceChecks{s})
	return s
}

// newService builds the service s of the API, the first (whose node is the API's) as the
// added ones: its target group and listener, its Fargate service, its endpoints and (once
// the API exists) its routes.
func (a *PrivateRdsApi) newService(s *ApiService) {
	p := s.settings
	s.buildTarget(p)                 // nlb.go
	s.buildService(p)                // fargate.go
	s.connectEndpoints(p, a.relPath) // endpoints.go
	s.buildAlarms(p)                 // alarms.go
	if a.RestApi != nil {            // the first service's routes come with the API
		a.addRoutes(s, p) // gateway.go
		a.watchService(s) // alarms.go, dashboard.go
	}
	a.Services = append(a.Services, s)
	if s.settings.databaseSecret != nil && s.settings.iam == nil {
		s.Node().AddValidation(&rotationCheck{s: s}) // iam.go
	}
}

// first says whether s is the API's first service, whose node is the API's.
func (s *ApiService) first() bool { return len(s.api.Services) == 0 || s.api.Services[0] == s }

// checkPlatformLater checks the image's platform against the tasks' (agreement.go) and
// keeps the problems for synthesis.
func (s *ApiService) checkPlatformLater() {
	s.problems = append(s.problems, s.checkImagePlatform(s.settings.image)...)
}

// Validate makes the checks of the service that need values known only at synthesis (see
// PrivateRdsApi.Validate), and returns a *ValidationError with the service's path, or nil.
// The first service's problems are the API's.
func (s *ApiService) Validate() error {
	problems := append([]PropError(nil), s.problems...)
	if pe := s.checkImage(); pe != nil { // fargate.go
		problems = append(problems, *pe)
	}
	problems = append(problems, s.checkDeclaredSets()...)         // endpoints.go
	problems = append(problems, s.checkEndpointsInTwoStacks()...) // endpoints.go
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Path: *s.Node().Path(), Problems: problems, service: !s.first()}
}

// serviceChecks is an added service's validation, which CDK calls at synthesis.
type serviceChecks struct{ s *ApiService }

// Validate implements constructs.IValidation.
func (v *serviceChecks) Validate() *[]*string {
	if err := v.s.Validate(); err != nil {
		return &[]*string{jsii.String(err.Error())}
	}
	return &[]*string{}
}

// pathPart is an API Gateway resource path part without a path variable.
var pathPart = regexp.MustCompile(`^[A-Za-z0-9._:$-]+$`)

// checkRoute checks an added service's PathPrefix against API Gateway's form and the
// other services' prefixes, and its ListenerPort against the load balancer's listeners.
func (a *PrivateRdsApi) checkRoute(props *ServiceProps) []PropError {
	var out []PropError
	if v := props.PathPrefix; v != nil {
		prefix := *v
		parts := strings.Split(strings.TrimPrefix(prefix, "/"), "/")
		valid := strings.HasPrefix(prefix, "/") && prefix != "/" && len(prefix) <= 1024 && !isStringToken(prefix)
		for _, part := range parts {
			valid = valid && pathPart.MatchString(part)
		}
		if !valid {
			out = append(out, PropError{ProblemFormat, "PathPrefix", fmt.Sprintf(
				"must start with \"/\" and be one or more parts separated by \"/\", each of letters, digits and - . _ : $ (API Gateway's resource path parts, no path variables, no trailing \"/\"), at most 1024 characters, and not \"/\" (the first service's); got %q", prefix)})
		} else {
			for _, other := range a.Services {
				if other.PathPrefix == "/" {
					continue
				}
				if prefix == other.PathPrefix || strings.HasPrefix(prefix, other.PathPrefix+"/") || strings.HasPrefix(other.PathPrefix, prefix+"/") {
					out = append(out, PropError{ProblemConflict, "PathPrefix", fmt.Sprintf(
						"%q overlaps the PathPrefix %q of the service %s: each path belongs to one service", prefix, other.PathPrefix, *other.Node().Path())})
				}
			}
		}
	}
	if len(a.Services) >= MaxListenersPerLoadBalancer {
		out = append(out, PropError{ProblemRange, "ListenerPort", fmt.Sprintf(
			"the load balancer has %d listeners, one per service, which is the most a Network Load Balancer takes: give further services another PrivateRdsApi", len(a.Services))})
	}
	if next := a.nextListenerPort(props); props.ListenerPort == nil && next > 65535 {
		out = append(out, PropError{ProblemRange, "ListenerPort", fmt.Sprintf(
			"the port after the highest listener port in use would be %v, above 65535: give the service a ListenerPort", next)})
	}
	if v := props.ListenerPort; v != nil && !isToken(*v) {
		for _, other := range a.Services {
			if other.settings.listenerPort == *v {
				out = append(out, PropError{ProblemConflict, "ListenerPort", fmt.Sprintf(
					"%v is the listener port of the service %s: every service needs its own listener port", *v, *other.Node().Path())})
			}
		}
	}
	return out
}

// nextListenerPort is the listener port of an added service: ListenerPort, else the port
// after the highest literal listener port in use.
func (a *PrivateRdsApi) nextListenerPort(props *ServiceProps) float64 {
	if props.ListenerPort != nil {
		return *props.ListenerPort
	}
	highest := float64(DefaultListenerPort)
	for _, s := range a.Services {
		if v := s.settings.listenerPort; !isToken(v) && v > highest {
			highest = v
		}
	}
	return highest + 1
}
