package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// Defaults of the optional props, as documented on PrivateRdsApiProps. Every default of
// the construct is in this file: the constants, and resolve, which applies them.
const (
	DefaultContainerPort               = 8080
	DefaultListenerPort                = 80
	DefaultMaxAzs                      = 2
	DefaultCpu                         = 256
	DefaultMemoryLimitMiB              = 512
	DefaultMinCapacity                 = 1
	DefaultMaxCapacity                 = 2
	DefaultTargetCpuUtilizationPercent = 80
	DefaultDeregistrationDelaySeconds  = 30
	DefaultHealthCheckGraceSeconds     = 180
	DefaultHealthCheckIntervalSeconds  = 10
	DefaultHealthyThresholdCount       = 2
	DefaultUnhealthyThresholdCount     = 2
	DefaultHealthCheckHealthyHttpCodes = "200-399"
	DefaultStageName                   = "prod"
	DefaultThrottlingRateLimit         = 100
	DefaultThrottlingBurstLimit        = 200
	// Operations (alarms.go).
	DefaultServerErrorRateAlarmPercent = 5
	DefaultLatencyAlarmMilliseconds    = 3000
	DefaultCpuAlarmPercent             = 90
	DefaultMemoryAlarmPercent          = 90
)

// defaultLogRetention is the retention of the construct's log groups and of an
// IsolatedVpc's flow log when LogRetention is not set.
const defaultLogRetention = awslogs.RetentionDays_ONE_MONTH

// Elastic Load Balancing's own health check timeouts of a Network Load Balancer target
// group, which apply when HealthCheckTimeout is not set: they must not exceed the
// interval, so a shorter interval brings the timeout down with it.
const (
	elbTcpHealthCheckTimeoutSeconds  = 10
	elbHttpHealthCheckTimeoutSeconds = 6
)

// settings is the complete configuration of one PrivateRdsApi with one of its services:
// every prop with its default applied. The builders (vpc.go, nlb.go, fargate.go,
// endpoints.go, gateway.go) read settings, never the props.
type settings struct {
	// serviceSettings are the service's own (ServiceProps); the rest is shared.
	*serviceSettings

	vpc                 awsec2.IVpc // nil: the construct creates an IsolatedVpc
	subnets             *awsec2.SubnetSelection
	maxAzs              float64
	existingEndpoints   *ExistingEndpoints
	endpointSubnets     *awsec2.SubnetSelection // nil: the tasks' subnets
	additionalEndpoints []awsec2.InterfaceVpcEndpointAwsService
	s3PrefixListId      *string

	insights     bool
	logRetention awslogs.RetentionDays
	logKey       awskms.IKey

	accessLogsBucket   awss3.IBucket
	accessLogsPrefix   *string
	deletionProtection bool

	stageName             string
	linkVersion           VpcLinkVersion
	tracing               bool
	rateLimit, burstLimit float64 // may be numeric tokens
	loggingLevel          awsapigateway.MethodLoggingLevel
	authorizer            awsapigateway.IAuthorizer
	authorizationType     awsapigateway.AuthorizationType
	webAclArn             *string
	createAccountRole     bool

	ops operations // alarms.go
}

// operations are the settings of the alarms and the dashboard (alarms.go, dashboard.go).
type operations struct {
	alarms, dashboard               bool
	actions                         []awscloudwatch.IAlarmAction
	errorRate, latency, cpu, memory float64 // errorRate in percent, latency in ms
}

// resolveOperations applies the defaults of the operations props.
func resolveOperations(p *PrivateRdsApiProps) operations {
	return operations{
		alarms:    p.Alarms == nil || *p.Alarms,
		dashboard: p.Dashboard != nil && *p.Dashboard,
		actions:   derefOrNil(p.AlarmActions),
		errorRate: orDefault(p.ServerErrorRateAlarmPercent, DefaultServerErrorRateAlarmPercent),
		latency:   orDefault(p.LatencyAlarmMilliseconds, DefaultLatencyAlarmMilliseconds),
		cpu:       orDefault(p.CpuAlarmPercent, DefaultCpuAlarmPercent),
		memory:    orDefault(p.MemoryAlarmPercent, DefaultMemoryAlarmPercent),
	}
}

