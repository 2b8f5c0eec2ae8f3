package privaterdsapi

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ProblemCode is the stable code of a kind of invalid props. Match codes, not messages:
// messages may be reworded, codes are kept.
type ProblemCode string

// The codes of PropError. Those marked "at synthesis" need resolved values and come from
// PrivateRdsApi.Validate, which CDK runs when the app is synthesized; the others come
// from ValidateProps, which the constructor runs before it creates anything.
const (
	// ProblemRequired: a required prop (or props itself) is missing.
	ProblemRequired ProblemCode = "Required"
	// ProblemRange: a number is outside the range the service accepts, or not whole.
	ProblemRange ProblemCode = "Range"
	// ProblemToken: a prop that must be known at synthesis is an unresolved token (for
	// example a CfnParameter's ValueAsNumber).
	ProblemToken ProblemCode = "Token"
	// ProblemConflict: two props that exclude each other are both set.
	ProblemConflict ProblemCode = "Conflict"
	// ProblemRequires: a prop applies only together with another one, which is not set.
	ProblemRequires ProblemCode = "Requires"
	// ProblemFargateSize: Cpu and MemoryLimitMiB are not a combination Fargate accepts.
	ProblemFargateSize ProblemCode = "FargateSize"
	// ProblemCapacityOrder: MinCapacity exceeds MaxCapacity.
	ProblemCapacityOrder ProblemCode = "CapacityOrder"
	// ProblemFormat: a string is not of the form the service accepts.
	ProblemFormat ProblemCode = "Format"
	// ProblemReservedVariable: Environment or Secrets sets a variable the construct sets
	// from the database props, or PORT or API_STAGE other than with the construct's value
	// as a plain Environment entry.
	ProblemReservedVariable ProblemCode = "ReservedVariable"
	// ProblemDuplicateVariable: a variable is in both Environment and Secrets.
	ProblemDuplicateVariable ProblemCode = "DuplicateVariable"
	// ProblemNoSubnets: the VPC (or VpcSubnets) selects no subnet the tasks can use.
	ProblemNoSubnets ProblemCode = "NoSubnets"
	// ProblemUnknownRouteTables: the selected subnets' route table IDs are unknown, so the
	// S3 gateway endpoint cannot be routed.
	ProblemUnknownRouteTables ProblemCode = "UnknownRouteTables"
	// ProblemUnknownCidr: the VPC's CIDR block is needed and unknown.
	ProblemUnknownCidr ProblemCode = "UnknownCidr"
	// ProblemDatabasePort: the database's port is unknown.
	ProblemDatabasePort ProblemCode = "DatabasePort"
	// ProblemUnreadable: the props could not be read (a jsii error while reading them).
	ProblemUnreadable ProblemCode = "Unreadable"
	// ProblemImageNotEcr (at synthesis): the image is not in an ECR registry, so the tasks,
	// which have no internet path, cannot pull it.
	ProblemImageNotEcr ProblemCode = "ImageNotEcr"
	// ProblemImageRegion (at synthesis): the image is in ECR of another region than the
	// stack's; the VPC's ecr.dkr endpoint serves only its own region.
	ProblemImageRegion ProblemCode = "ImageRegion"
	// ProblemEndpointsInTwoStacks (at synthesis): the same VPC (by its VPC ID) would get
	// the construct's endpoint for one service (or its S3 gateway) in two stacks, which
	// fails to deploy: private DNS for a service exists once per VPC, an S3 gateway once per
	// route table.
	ProblemEndpointsInTwoStacks ProblemCode = "EndpointsInTwoStacks"
	// ProblemImagePlatform (at synthesis): the image asset is built for another
	// architecture or operating system (AssetImageProps.Platform) than the tasks run on
	// (RuntimePlatform), so every task fails at start with "exec format error".
	ProblemImagePlatform ProblemCode = "ImagePlatform"
	// ProblemInternetRoute: VpcSubnets selects subnets with a route to the internet
	// (PUBLIC or PRIVATE_WITH_EGRESS), against the construct's promise of no internet
	// path; AllowInternetRoute accepts them.
	ProblemInternetRoute ProblemCode = "InternetRoute"
	// ProblemDatabaseSecurityGroups (at synthesis): Database has no security groups, so the
	// construct cannot let the tasks in on it; give them as DatabaseSecurityGroups.
	ProblemDatabaseSecurityGroups ProblemCode = "DatabaseSecurityGroups"
	// ProblemDatabaseVpc (at synthesis): Database is in another VPC than the API's.
	ProblemDatabaseVpc ProblemCode = "DatabaseVpc"
	// ProblemEndpointWithoutPrivateDns (at synthesis): the VPC has an interface endpoint, made
	// in the app before the construct, for a service the tasks need, with private DNS off
	// (CloudFormation's default for a CfnVPCEndpoint): the tasks call the service's public
	// name, which only private DNS sends to the endpoint. Turn its private DNS on, or
	// remove it so that the construct creates one.
	ProblemEndpointWithoutPrivateDns ProblemCode = "EndpointWithoutPrivateDns"
	// ProblemDuplicateEndpoint (at synthesis): an endpoint made in the app after the
	// construct duplicates one the construct created (an interface endpoint with private
	// DNS for the same service, or an S3 gateway endpoint on the same route table), which
	// fails to deploy. Create it before the construct, which then reuses it.
	ProblemDuplicateEndpoint ProblemCode = "DuplicateEndpoint"
	// ProblemMissingEndpoint (at synthesis): ExistingEndpoints names the security group of
	// endpoints the construct created (EndpointsOf, for example in another stack) and
	// leaves Services unset, which says that every endpoint the tasks need exists, but
	// those endpoints lack one: list the services they have in ExistingEndpoints.Services,
	// so that the construct creates the others.
	ProblemMissingEndpoint ProblemCode = "MissingEndpoint"
	// ProblemIamAuthEngine: DatabaseIamAuth with a database whose engine has no IAM
	// database authentication (Oracle, SQL Server, Db2, MariaDB before 10.11).
	ProblemIamAuthEngine ProblemCode = "IamAuthEngine"
	// ProblemProxyEngine: DatabaseProxy with a database whose engine RDS Proxy does not
	// support (CDK knows no engine family for it: Oracle, Db2).
	ProblemProxyEngine ProblemCode = "ProxyEngine"
	// ProblemProxyTarget: DatabaseProxy with a Database the construct cannot attach a
	// proxy to (an imported instance or cluster, a proxy, Connections): create the proxy
	// yourself and pass it as Database.
	ProblemProxyTarget ProblemCode = "ProxyTarget"
)

