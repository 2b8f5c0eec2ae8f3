package privaterdsapi

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Defaults of the optional props, as documented on PrivateRdsApiProps.
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
	DefaultStageName                   = "prod"
	DefaultThrottlingRateLimit         = 100
	DefaultThrottlingBurstLimit        = 200
)

// PropError is one invalid prop and what is allowed instead.
type PropError struct {
	// Prop is the name of the PrivateRdsApiProps field (or fields, joined by " and ").
	Prop string
	// Message says what is wrong and which values are allowed.
	Message string
}

// ValidationError lists every invalid prop of one PrivateRdsApiProps.
type ValidationError struct {
	// Problems are the invalid props, in the order of the fields.
	Problems []PropError
}

// Error implements error: one line per problem, each naming its prop.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("privaterdsapi: invalid PrivateRdsApiProps:")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  - %s: %s", p.Prop, p.Message)
	}
	return b.String()
}

// ValidateProps checks props the way NewPrivateRdsApi does and returns a
// *ValidationError naming every invalid prop, or nil. It never panics.
func ValidateProps(props *PrivateRdsApiProps) (err error) {
	if props == nil {
		return &ValidationError{Problems: []PropError{{Prop: "props", Message: "required (at least Image)"}}}
	}
	defer func() {
		if r := recover(); r != nil {
			err = &ValidationError{Problems: []PropError{{Prop: "props", Message: fmt.Sprint("could not be read: ", r)}}}
		}
	}()
	var problems []PropError
	d := durations{}
	d.deregistration, problems = seconds(props.DeregistrationDelay, "DeregistrationDelay", problems)
	d.grace, problems = seconds(props.HealthCheckGracePeriod, "HealthCheckGracePeriod", problems)
	problems = append(problems, checkValues(props, d)...)
	problems = append(problems, checkConstructs(props)...)
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: problems}
}

// durations are the props' durations in seconds, read before the pure checks.
type durations struct {
	deregistration, grace *float64
}

func seconds(d awscdk.Duration, prop string, problems []PropError) (*float64, []PropError) {
	if d == nil {
		return nil, problems
	}
	var s *float64
	if jsiiPanic(func() { s = d.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}) }) != nil || s == nil {
		return nil, append(problems, PropError{prop, "must be a concrete duration (not a token) convertible to seconds"})
	}
	return s, problems
}