// serviceSettings are the settings of one service: its ServiceProps with their defaults.
type serviceSettings struct {
	image                       awsecs.ContainerImage
	containerPort, listenerPort float64 // may be numeric tokens

	cpu, memory float64
	platform    *awsecs.RuntimePlatform
	capacity    []*awsecs.CapacityProviderStrategy // empty: the FARGATE launch type
	environment map[string]*string                 // the user's map: read, never written
	secrets     map[string]awsecs.Secret           // the user's map: read, never written

	readonlyRoot   bool
	windows        bool // a Windows RuntimePlatform: no read-only root filesystem
	user           *string
	containerCheck *awsecs.HealthCheck
	exec           bool

	database       awsec2.IConnectable
	databasePort   *float64 // nil: the database's default port
	databaseSecret awssecretsmanager.ISecret
	databaseGroups []awsec2.ISecurityGroup // nil: Database's own; empty: the user's side
	secretsKeys    []awskms.IKey
	databaseHost   *string
	databaseName   *string
	iam            *iamSettings // nil: no DatabaseIamAuth (iam.go)

	minCapacity, maxCapacity, targetCpu float64 // may be numeric tokens
	grace, deregistration               awscdk.Duration

	healthCheck *elbv2.HealthCheck

	strategy awsecs.DeploymentStrategy // "": rolling
}

// with is s with the service settings of another service.
func (s *settings) with(service *serviceSettings) *settings {
	c := *s
	c.serviceSettings = service
	return &c
}

// resolve applies the defaults to props, which ValidateProps has accepted; d are its
// durations, read by ValidateProps.
func resolve(p *PrivateRdsApiProps, d durations) *settings {
	s := &settings{
		serviceSettings:    resolveService(p.serviceProps(), d, orDefault(p.ListenerPort, DefaultListenerPort)),
		vpc:                p.Vpc,
		subnets:            subnetSelection(p),
		maxAzs:             orDefault(p.MaxAzs, DefaultMaxAzs),
		existingEndpoints:  p.ExistingEndpoints,
		s3PrefixListId:     p.S3PrefixListId,
		logRetention:       p.LogRetention,
		logKey:             p.LogEncryptionKey,
		endpointSubnets:    p.EndpointSubnets,
		insights:           p.ContainerInsights == nil || *p.ContainerInsights,
		deletionProtection: p.DeletionProtection != nil && *p.DeletionProtection,
		tracing:            p.TracingEnabled != nil && *p.TracingEnabled,
		accessLogsBucket:   p.LoadBalancerAccessLogsBucket,
		accessLogsPrefix:   p.LoadBalancerAccessLogsPrefix,
		stageName:          DefaultStageName,
		linkVersion:        p.VpcLinkVersion,
		rateLimit:          orDefault(p.ThrottlingRateLimit, DefaultThrottlingRateLimit),
		burstLimit:         orDefault(p.ThrottlingBurstLimit, DefaultThrottlingBurstLimit),
		loggingLevel:       p.LoggingLevel,
		authorizer:         p.Authorizer,
		authorizationType:  p.AuthorizationType,
		webAclArn:          p.WebAclArn,
		createAccountRole:  p.CreateApiGatewayAccountRole == nil || *p.CreateApiGatewayAccountRole,
		ops:                resolveOperations(p),
	}
	s.additionalEndpoints = derefOrNil(p.AdditionalEndpoints)
	if s.logRetention == "" {
		s.logRetention = defaultLogRetention
	}
	if p.StageName != nil {
		s.stageName = *p.StageName
	}
	if s.linkVersion == VpcLinkDefault {
		s.linkVersion = VpcLinkV2
	}
	if s.loggingLevel == "" {
		s.loggingLevel = awsapigateway.MethodLoggingLevel_ERROR
	}
	if s.authorizer == nil && s.authorizationType == "" {
		s.authorizationType = awsapigateway.AuthorizationType_NONE
	}
	return s
}