// PropError is one invalid prop and what is allowed instead.
type PropError struct {
	// Code is the stable code of the kind of problem.
	Code ProblemCode
	// Prop is the name of the PrivateRdsApiProps or ServiceProps field (or fields, joined
	// by " and ").
	Prop string
	// Message says what is wrong and which values are allowed.
	Message string
}

// ValidationError lists every invalid prop of one PrivateRdsApiProps, or of the
// ServiceProps of one service added with AddService.
type ValidationError struct {
	// Path is the construct path of the PrivateRdsApi (or of the added service) the props
	// are for; empty from ValidateProps, which knows no construct.
	Path string
	// Problems are the invalid props, in the order of the checks.
	Problems []PropError
	// service says that the props are a ServiceProps (AddService).
	service bool
}

// Error implements error: one line per problem, each naming its prop and its code.
func (e *ValidationError) Error() string {
	var b strings.Builder
	props := "PrivateRdsApiProps"
	if e.service {
		props = "ServiceProps"
	}
	b.WriteString("privaterdsapi: invalid " + props)
	if e.Path != "" {
		b.WriteString(" for " + e.Path)
	}
	b.WriteString(":")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  - %s: %s [%s]", p.Prop, p.Message, p.Code)
	}
	return b.String()
}

// ValidateProps checks props the way NewPrivateRdsApi does and returns a
// *ValidationError naming every invalid prop, or nil. It never panics. The constructor
// also checks what depends on the stack (LoadBalancerAccessLogsBucket needs a concrete
// region), and checks that need values only known at synthesis (the image's registry,
// the identity of the VPC) are made then, by PrivateRdsApi.Validate.
func ValidateProps(props *PrivateRdsApiProps) error {
	if _, problems := validate(props); len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// validate runs every check of props in sequence and returns the durations it read (in
// seconds) with the problems.
func validate(props *PrivateRdsApiProps) (d durations, problems []PropError) {
	if props == nil {
		return d, []PropError{{ProblemRequired, "props", "required (at least Image)"}}
	}
	defer func() {
		if r := recover(); r != nil {
			problems = []PropError{{ProblemUnreadable, "props", fmt.Sprint("could not be read: ", firstLine(r))}}
		}
	}()
	d, problems = readDurations(props.serviceProps())
	problems = append(problems, checkValues(props, d)...)
	problems = append(problems, checkConstructs(props)...)
	return d, problems
}

// validateService runs the checks of the per-service props on props, a service added to
// an API made with api, in the order of validate, and returns the durations it read with
// the problems.
func validateService(props *ServiceProps, api *PrivateRdsApiProps) (d durations, problems []PropError) {
	if props == nil {
		return d, []PropError{{ProblemRequired, "props", "required (at least PathPrefix and Image)"}}
	}
	defer func() {
		if r := recover(); r != nil {
			problems = []PropError{{ProblemUnreadable, "props", fmt.Sprint("could not be read: ", firstLine(r))}}
		}
	}()
	d, problems = readDurations(props)
	if props.PathPrefix == nil {
		problems = append(problems, PropError{ProblemRequired, "PathPrefix", `required: the path the service serves, such as "/orders"`})
	}
	add := adderTo(&problems)
	for _, c := range pureChecks {
		if c.service != nil {
			c.service(props, api, d, add)
		}
	}
	problems = append(problems, checkServiceConstructs(props, api)...)
	return d, problems
}

// durations are the props' durations in seconds, read (through jsii) before the pure
// checks; nil where the prop is not set or could not be read.
type durations struct {
	deregistration, grace, interval, timeout *float64
	// The durations of ContainerHealthCheck.
	checkInterval, checkTimeout, checkStartPeriod *float64
}

func readDurations(p *ServiceProps) (d durations, problems []PropError) {
	read := func(v awscdk.Duration, prop string) *float64 {
		if v == nil {
			return nil
		}
		var s *float64
		failed := jsiiPanic(func() { s = v.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}) }) != nil
		if failed || s == nil || isToken(*s) {
			problems = append(problems, PropError{ProblemToken, prop,
				"must be a concrete duration: a token (such as a CfnParameter) cannot be converted to seconds at synthesis"})
			return nil
		}
		return s
	}
	d.deregistration = read(p.DeregistrationDelay, "DeregistrationDelay")
	d.grace = read(p.HealthCheckGracePeriod, "HealthCheckGracePeriod")
	d.interval = read(p.HealthCheckInterval, "HealthCheckInterval")
	d.timeout = read(p.HealthCheckTimeout, "HealthCheckTimeout")
	if c := p.ContainerHealthCheck; c != nil {
		d.checkInterval = read(c.Interval, "ContainerHealthCheck.Interval")
		d.checkTimeout = read(c.Timeout, "ContainerHealthCheck.Timeout")
		d.checkStartPeriod = read(c.StartPeriod, "ContainerHealthCheck.StartPeriod")
	}
	return d, problems
}