// fargateMemory lists, for each Fargate CPU value, the memory sizes (MiB) it accepts.
var fargateMemory = map[float64][]float64{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step float64) []float64 {
	var out []float64
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

var stageNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// checkValues is the pure part of the validation: it reads only Go values (numbers,
// strings, nil-ness of interfaces) and makes no jsii call, so it can be fuzzed.
func checkValues(p *PrivateRdsApiProps, d durations) []PropError {
	var out []PropError
	add := func(prop, format string, args ...any) {
		out = append(out, PropError{prop, fmt.Sprintf(format, args...)})
	}
	if p.Image == nil {
		add("Image", "required: an ECR image (awsecs.ContainerImage_FromAsset or ContainerImage_FromEcrRepository)")
	}
	port := func(prop string, v *float64) {
		if v != nil && !isInt(*v, 1, 65535) {
			add(prop, "must be a whole number from 1 to 65535, got %v", *v)
		}
	}
	port("ContainerPort", p.ContainerPort)
	port("ListenerPort", p.ListenerPort)
	port("DatabasePort", p.DatabasePort)

	if p.Vpc == nil {
		if p.VpcSubnets != nil {
			add("VpcSubnets", "applies only with Vpc; remove it or set Vpc")
		}
		if p.ExistingEndpoints != nil {
			add("ExistingEndpoints", "applies only with Vpc (a new VPC has no endpoints); remove it or set Vpc")
		}
	} else if p.MaxAzs != nil {
		add("MaxAzs and Vpc", "MaxAzs applies only to a new VPC; remove MaxAzs or Vpc")
	}
	if p.MaxAzs != nil && !isInt(*p.MaxAzs, 1, 16) {
		add("MaxAzs", "must be a whole number from 1 to 16, got %v", *p.MaxAzs)
	}

	cpu, mem := orDefault(p.Cpu, DefaultCpu), orDefault(p.MemoryLimitMiB, DefaultMemoryLimitMiB)
	if allowed, ok := fargateMemory[cpu]; !ok {
		add("Cpu", "must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, got %v", cpu)
	} else if !contains(allowed, mem) {
		add("Cpu and MemoryLimitMiB", "Fargate does not accept cpu %v with %v MiB; with cpu %v memory must be one of %v", cpu, mem, cpu, fmtList(allowed))
	}

	minC, maxC := orDefault(p.MinCapacity, DefaultMinCapacity), orDefault(p.MaxCapacity, DefaultMaxCapacity)
	if p.MinCapacity != nil && !isInt(minC, 0, 1000) {
		add("MinCapacity", "must be a whole number from 0 to 1000, got %v", minC)
	}
	if p.MaxCapacity != nil && !isInt(maxC, 1, 1000) {
		add("MaxCapacity", "must be a whole number from 1 to 1000, got %v", maxC)
	}
	if minC > maxC {
		add("MinCapacity and MaxCapacity", "MinCapacity (%v) must not exceed MaxCapacity (%v)", minC, maxC)
	}
	if v := p.TargetCpuUtilizationPercent; v != nil && !(*v >= 1 && *v <= 100) {
		add("TargetCpuUtilizationPercent", "must be from 1 to 100, got %v", *v)
	}
	if v := d.deregistration; v != nil && !(*v >= 0 && *v <= 3600) {
		add("DeregistrationDelay", "must be from 0 to 3600 seconds, got %v", *v)
	}
	if v := d.grace; v != nil && !(*v >= 0 && *v <= 7200) {
		add("HealthCheckGracePeriod", "must be from 0 to 7200 seconds, got %v", *v)
	}
	if v := p.HealthCheckPath; v != nil && (!strings.HasPrefix(*v, "/") || len(*v) > 1024) {
		add("HealthCheckPath", "must start with / and be at most 1024 characters, got %q", *v)
	}

	if v := p.StageName; v != nil && !stageNamePattern.MatchString(*v) {
		add("StageName", "must be 1 to 128 letters, digits, hyphens or underscores, got %q", *v)
	}
	switch p.VpcLinkVersion {
	case VpcLinkDefault, VpcLinkV1, VpcLinkV2:
	default:
		add("VpcLinkVersion", "must be VpcLinkV1, VpcLinkV2 or empty (V2), got %q", string(p.VpcLinkVersion))
	}
	if v := p.ThrottlingRateLimit; v != nil && !(*v >= 0 && *v <= 1e6) {
		add("ThrottlingRateLimit", "must be from 0 to 1000000 requests per second, got %v", *v)
	}
	if v := p.ThrottlingBurstLimit; v != nil && !isInt(*v, 0, 1e6) {
		add("ThrottlingBurstLimit", "must be a whole number from 0 to 1000000, got %v", *v)
	}
	if p.Authorizer != nil && p.AuthorizationType != "" {
		add("Authorizer and AuthorizationType", "set one of them: the authorizer brings its own authorization type")
	}
	switch p.AuthorizationType {
	case "", awsapigateway.AuthorizationType_NONE, awsapigateway.AuthorizationType_IAM:
	default:
		add("AuthorizationType", "must be NONE or IAM; a CUSTOM or COGNITO authorization needs Authorizer, got %q", string(p.AuthorizationType))
	}
	if p.LoadBalancerAccessLogsPrefix != nil && p.LoadBalancerAccessLogsBucket == nil {
		add("LoadBalancerAccessLogsPrefix", "applies only with LoadBalancerAccessLogsBucket")
	}
	if v := p.WebAclArn; v != nil && *v == "" {
		add("WebAclArn", "must not be empty; leave it nil for no web ACL")
	}
	reserved := map[string]bool{}
	if p.DatabaseSecret != nil {
		for _, k := range []string{"DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT"} {
			reserved[k] = true
		}
	}
	if p.DatabaseName != nil {
		reserved["DB_NAME"] = true
	}
	var envKeys, secretKeys []string
	if p.Environment != nil {
		for k := range *p.Environment {
			envKeys = append(envKeys, k)
		}
	}
	if p.Secrets != nil {
		for k := range *p.Secrets {
			secretKeys = append(secretKeys, k)
		}
	}
	sort.Strings(envKeys)
	sort.Strings(secretKeys)
	for _, k := range envKeys {
		if reserved[k] {
			add("Environment", "%s is set by the construct from the database props; remove it or the database prop", k)
		}
	}
	for _, k := range secretKeys {
		if reserved[k] {
			add("Secrets", "%s is set by the construct from the database props; remove it or the database prop", k)
		} else if p.Environment != nil && (*p.Environment)[k] != nil {
			add("Environment and Secrets", "%s is in both; a variable comes from one of them", k)
		}
	}
	if p.DatabaseSecret == nil && (p.DatabaseHost != nil) {
		add("DatabaseHost", "applies only with DatabaseSecret")
	}
	return out
}

// checkConstructs validates the props that need the jsii runtime: the VPC's subnets and
// the database's port.
func checkConstructs(p *PrivateRdsApiProps) []PropError {
	var out []PropError
	if p.Vpc != nil {
		out = append(out, checkSubnets(p)...)
	}
	if p.Database != nil && p.DatabasePort == nil {
		if c := p.Database.Connections(); c == nil || c.DefaultPort() == nil {
			out = append(out, PropError{"Database and DatabasePort", "Database has no default port: set DatabasePort"})
		}
	}
	return out
}

func checkSubnets(p *PrivateRdsApiProps) (out []PropError) {
	prop := "Vpc"
	if p.VpcSubnets != nil {
		prop = "VpcSubnets"
	}
	var selected *awsec2.SelectedSubnets
	failure := jsiiPanic(func() { selected = p.Vpc.SelectSubnets(subnetSelection(p)) })
	if failure != nil || selected == nil || selected.Subnets == nil || len(*selected.Subnets) == 0 {
		msg := "selects no subnet: the VPC needs PRIVATE_ISOLATED subnets (or set VpcSubnets)"
		if failure != nil {
			msg = fmt.Sprintf("selects no usable subnet (%v): the VPC needs PRIVATE_ISOLATED subnets (or set VpcSubnets)", firstLine(failure))
		}
		return []PropError{{prop, msg}}
	}
	if e := p.ExistingEndpoints; e != nil && (e.SecurityGroups == nil || len(*e.SecurityGroups) == 0) && !hasCidr(p.Vpc) {
		return []PropError{{"ExistingEndpoints", "without SecurityGroups the tasks' HTTPS egress goes to the VPC's CIDR block, which this VPC does not know: give the endpoints' SecurityGroups, or import the VPC with VpcCidrBlock"}}
	}
	if p.ExistingEndpoints == nil {
		for _, s := range *selected.Subnets {
			if !hasRouteTableId(s) {
				return []PropError{{prop, "the selected subnets' route table IDs are unknown, so the S3 gateway endpoint cannot be routed: import the VPC with its route table IDs (IsolatedSubnetRouteTableIds) or set ExistingEndpoints"}}
			}
		}
	}
	return nil
}

// jsiiPanic runs f, a jsii call, and returns what it panicked with, or nil. jsii reports
// a JavaScript error (an attribute an imported construct was not given, a token where a
// value is needed) as a panic.
func jsiiPanic(f func()) (failure any) {
	defer func() { failure = recover() }()
	f()
	return nil
}

// hasRouteTableId says whether the subnet's route table ID is known.
func hasRouteTableId(s awsec2.ISubnet) bool {
	var ok bool
	return jsiiPanic(func() { ok = s.RouteTable() != nil && s.RouteTable().RouteTableId() != nil }) == nil && ok
}

// hasCidr says whether the VPC's CIDR block is known.
func hasCidr(vpc awsec2.IVpc) bool {
	var ok bool
	return jsiiPanic(func() { ok = vpc.VpcCidrBlock() != nil }) == nil && ok
}

func subnetSelection(p *PrivateRdsApiProps) *awsec2.SubnetSelection {
	if p.VpcSubnets != nil {
		return p.VpcSubnets
	}
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
}

func firstLine(v any) string {
	s := fmt.Sprint(v)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func isInt(v, lo, hi float64) bool {
	return v >= lo && v <= hi && v == math.Trunc(v)
}

func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

func contains(list []float64, v float64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func fmtList(list []float64) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

// settings are the props with every default filled in.
type settings struct {
	*PrivateRdsApiProps
	containerPort, listenerPort, maxAzs float64
	cpu, memory                         float64
	minCapacity, maxCapacity, targetCpu float64
	deregistration, grace               awscdk.Duration
	stageName                           string
	linkVersion                         VpcLinkVersion
	logRetention                        awslogs.RetentionDays
	rateLimit, burstLimit               float64
	loggingLevel                        awsapigateway.MethodLoggingLevel
	createAccountRole                   bool
}

func withDefaults(p *PrivateRdsApiProps) *settings {
	s := &settings{
		PrivateRdsApiProps: p,
		containerPort:      orDefault(p.ContainerPort, DefaultContainerPort),
		listenerPort:       orDefault(p.ListenerPort, DefaultListenerPort),
		maxAzs:             orDefault(p.MaxAzs, DefaultMaxAzs),
		cpu:                orDefault(p.Cpu, DefaultCpu),
		memory:             orDefault(p.MemoryLimitMiB, DefaultMemoryLimitMiB),
		minCapacity:        orDefault(p.MinCapacity, DefaultMinCapacity),
		maxCapacity:        orDefault(p.MaxCapacity, DefaultMaxCapacity),
		targetCpu:          orDefault(p.TargetCpuUtilizationPercent, DefaultTargetCpuUtilizationPercent),
		deregistration:     p.DeregistrationDelay,
		grace:              p.HealthCheckGracePeriod,
		stageName:          DefaultStageName,
		linkVersion:        p.VpcLinkVersion,
		logRetention:       p.LogRetention,
		rateLimit:          orDefault(p.ThrottlingRateLimit, DefaultThrottlingRateLimit),
		burstLimit:         orDefault(p.ThrottlingBurstLimit, DefaultThrottlingBurstLimit),
		loggingLevel:       p.LoggingLevel,
		createAccountRole:  p.CreateApiGatewayAccountRole == nil || *p.CreateApiGatewayAccountRole,
	}
	if s.deregistration == nil {
		s.deregistration = awscdk.Duration_Seconds(jsii.Number(DefaultDeregistrationDelaySeconds))
	}
	if s.grace == nil {
		s.grace = awscdk.Duration_Seconds(jsii.Number(DefaultHealthCheckGraceSeconds))
	}
	if p.StageName != nil {
		s.stageName = *p.StageName
	}
	if s.linkVersion == VpcLinkDefault {
		s.linkVersion = VpcLinkV2
	}
	if s.logRetention == "" {
		s.logRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if s.loggingLevel == "" {
		s.loggingLevel = awsapigateway.MethodLoggingLevel_ERROR
	}
	return s
}