// resolveService applies the defaults to the props of one service, which the checks have
// accepted; d are its durations, listenerPort its listener's port (whose default depends
// on the other services, see ListenerPort).
func resolveService(p *ServiceProps, d durations, listenerPort float64) *serviceSettings {
	s := &serviceSettings{
		image:          p.Image,
		containerPort:  orDefault(p.ContainerPort, DefaultContainerPort),
		listenerPort:   listenerPort,
		cpu:            orDefault(p.Cpu, DefaultCpu),
		memory:         orDefault(p.MemoryLimitMiB, DefaultMemoryLimitMiB),
		platform:       p.RuntimePlatform,
		readonlyRoot:   p.ReadonlyRootFilesystem == nil || *p.ReadonlyRootFilesystem,
		user:           p.User,
		containerCheck: p.ContainerHealthCheck,
		exec:           p.EnableExecuteCommand != nil && *p.EnableExecuteCommand,
		database:       p.Database,
		databasePort:   p.DatabasePort,
		databaseSecret: p.DatabaseSecret,
		databaseGroups: derefOrNil(p.DatabaseSecurityGroups),
		secretsKeys:    derefOrNil(p.SecretsEncryptionKeys),
		databaseHost:   p.DatabaseHost,
		databaseName:   p.DatabaseName,
		iam:            resolveIam(p), // iam.go
		minCapacity:    orDefault(p.MinCapacity, DefaultMinCapacity),
		maxCapacity:    orDefault(p.MaxCapacity, DefaultMaxCapacity),
		targetCpu:      orDefault(p.TargetCpuUtilizationPercent, DefaultTargetCpuUtilizationPercent),
		grace:          p.HealthCheckGracePeriod,
		deregistration: p.DeregistrationDelay,
		healthCheck:    healthCheckOf(p, d),
		strategy:       p.DeploymentStrategy,
	}
	s.capacity = derefOrNil(p.CapacityProviderStrategies)
	if s.platform == nil {
		s.platform = &awsecs.RuntimePlatform{
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
			CpuArchitecture:       awsecs.CpuArchitecture_X86_64(),
		}
	}
	if isWindows(p.RuntimePlatform) { // agreement.go
		s.windows, s.readonlyRoot = true, false
	}
	if p.Environment != nil {
		s.environment = *p.Environment
	}
	if p.Secrets != nil {
		s.secrets = *p.Secrets
	}
	if s.grace == nil {
		s.grace = awscdk.Duration_Seconds(jsii.Number(defaultGraceSeconds(p, d)))
	}
	if s.deregistration == nil {
		s.deregistration = awscdk.Duration_Seconds(jsii.Number(DefaultDeregistrationDelaySeconds))
	}
	return s
}

// healthCheckOf is the target group's health check: TCP on the container port, or HTTP
// GET of HealthCheckPath; ELB's own timeout unless it would exceed the interval.
func healthCheckOf(p *ServiceProps, d durations) *elbv2.HealthCheck {
	interval := orDefault(d.interval, DefaultHealthCheckIntervalSeconds)
	h := &elbv2.HealthCheck{
		Enabled:                 jsii.Bool(true),
		Protocol:                elbv2.Protocol_TCP,
		Interval:                awscdk.Duration_Seconds(jsii.Number(interval)),
		HealthyThresholdCount:   jsii.Number(orDefault(p.HealthyThresholdCount, DefaultHealthyThresholdCount)),
		UnhealthyThresholdCount: jsii.Number(orDefault(p.UnhealthyThresholdCount, DefaultUnhealthyThresholdCount)),
	}
	elbTimeout := float64(elbTcpHealthCheckTimeoutSeconds)
	if p.HealthCheckPath != nil {
		h.Protocol = elbv2.Protocol_HTTP
		h.Path = p.HealthCheckPath
		h.HealthyHttpCodes = jsii.String(DefaultHealthCheckHealthyHttpCodes)
		if p.HealthCheckHealthyHttpCodes != nil {
			h.HealthyHttpCodes = p.HealthCheckHealthyHttpCodes
		}
		elbTimeout = elbHttpHealthCheckTimeoutSeconds
	}
	switch {
	case d.timeout != nil:
		h.Timeout = awscdk.Duration_Seconds(jsii.Number(*d.timeout))
	case interval < elbTimeout:
		h.Timeout = awscdk.Duration_Seconds(jsii.Number(interval))
	}
	return h
}

// defaultGraceSeconds is the health check grace period when HealthCheckGracePeriod is
// not set: DefaultHealthCheckGraceSeconds, or, when the container's own health check has
// a longer StartPeriod, that start period plus the time the load balancer takes to find
// the started task healthy (HealthyThresholdCount checks, HealthCheckInterval apart), so
// that ECS never stops a task that is still starting.
func defaultGraceSeconds(p *ServiceProps, d durations) float64 {
	grace := float64(DefaultHealthCheckGraceSeconds)
	if d.checkStartPeriod != nil && *d.checkStartPeriod > grace {
		healthy := orDefault(p.HealthyThresholdCount, DefaultHealthyThresholdCount)
		grace = *d.checkStartPeriod + healthy*orDefault(d.interval, DefaultHealthCheckIntervalSeconds)
	}
	return grace
}

// subnetSelection is the tasks' subnet selection: VpcSubnets, or the isolated subnets.
func subnetSelection(p *PrivateRdsApiProps) *awsec2.SubnetSelection {
	if p.VpcSubnets != nil {
		return p.VpcSubnets
	}
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
}

func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

// derefOrNil is the list a pointer to a list points to, nil for a nil pointer and never
// nil otherwise (an empty list says something other than no list).
func derefOrNil[T any](v *[]T) []T {
	if v == nil {
		return nil
	}
	return append(make([]T, 0, len(*v)), *v...)
}