// check is one concern's pure check: it reads only Go values (numbers, strings, the
// nil-ness of interfaces) and makes no jsii call, so that it can be fuzzed. A check of
// shared props reads PrivateRdsApiProps; a check of per-service props reads ServiceProps
// (and, for what the service shares, such as StageName, the API's props): it checks the
// first service (the per-service props of PrivateRdsApiProps) and every added one alike.
type check struct {
	shared  func(p *PrivateRdsApiProps, d durations, add adder)
	service func(s *ServiceProps, api *PrivateRdsApiProps, d durations, add adder)
}

// adder records a problem.
type adder func(code ProblemCode, prop, format string, args ...any)

// adderTo is an adder that appends to out.
func adderTo(out *[]PropError) adder {
	return func(code ProblemCode, prop, format string, args ...any) {
		*out = append(*out, PropError{code, prop, fmt.Sprintf(format, args...)})
	}
}

// pureChecks run in this order; each covers one concern.
var pureChecks = []check{
	{service: checkImage},
	{service: checkPorts},
	{shared: checkNetwork},
	{service: checkTaskSize},
	{service: checkContainer},
	{service: checkCapacity},
	{service: checkScaling},
	{service: checkHealthCheck},
	{shared: checkApi},
	{service: checkVariables},
	{service: checkDatabase},
	{shared: checkAgreement, service: checkServiceAgreement}, // agreement.go
	{shared: checkOperations, service: checkDeployment},      // alarms.go, deployment.go
}

// checkValues runs the pure checks of p: its shared props, and its per-service props as
// the ServiceProps of its first service.
func checkValues(p *PrivateRdsApiProps, d durations) []PropError {
	var out []PropError
	add := adderTo(&out)
	s := p.serviceProps()
	for _, c := range pureChecks {
		if c.shared != nil {
			c.shared(p, d, add)
		}
		if c.service != nil {
			c.service(s, p, d, add)
		}
	}
	return out
}

func checkImage(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	if p.Image == nil {
		add(ProblemRequired, "Image", "required: an ECR image (awsecs.ContainerImage_FromAsset or ContainerImage_FromEcrRepository)")
	}
}

func checkPorts(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	for _, port := range []struct {
		prop string
		v    *float64
	}{{"ContainerPort", p.ContainerPort}, {"ListenerPort", p.ListenerPort}, {"DatabasePort", p.DatabasePort}} {
		if port.v != nil && !isToken(*port.v) && !isInt(*port.v, 1, 65535) {
			add(ProblemRange, port.prop, "must be a whole number from 1 to 65535, got %v", *port.v)
		}
	}
}

func checkNetwork(p *PrivateRdsApiProps, _ durations, add adder) {
	if p.Vpc == nil {
		if p.VpcSubnets != nil {
			add(ProblemRequires, "VpcSubnets", "applies only with Vpc; remove it or set Vpc")
		}
		if p.ExistingEndpoints != nil {
			add(ProblemRequires, "ExistingEndpoints", "applies only with Vpc (a new VPC has no endpoints); remove it or set Vpc")
		}
	} else if p.MaxAzs != nil {
		add(ProblemConflict, "MaxAzs and Vpc", "MaxAzs applies only to a new VPC; remove MaxAzs or Vpc")
	}
	if e := p.ExistingEndpoints; e != nil {
		if p.EndpointSubnets != nil && e.Services == nil {
			add(ProblemConflict, "EndpointSubnets and ExistingEndpoints", "the construct creates no interface endpoint when ExistingEndpoints has no Services list (every one exists); remove EndpointSubnets, or list the existing ones in ExistingEndpoints.Services")
		}
		if e.Services != nil {
			for i, s := range *e.Services {
				if s == nil {
					add(ProblemRequired, "ExistingEndpoints.Services", "entry %d is nil; give it a service or remove it", i)
				}
			}
		}
	}
	if v := p.MaxAzs; v != nil {
		if isToken(*v) {
			add(ProblemToken, "MaxAzs", "must be a concrete number: the VPC's subnets are laid out at synthesis, a token (such as a CfnParameter) is not known then")
		} else if !isInt(*v, 1, 16) {
			add(ProblemRange, "MaxAzs", "must be a whole number from 1 to 16, got %v", *v)
		}
	}
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

func checkTaskSize(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	for _, v := range []struct {
		prop string
		v    *float64
	}{{"Cpu", p.Cpu}, {"MemoryLimitMiB", p.MemoryLimitMiB}} {
		if v.v != nil && isToken(*v.v) {
			add(ProblemToken, v.prop, "must be a concrete number: Fargate accepts only certain Cpu and MemoryLimitMiB pairs, which are checked at synthesis, when a token (such as a CfnParameter) is not known")
			return
		}
	}
	cpu, mem := orDefault(p.Cpu, DefaultCpu), orDefault(p.MemoryLimitMiB, DefaultMemoryLimitMiB)
	if allowed, ok := fargateMemory[cpu]; !ok {
		add(ProblemFargateSize, "Cpu", "must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, got %v", cpu)
	} else if !contains(allowed, mem) {
		add(ProblemFargateSize, "Cpu and MemoryLimitMiB", "Fargate does not accept cpu %v with %v MiB; with cpu %v memory must be one of %v", cpu, mem, cpu, fmtList(allowed))
	}
}

// userPattern is the form of a container user: a name or a numeric ID, optionally with a
// group as ":" and a name or ID.
var userPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,254})?$`)

// checkContainer checks the container's user and its own health check against the ranges
// of ECS's API (CDK accepts a timeout up to 120 s; ECS refuses more than 60 at deploy).
func checkContainer(p *ServiceProps, _ *PrivateRdsApiProps, d durations, add adder) {
	if v := p.User; v != nil && !userPattern.MatchString(*v) {
		add(ProblemFormat, "User", "must be a user or a numeric ID, optionally with a group (\"1000\", \"1000:1000\", \"app:app\"), got %q", *v)
	}
	c := p.ContainerHealthCheck
	if c == nil {
		return
	}
	if c.Command == nil || len(*c.Command) == 0 {
		add(ProblemRequired, "ContainerHealthCheck.Command", "required: the command ECS runs in the container, for example [\"CMD\", \"/app\", \"-healthcheck\"] (a single string runs with CMD-SHELL and needs a shell in the image)")
	}
	interval := 30.0 // ECS's default
	if v := d.checkInterval; v != nil {
		interval = *v
		if !isInt(*v, 5, 300) {
			add(ProblemRange, "ContainerHealthCheck.Interval", "must be whole seconds from 5 to 300, got %v", *v)
		}
	}
	if v := d.checkTimeout; v != nil {
		if !isInt(*v, 2, 60) {
			add(ProblemRange, "ContainerHealthCheck.Timeout", "must be whole seconds from 2 to 60 (ECS's range), got %v", *v)
		} else if *v > interval {
			add(ProblemConflict, "ContainerHealthCheck.Timeout and ContainerHealthCheck.Interval", "the timeout (%v s) must not exceed the interval (%v s)", *v, interval)
		}
	}
	if v := d.checkStartPeriod; v != nil && !isInt(*v, 0, 300) {
		add(ProblemRange, "ContainerHealthCheck.StartPeriod", "must be whole seconds from 0 to 300, got %v", *v)
	}
	if v := c.Retries; v != nil && (isToken(*v) || !isInt(*v, 1, 10)) {
		add(ProblemRange, "ContainerHealthCheck.Retries", "must be a concrete whole number from 1 to 10")
	}
}

// checkCapacity checks CapacityProviderStrategies against what ECS accepts of a service
// on the cluster's Fargate capacity providers.
func checkCapacity(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	if p.CapacityProviderStrategies == nil {
		return
	}
	const prop = "CapacityProviderStrategies"
	strategies := *p.CapacityProviderStrategies
	if len(strategies) == 0 {
		add(ProblemRequired, prop, "names no capacity provider; leave it nil for FARGATE on demand")
		return
	}
	seen := map[string]bool{}
	bases, weighted := 0, false
	for i, s := range strategies {
		if s == nil || s.CapacityProvider == nil {
			add(ProblemRequired, prop, "entry %d names no CapacityProvider", i)
			continue
		}
		name := *s.CapacityProvider
		switch {
		case name != "FARGATE" && name != "FARGATE_SPOT":
			add(ProblemRange, prop, "entry %d: CapacityProvider must be \"FARGATE\" or \"FARGATE_SPOT\" (the cluster's Fargate capacity providers), got %q", i, name)
		case seen[name]:
			add(ProblemConflict, prop, "%s is named twice", name)
		}
		seen[name] = true
		if w := s.Weight; w != nil && !isToken(*w) && !isInt(*w, 0, 1000) {
			add(ProblemRange, prop, "entry %d: Weight must be a whole number from 0 to 1000, got %v", i, *w)
		}
		if w := s.Weight; w != nil && (isToken(*w) || *w > 0) { // ECS's default weight is 0
			weighted = true
		}
		if b := s.Base; b != nil && !isToken(*b) {
			if !isInt(*b, 0, 100000) {
				add(ProblemRange, prop, "entry %d: Base must be a whole number from 0 to 100000, got %v", i, *b)
			}
			if *b > 0 {
				bases++
			}
		}
	}
	if bases > 1 {
		add(ProblemConflict, prop, "only one capacity provider of a strategy may have a Base")
	}
	if !weighted {
		add(ProblemRange, prop, "at least one capacity provider needs a Weight above 0")
	}
}

func checkScaling(p *ServiceProps, _ *PrivateRdsApiProps, d durations, add adder) {
	minC, maxC := orDefault(p.MinCapacity, DefaultMinCapacity), orDefault(p.MaxCapacity, DefaultMaxCapacity)
	if p.MinCapacity != nil && !isToken(minC) && !isInt(minC, 0, 1000) {
		add(ProblemRange, "MinCapacity", "must be a whole number from 0 to 1000, got %v", minC)
	}
	if p.MaxCapacity != nil && !isToken(maxC) && !isInt(maxC, 1, 1000) {
		add(ProblemRange, "MaxCapacity", "must be a whole number from 1 to 1000, got %v", maxC)
	}
	if !isToken(minC) && !isToken(maxC) && minC > maxC {
		add(ProblemCapacityOrder, "MinCapacity and MaxCapacity", "MinCapacity (%v) must not exceed MaxCapacity (%v)", minC, maxC)
	}
	if v := p.TargetCpuUtilizationPercent; v != nil && !isToken(*v) && !(*v >= 1 && *v <= 100) {
		add(ProblemRange, "TargetCpuUtilizationPercent", "must be from 1 to 100, got %v", *v)
	}
	if v := d.grace; v != nil && !(*v >= 0 && *v <= 7200) {
		add(ProblemRange, "HealthCheckGracePeriod", "must be from 0 to 7200 seconds, got %v", *v)
	}
}

// httpCodes is the form of a Network Load Balancer's health check matcher: codes or
// ranges of codes, separated by commas.
var httpCodes = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

func checkHealthCheck(p *ServiceProps, _ *PrivateRdsApiProps, d durations, add adder) {
	if v := d.deregistration; v != nil && !(*v >= 0 && *v <= 3600) {
		add(ProblemRange, "DeregistrationDelay", "must be from 0 to 3600 seconds, got %v", *v)
	}
	interval := orDefault(d.interval, DefaultHealthCheckIntervalSeconds)
	if v := d.interval; v != nil && !isInt(*v, 5, 300) {
		add(ProblemRange, "HealthCheckInterval", "must be whole seconds from 5 to 300 (a Network Load Balancer's range), got %v", *v)
	}
	if v := d.timeout; v != nil {
		if !isInt(*v, 2, 120) {
			add(ProblemRange, "HealthCheckTimeout", "must be whole seconds from 2 to 120 (a Network Load Balancer's range), got %v", *v)
		} else if *v > interval {
			add(ProblemConflict, "HealthCheckTimeout and HealthCheckInterval", "the timeout (%v s) must not exceed the interval (%v s)", *v, interval)
		}
	}
	for _, c := range []struct {
		prop string
		v    *float64
	}{{"HealthyThresholdCount", p.HealthyThresholdCount}, {"UnhealthyThresholdCount", p.UnhealthyThresholdCount}} {
		switch {
		case c.v == nil:
		case isToken(*c.v):
			add(ProblemToken, c.prop, "must be a concrete number: CDK checks it against the load balancer's range at synthesis, when a token (such as a CfnParameter) is not known")
		case !isInt(*c.v, 2, 10):
			add(ProblemRange, c.prop, "must be a whole number from 2 to 10 (a Network Load Balancer's range), got %v", *c.v)
		}
	}
	if v := p.HealthCheckPath; v != nil && (!strings.HasPrefix(*v, "/") || len(*v) > 1024) {
		add(ProblemFormat, "HealthCheckPath", "must start with / and be at most 1024 characters, got %q", *v)
	}
	if v := p.HealthCheckHealthyHttpCodes; v != nil {
		if p.HealthCheckPath == nil {
			add(ProblemRequires, "HealthCheckHealthyHttpCodes", "applies only with HealthCheckPath (an HTTP health check); the default check is TCP")
		} else if !validHttpCodes(*v) {
			add(ProblemFormat, "HealthCheckHealthyHttpCodes", "must be HTTP codes from 200 to 599, single (\"200\") or ranges (\"200-299\") separated by commas, got %q", *v)
		}
	}
}

func validHttpCodes(s string) bool {
	if !httpCodes.MatchString(s) {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, found := strings.Cut(part, "-")
		if !found {
			hi = lo
		}
		l, _ := strconv.Atoi(lo)
		h, _ := strconv.Atoi(hi)
		if l < 200 || h > 599 || l > h {
			return false
		}
	}
	return true
}

var stageNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func checkApi(p *PrivateRdsApiProps, _ durations, add adder) {
	if v := p.StageName; v != nil && isStringToken(*v) {
		add(ProblemToken, "StageName", "must be a concrete string, not a token (such as a CfnParameter): the stage's name is checked against API Gateway's rules and set as the container's API_STAGE at synthesis; give a literal, for example one read from CDK context (app.Node().TryGetContext) or from the environment when the app runs")
	} else if v != nil && !stageNamePattern.MatchString(*v) {
		add(ProblemFormat, "StageName", "must be 1 to 128 letters, digits, hyphens or underscores, got %q", *v)
	}
	switch p.VpcLinkVersion {
	case VpcLinkDefault, VpcLinkV1, VpcLinkV2:
	default:
		add(ProblemRange, "VpcLinkVersion", "must be VpcLinkV1, VpcLinkV2 or empty (V2), got %q", string(p.VpcLinkVersion))
	}
	if v := p.ThrottlingRateLimit; v != nil && !isToken(*v) && !(*v >= 0 && *v <= 1e6) {
		add(ProblemRange, "ThrottlingRateLimit", "must be from 0 to 1000000 requests per second, got %v", *v)
	}
	if v := p.ThrottlingBurstLimit; v != nil && !isToken(*v) && !isInt(*v, 0, 1e6) {
		add(ProblemRange, "ThrottlingBurstLimit", "must be a whole number from 0 to 1000000, got %v", *v)
	}
	if p.Authorizer != nil && p.AuthorizationType != "" {
		add(ProblemConflict, "Authorizer and AuthorizationType", "set one of them: the authorizer brings its own authorization type")
	}
	switch p.AuthorizationType {
	case "", awsapigateway.AuthorizationType_NONE, awsapigateway.AuthorizationType_IAM:
	default:
		add(ProblemRange, "AuthorizationType", "must be NONE or IAM; a CUSTOM or COGNITO authorization needs Authorizer, got %q", string(p.AuthorizationType))
	}
	if p.LoadBalancerAccessLogsPrefix != nil && p.LoadBalancerAccessLogsBucket == nil {
		add(ProblemRequires, "LoadBalancerAccessLogsPrefix", "applies only with LoadBalancerAccessLogsBucket")
	}
	if v := p.WebAclArn; v != nil && *v == "" {
		add(ProblemFormat, "WebAclArn", "must not be empty; leave it nil for no web ACL")
	}
}

// checkVariables checks the container's variables: no empty name or missing value, none
// that the construct sets from the database props, PORT and API_STAGE only in Environment
// and with the construct's values, none in both Environment and Secrets.
func checkVariables(p *ServiceProps, api *PrivateRdsApiProps, _ durations, add adder) {
	injected := injectedVariables(p, api.StageName)
	reserved := map[string]bool{}
	for _, k := range databaseVariables(p.Database, p.DatabaseSecret != nil, p.DatabaseHost != nil, p.DatabasePort != nil, p.DatabaseName != nil) { // database.go
		reserved[k] = true
	}
	for _, k := range iamVariables(p) { // iam.go
		reserved[k] = true
	}
	var env map[string]*string
	if p.Environment != nil {
		env = *p.Environment
		for _, k := range slices.Sorted(maps.Keys(env)) {
			switch {
			case k == "":
				add(ProblemFormat, "Environment", "a variable name must not be empty")
			case env[k] == nil:
				add(ProblemRequired, "Environment", "%s has no value (nil); give it one or remove it", k)
			case reserved[k]:
				add(ProblemReservedVariable, "Environment", "%s is set by the construct from the database props; remove it or the database prop", k)
			case injected[k] != nil && *env[k] != injected[k].value:
				add(ProblemReservedVariable, "Environment", "%s is set by the construct from %s (%s); remove it, or give it that same literal value", k, injected[k].from, injected[k].shown())
			}
		}
	}
	if p.Secrets != nil {
		for _, k := range slices.Sorted(maps.Keys(*p.Secrets)) {
			switch {
			case k == "":
				add(ProblemFormat, "Secrets", "a variable name must not be empty")
			case (*p.Secrets)[k] == nil:
				add(ProblemRequired, "Secrets", "%s has no secret (nil); give it one or remove it", k)
			case reserved[k]:
				add(ProblemReservedVariable, "Secrets", "%s is set by the construct from the database props; remove it or the database prop", k)
			case injected[k] != nil:
				add(ProblemReservedVariable, "Secrets", "%s is set by the construct from %s as a plain variable; remove it from Secrets", k, injected[k].from)
			case env[k] != nil:
				add(ProblemDuplicateVariable, "Environment and Secrets", "%s is in both; a variable comes from one of them", k)
			}
		}
	}
}

// injectedVariable is a variable the construct sets in the container: the prop it comes
// from and its value ("" for a token, which no Environment entry is seen to equal).
type injectedVariable struct{ from, value string }

func (v *injectedVariable) shown() string {
	if v.value == "" {
		return "a token"
	}
	return strconv.Quote(v.value)
}

// injectedVariables are the variables the construct always sets (buildService): PORT, the
// container port, and API_STAGE, the stage name.
func injectedVariables(p *ServiceProps, stageName *string) map[string]*injectedVariable {
	port, stage := orDefault(p.ContainerPort, DefaultContainerPort), DefaultStageName
	if stageName != nil {
		stage = *stageName
	}
	vars := map[string]*injectedVariable{
		"PORT":      {"ContainerPort", strconv.FormatFloat(port, 'f', -1, 64)},
		"API_STAGE": {"StageName", stage},
	}
	if isToken(port) {
		vars["PORT"].value = ""
	}
	if isStringToken(stage) {
		vars["API_STAGE"].value = ""
	}
	return vars
}

// isStringToken says whether s holds a CDK token encoded in a string: "${Token[...]}"
// (such as a CfnParameter's ValueAsString) or "#{Token[...]}" (an element of a list
// token). Pure Go, so that the checks need no jsii call.
func isStringToken(s string) bool {
	return strings.Contains(s, "${Token[") || strings.Contains(s, "#{Token[")
}

func checkDatabase(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	if p.Database == nil && p.DatabaseSecurityGroups != nil {
		add(ProblemRequires, "DatabaseSecurityGroups", "applies only with Database")
	}
	checkIamProps(p, add) // iam.go
}

// checkConstructs validates the props that need the jsii runtime: the VPC's subnets, the
// database's port and its security groups.
func checkConstructs(p *PrivateRdsApiProps) []PropError {
	var out []PropError
	if p.Vpc != nil {
		out = append(out, checkSubnets(p)...)
	}
	return append(out, checkServiceConstructs(p.serviceProps(), p)...)
}

// checkServiceConstructs validates the per-service props that need the jsii runtime: the
// platform, the database's port, endpoint and security groups.
func checkServiceConstructs(p *ServiceProps, api *PrivateRdsApiProps) []PropError {
	var out []PropError
	out = append(out, checkPlatform(p)...) // agreement.go
	if p.Database != nil && p.DatabasePort == nil {
		if c := p.Database.Connections(); c == nil || c.DefaultPort() == nil {
			out = append(out, PropError{ProblemDatabasePort, "Database and DatabasePort", "Database has no default port: set DatabasePort"})
		}
	}
	out = append(out, checkDatabaseEndpoint(p)...) // database.go
	out = append(out, checkIam(p)...)              // iam.go
	if g := p.DatabaseSecurityGroups; p.Database != nil && g != nil {
		if c := p.Database.Connections(); c != nil && c.SecurityGroups() != nil && len(*c.SecurityGroups()) > 0 {
			out = append(out, PropError{ProblemConflict, "Database and DatabaseSecurityGroups", "Database has its own security groups; remove DatabaseSecurityGroups"})
		} else if len(*g) == 0 && api.Vpc != nil && !hasCidr(api.Vpc) {
			out = append(out, PropError{ProblemUnknownCidr, "DatabaseSecurityGroups", "an empty list sends the tasks' database egress to the VPC's CIDR block, which this VPC does not know: give the database's security groups, or import the VPC with VpcCidrBlock"})
		}
	}
	return out
}

func checkSubnets(p *PrivateRdsApiProps) []PropError {
	prop := "Vpc"
	if p.VpcSubnets != nil {
		prop = "VpcSubnets"
	}
	selected, _ := selectSubnets(p.Vpc, subnetSelection(p))
	if len(selected) == 0 {
		return []PropError{{ProblemNoSubnets, prop, noSubnetsMessage(p)}} // agreement.go
	}
	if pe := checkInternetRoute(p, prop); pe != nil { // agreement.go
		return []PropError{*pe}
	}
	if e := p.ExistingEndpoints; e != nil && (e.SecurityGroups == nil || len(*e.SecurityGroups) == 0) && (e.Services == nil || len(*e.Services) > 0) && !hasCidr(p.Vpc) {
		return []PropError{{ProblemUnknownCidr, "ExistingEndpoints", "without SecurityGroups the tasks' HTTPS egress goes to the VPC's CIDR block, which this VPC does not know: give the endpoints' SecurityGroups, or import the VPC with VpcCidrBlock"}}
	}
	if e := p.ExistingEndpoints; e == nil || (e.S3GatewayEndpoint != nil && !*e.S3GatewayEndpoint) {
		for _, s := range selected {
			if !hasRouteTableId(s) {
				return []PropError{{ProblemUnknownRouteTables, prop, "the selected subnets' route table IDs are unknown, so the S3 gateway endpoint cannot be routed: import the VPC with its route table IDs (IsolatedSubnetRouteTableIds) or set ExistingEndpoints"}}
			}
		}
	}
	return nil
}

// checkStack checks what depends on the stack the construct goes into, which
// ValidateProps does not know: ELB access logs need the stack's region (CDK names the
// region's ELB log delivery account in the bucket policy).
func checkStack(scope constructs.Construct, p *PrivateRdsApiProps) []PropError {
	if p == nil || p.LoadBalancerAccessLogsBucket == nil || scope == nil {
		return nil
	}
	var region *string
	if jsiiPanic(func() { region = awscdk.Stack_Of(scope).Region() }) != nil || region == nil || *awscdk.Token_IsUnresolved(region) {
		return []PropError{{ProblemRequires, "LoadBalancerAccessLogsBucket", "needs a stack with a concrete region (StackProps.Env): the bucket policy names the region's Elastic Load Balancing account, which CDK cannot know in an environment-agnostic stack"}}
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

// selectSubnets returns the subnets of vpc that selection selects, none when selecting
// fails, with what it panicked with.
func selectSubnets(vpc awsec2.IVpc, selection *awsec2.SubnetSelection) (subnets []awsec2.ISubnet, failure any) {
	var selected *awsec2.SelectedSubnets
	if failure = jsiiPanic(func() { selected = vpc.SelectSubnets(selection) }); failure != nil || selected == nil || selected.Subnets == nil {
		return nil, failure
	}
	return *selected.Subnets, nil
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

// isToken says whether v is a CDK numeric token (an unresolved number such as a
// CfnParameter's ValueAsNumber): CDK encodes the token's index in a NaN-free double whose
// upper 16 bits are 0xFBFF (DOUBLE_TOKEN_MARKER_BITS in aws-cdk-lib's encoding), which
// prints as about -1.888e+289. Pure Go, so that the checks need no jsii call.
func isToken(v float64) bool {
	return uint32(math.Float64bits(v)>>32)&0xFFFF0000 == 0xFBFF0000
}

// portString renders a port for a URI or an environment variable: the number, or the
// token's string form.
func portString(v float64) *string {
	if isToken(v) {
		return awscdk.Token_AsString(jsii.Number(v), nil)
	}
	return jsii.String(strconv.FormatFloat(v, 'f', -1, 64))
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

// warn adds a warning with id to scope's annotations (cdk synth prints it; --strict
// fails on it). The one call of Annotations.AddWarningV2: its signature changed in
// aws-cdk-go 2.276.0 (jsii makes a new optional parameter positional in Go), so the next
// change is one line here.
func warn(scope constructs.IConstruct, id, message string) {
	awscdk.Annotations_Of(scope).AddWarningV2(jsii.String(id), jsii.String(message), nil)
}
