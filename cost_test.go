package privaterdsapi_test

// The fixed monthly cost of a synthesized template, and the README's "Cost" tables checked
// against it, cell by cell.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi/internal/mdtable"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// Unit prices: us-east-1 list prices in USD, as measured on pricesMeasured (the field
// notes, "Measured 2026-11-25"), over hoursPerMonth hours a month. Decimal strings, so
// that the arithmetic is exact (math/big) and rounding to cents happens once, at the end.
const (
	pricesMeasured = "2026-11-25"
	hoursPerMonth  = "730"

	// priceInterfaceEndpointAzHour is one interface VPC endpoint in one AZ for an hour.
	priceInterfaceEndpointAzHour = "0.01"
	// priceNlbHour is one Network Load Balancer for an hour (capacity units are per use).
	priceNlbHour = "0.0225"
	// priceNatGatewayHour is one NAT gateway for an hour (data processed is per use).
	priceNatGatewayHour = "0.045"
	// pricePublicIpv4Hour is one public IPv4 address for an hour, in use or not.
	pricePublicIpv4Hour = "0.005"
	// priceFargateX86VcpuHour and priceFargateX86GbHour are Fargate Linux/x86 on demand.
	priceFargateX86VcpuHour = "0.04048"
	priceFargateX86GbHour   = "0.004445"
	// priceFargateArmVcpuHour and priceFargateArmGbHour are Fargate Linux/ARM64 on demand.
	priceFargateArmVcpuHour = "0.03238"
	priceFargateArmGbHour   = "0.00356"
	// fargateSpotFactor is what a task on FARGATE_SPOT costs relative to on demand. Spot is
	// "about 70% off"; its prices vary over time and by region: an approximation.
	fargateSpotFactor = "0.3"
	// priceCustomMetricMonth is one CloudWatch custom metric for a month (first tier).
	priceCustomMetricMonth = "0.30"
	// insightsMetricsPerService is how many custom metrics Container Insights bills for one
	// ECS service: the estimate, not a measurement.
	insightsMetricsPerService = 25

	// priceAlarmMetricMonth is one metric of a standard resolution CloudWatch alarm for a
	// month (a metric math alarm is billed per metric it reads); the free tier's ten alarms
	// are the account's, not counted here.
	priceAlarmMetricMonth = "0.10"
	// priceDashboardMonth is one CloudWatch dashboard for a month beyond the account's
	// first three (free), which are the account's, not counted here.
	priceDashboardMonth = "3.00"
	// priceRdsProxyVcpuHour is RDS Proxy for one vCPU of the database's instances for an
	// hour, billed for at least rdsProxyMinVcpus (provisioned instances; Aurora Serverless
	// v2 is billed per ACU with a minimum of 8 ACUs, which the model does not count). As
	// quoted on rdsProxyPriceQuoted from https://aws.amazon.com/rds/proxy/pricing/ by
	// third-party write-ups (the AWS page itself could not be read here).
	priceRdsProxyVcpuHour = "0.015"
	rdsProxyMinVcpus      = 2
	rdsProxyPriceQuoted   = "2026-11-30"

	// defaultCostBefore is the default stack's fixed cost before issue 10 (endpoints, NLB,
	// Fargate and Container Insights as the issue lists them): the default's infrastructure
	// (its cost without the alarms of issue 18, which the issue adds by default) may not
	// exceed it.
	defaultCostBefore = "76.74"
)

// rdsInstanceVcpus are the vCPUs of RDS instance classes (AWS's DB instance class
// tables, as of 2026-11-30), for the RDS Proxy's price. A class not listed fails the
// model: add it rather than count the proxy at $0.
var rdsInstanceVcpus = map[string]int64{
	"db.t3.micro": 2, "db.t3.small": 2, "db.t3.medium": 2, "db.t3.large": 2,
	"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.t4g.large": 2,
	"db.m7g.large": 2, "db.m7g.xlarge": 4, "db.r7g.large": 2, "db.r7g.xlarge": 4,
}

// costRow is one row of the README's cost table: a template and what of it is not the
// construct's cost.
type costRow struct {
	label    string
	template func(t *testing.T) map[string]any
	// excluded are resource types the row leaves out, with the reason.
	excluded map[string]string
}

// usersDatabase are the resources of a scenario's database, which are the user's cost, not
// the construct's: the instance, its subnet group and its generated (master) secret.
var usersDatabase = map[string]string{
	"AWS::RDS::DBInstance":                        "the user's database",
	"AWS::RDS::DBSubnetGroup":                     "the user's database",
	"AWS::SecretsManager::Secret":                 "the database's generated (master) secret",
	"AWS::SecretsManager::SecretTargetAttachment": "the database's generated (master) secret",
}

func costRows() []costRow {
	fromScenario := func(name string) func(t *testing.T) map[string]any {
		return func(t *testing.T) map[string]any { return scenario(t, name).json }
	}
	return []costRow{
		{label: "Default (`Default`)", template: fromScenario("Default")},
		{label: "With a database secret (`RdsInstance`)", template: fromScenario("RdsInstance"),
			excluded: usersDatabase},
		{label: "IAM authentication, no secret (`IamAuth`)", template: fromScenario("IamAuth"),
			excluded: usersDatabase},
		{label: "RDS Proxy (`Proxy`)", template: fromScenario("Proxy"),
			excluded: usersDatabase},
		{label: "Development profile (`Development`)", template: fromScenario("Development")},
		{label: peerLabel, template: func(t *testing.T) map[string]any { return peer(t).json }},
		{label: "Three services (`ThreeServices`)", template: fromScenario("ThreeServices"),
			excluded: usersDatabase},
		{label: "Blue/green with a dashboard (`BlueGreen`)", template: fromScenario("BlueGreen"),
			excluded: usersDatabase},
		{label: threePeersLabel, template: func(t *testing.T) map[string]any { return threePeers(t).json }}, // services_test.go
	}
}

const peerLabel = "Peer: `NetworkLoadBalancedFargateService` (`PublicLoadBalancer: false`)"

// peer synthesizes the peer (addPeer, with the default task size of PrivateRdsApi), once
// per test binary.
func peer(t *testing.T) *synthesized {
	t.Helper()
	return cached(t, "peer:NetworkLoadBalancedFargateService", func(app awscdk.App) *scenarios.Built {
		stack := awscdk.NewStack(app, jsii.String("Peer"), nil)
		addPeer(stack, "Service") // bench_test.go
		return &scenarios.Built{Stack: stack}
	})
}

// fixedCost is the fixed monthly cost of a template, by component.
type fixedCost struct {
	endpointsByAzs map[int]int // interface endpoints by their number of AZs (subnets)
	nlbs           []string    // the schemes of the Network Load Balancers
	natGateways    int
	publicIpv4     int // EIPs, an internet-facing NLB's per-AZ addresses, tasks' public IPs
	services       []fargateService
	insights       int     // Container Insights metrics
	proxyVcpus     []int64 // the billed vCPUs of each RDS Proxy
	alarmMetrics   int     // the metrics of the CloudWatch alarms
	dashboards     int

	endpoints, nlb, nat, fargate, metrics, proxy, monitoring *big.Rat // monthly, exact
}

type fargateService struct {
	tasks      int
	spot       *big.Rat // of tasks, on FARGATE_SPOT
	vcpu, gb   *big.Rat
	arch       string
	monthlyUsd *big.Rat
}

func (c *fixedCost) total() *big.Rat {
	return sum(c.endpoints, c.nlb, c.nat, c.fargate, c.metrics, c.proxy, c.monitoring)
}

// noFixedCost are the resource types that cost nothing while idle: free, or billed per
// use only (the README lists those prices).
var noFixedCost = map[string]string{
	"AWS::ApiGateway::Account":                    "an account setting",
	"AWS::ApiGateway::Deployment":                 "per request (REST API)",
	"AWS::ApiGateway::Method":                     "per request (REST API)",
	"AWS::ApiGateway::RequestValidator":           "per request (REST API)",
	"AWS::ApiGateway::Resource":                   "per request (REST API)",
	"AWS::ApiGateway::RestApi":                    "per request (REST API)",
	"AWS::ApiGateway::Stage":                      "per request; a cache cluster would be hourly (refused by the model)",
	"AWS::ApiGateway::VpcLink":                    "no charge of its own",
	"AWS::ApiGatewayV2::VpcLink":                  "no charge of its own",
	"AWS::ApplicationAutoScaling::ScalableTarget": "free",
	"AWS::ApplicationAutoScaling::ScalingPolicy":  "free; target tracking's CloudWatch alarms are outside the template",
	"AWS::EC2::FlowLog":                           "log ingestion, per GB",
	"AWS::EC2::InternetGateway":                   "free; data transfer out per GB",
	"AWS::EC2::Route":                             "free",
	"AWS::EC2::RouteTable":                        "free",
	"AWS::EC2::SecurityGroup":                     "free",
	"AWS::EC2::SecurityGroupEgress":               "free",
	"AWS::EC2::SecurityGroupIngress":              "free",
	"AWS::EC2::Subnet":                            "free",
	"AWS::EC2::SubnetRouteTableAssociation":       "free",
	"AWS::EC2::VPC":                               "free",
	"AWS::EC2::VPCGatewayAttachment":              "free",
	"AWS::ElasticLoadBalancingV2::Listener":       "capacity units, per use",
	"AWS::ElasticLoadBalancingV2::TargetGroup":    "capacity units, per use",
	"AWS::IAM::Policy":                            "free",
	"AWS::IAM::Role":                              "free",
	"AWS::RDS::DBProxyTargetGroup":                "priced with its proxy",
	"AWS::Logs::LogGroup":                         "ingestion and storage, per GB",
}

// priced are the resource types the model prices (or prices through another resource:
// a task definition through its service, a cluster's settings through its services).
var priced = map[string]bool{
	"AWS::EC2::VPCEndpoint":                         true,
	"AWS::ElasticLoadBalancingV2::LoadBalancer":     true,
	"AWS::EC2::NatGateway":                          true,
	"AWS::EC2::EIP":                                 true,
	"AWS::ECS::Service":                             true,
	"AWS::ECS::TaskDefinition":                      true,
	"AWS::ECS::Cluster":                             true,
	"AWS::ECS::ClusterCapacityProviderAssociations": true,
	"AWS::CloudWatch::Alarm":                        true,
	"AWS::CloudWatch::Dashboard":                    true,
	"AWS::RDS::DBProxy":                             true,
}

// templateResource is a resource of a template given as parsed JSON.
type templateResource struct {
	id, typ string
	props   map[string]any
}

// modelFixedCost computes the fixed monthly cost of a template (parsed JSON), leaving out
// the resource types of excluded. Anything it cannot price (an unknown resource type, an
// option with an hourly price of its own, a value given as a token) is an error, so that
// a new kind of resource cannot slip through at $0.
func modelFixedCost(template map[string]any, excluded map[string]string) (*fixedCost, error) {
	all := map[string]templateResource{}
	byType := map[string][]templateResource{}
	var problems []error
	resources, _ := template["Resources"].(map[string]any)
	for id, r := range resources {
		r, _ := r.(map[string]any)
		typ, _ := r["Type"].(string)
		props, _ := r["Properties"].(map[string]any)
		res := templateResource{id, typ, props}
		all[id] = res
		switch {
		case excluded[typ] != "":
			continue
		case priced[typ]:
		case noFixedCost[typ] != "":
			if typ == "AWS::ApiGateway::Stage" && res.props["CacheClusterEnabled"] == true {
				problems = append(problems, fmt.Errorf("%s: an API Gateway cache cluster is billed per hour; the model does not price it", id))
			}
		default:
			problems = append(problems, fmt.Errorf("%s: no cost model for %s: add it to noFixedCost (with the reason) or price it", id, typ))
		}
		byType[typ] = append(byType[typ], res)
	}
	for _, list := range byType {
		sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	}
	c := &fixedCost{endpointsByAzs: map[int]int{}}
	var endpointAzs, ipv4Addresses int

	for _, e := range byType["AWS::EC2::VPCEndpoint"] {
		switch e.props["VpcEndpointType"] {
		case nil, "Gateway": // S3 and DynamoDB gateway endpoints are free
		case "Interface":
			subnets, ok := e.props["SubnetIds"].([]any)
			if !ok || len(subnets) == 0 {
				problems = append(problems, fmt.Errorf("%s: interface endpoint without a list of SubnetIds: cannot count its AZs", e.id))
				continue
			}
			c.endpointsByAzs[len(subnets)]++
			endpointAzs += len(subnets)
		default:
			problems = append(problems, fmt.Errorf("%s: endpoint type %v: no cost model", e.id, e.props["VpcEndpointType"]))
		}
	}
	c.endpoints = monthly(big.NewRat(int64(endpointAzs), 1), rat(priceInterfaceEndpointAzHour))

	for _, lb := range byType["AWS::ElasticLoadBalancingV2::LoadBalancer"] {
		if lb.props["Type"] != "network" {
			problems = append(problems, fmt.Errorf("%s: load balancer of type %v: only Network Load Balancers are modelled", lb.id, lb.props["Type"]))
			continue
		}
		scheme, _ := lb.props["Scheme"].(string)
		if scheme == "" {
			scheme = "internet-facing" // CloudFormation's default
		}
		c.nlbs = append(c.nlbs, scheme)
		if scheme == "internet-facing" {
			// One public IPv4 address per AZ, unless it is an EIP of the template (counted as such).
			subnets, _ := lb.props["Subnets"].([]any)
			ipv4Addresses += len(subnets)
			mappings, _ := lb.props["SubnetMappings"].([]any)
			for _, m := range mappings {
				if m, _ := m.(map[string]any); m["AllocationId"] == nil {
					ipv4Addresses++
				}
			}
		}
	}
	c.nlb = monthly(big.NewRat(int64(len(c.nlbs)), 1), rat(priceNlbHour))

	c.natGateways = len(byType["AWS::EC2::NatGateway"]) // private NAT gateways are billed the same
	ipv4Addresses += len(byType["AWS::EC2::EIP"])

	c.fargate = new(big.Rat)
	insightsByCluster := map[string]bool{}
	for _, cl := range byType["AWS::ECS::Cluster"] {
		settings, _ := cl.props["ClusterSettings"].([]any)
		for _, s := range settings {
			s, _ := s.(map[string]any)
			if s["Name"] != "containerInsights" {
				continue
			}
			switch s["Value"] {
			case "enabled":
				insightsByCluster[cl.id] = true
			case "disabled":
			default: // "enhanced" is priced differently: not modelled
				problems = append(problems, fmt.Errorf("%s: containerInsights %v: no cost model", cl.id, s["Value"]))
			}
		}
	}
	for _, svc := range byType["AWS::ECS::Service"] {
		s, public, err := fargateCost(all, byType, svc)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		c.services = append(c.services, s)
		c.fargate.Add(c.fargate, s.monthlyUsd)
		if public {
			ipv4Addresses += s.tasks
		}
		// A service in a cluster of another stack, or the default cluster, follows the
		// account's setting: counted as off.
		if insightsByCluster[ref(svc.props["Cluster"])] {
			c.insights += insightsMetricsPerService
		}
	}
	c.publicIpv4 = ipv4Addresses
	c.nat = sum(monthly(big.NewRat(int64(c.natGateways), 1), rat(priceNatGatewayHour)),
		monthly(big.NewRat(int64(ipv4Addresses), 1), rat(pricePublicIpv4Hour)))
	c.metrics = new(big.Rat).Mul(big.NewRat(int64(c.insights), 1), rat(priceCustomMetricMonth))
	var proxyErr error
	c.proxyVcpus, c.proxy, proxyErr = proxyCost(all, byType)
	problems = append(problems, proxyErr)

	for _, a := range byType["AWS::CloudWatch::Alarm"] {
		// A single-metric alarm, or a metric math alarm billed per metric it reads.
		n, highResolution := 1, false
		if metrics, ok := a.props["Metrics"].([]any); ok {
			n = 0
			for _, m := range metrics {
				m, _ := m.(map[string]any)
				if stat, ok := m["MetricStat"].(map[string]any); ok {
					n++
					period, _ := stat["Period"].(float64)
					highResolution = highResolution || period < 60
				}
			}
		} else {
			period, _ := a.props["Period"].(float64)
			highResolution = period < 60
		}
		if highResolution {
			problems = append(problems, fmt.Errorf("%s: a high resolution alarm is billed at another price: not modelled", a.id))
		}
		c.alarmMetrics += n
	}
	c.dashboards = len(byType["AWS::CloudWatch::Dashboard"])
	c.monitoring = sum(new(big.Rat).Mul(big.NewRat(int64(c.alarmMetrics), 1), rat(priceAlarmMetricMonth)),
		new(big.Rat).Mul(big.NewRat(int64(c.dashboards), 1), rat(priceDashboardMonth)))
	return c, errors.Join(problems...)
}

// proxyCost prices each RDS Proxy by the vCPUs of the instances of its target group (an
// instance, or the instances of a cluster), at least rdsProxyMinVcpus. What it cannot
// count (a class not in rdsInstanceVcpus, Aurora Serverless v2, a target outside the
// template) is an error.
func proxyCost(all map[string]templateResource, byType map[string][]templateResource) ([]int64, *big.Rat, error) {
	var vcpus []int64
	total := new(big.Rat)
	var problems []error
	for _, proxy := range byType["AWS::RDS::DBProxy"] {
		var n int64
		for _, tg := range byType["AWS::RDS::DBProxyTargetGroup"] {
			if ref(tg.props["DBProxyName"]) != proxy.id {
				continue
			}
			var instances []templateResource
			for _, id := range asAnyList(tg.props["DBInstanceIdentifiers"]) {
				instances = append(instances, all[ref(id)])
			}
			for _, cl := range asAnyList(tg.props["DBClusterIdentifiers"]) {
				for _, i := range byType["AWS::RDS::DBInstance"] {
					if ref(i.props["DBClusterIdentifier"]) == ref(cl) {
						instances = append(instances, i)
					}
				}
			}
			for _, i := range instances {
				class, _ := i.props["DBInstanceClass"].(string)
				v, ok := rdsInstanceVcpus[class]
				if !ok {
					problems = append(problems, fmt.Errorf("%s: target %q of class %q: not in rdsInstanceVcpus (Aurora Serverless v2 is billed per ACU: not counted)", proxy.id, i.id, class))
				}
				n += v
			}
		}
		if n < rdsProxyMinVcpus {
			n = rdsProxyMinVcpus
		}
		vcpus = append(vcpus, n)
		total.Add(total, monthly(big.NewRat(n, 1), rat(priceRdsProxyVcpuHour)))
	}
	return vcpus, total, errors.Join(problems...)
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// fargateCost prices a service's tasks at its minimum capacity and tells whether they get
// public IPs.
func fargateCost(all map[string]templateResource, byType map[string][]templateResource, svc templateResource) (fargateService, bool, error) {
	fail := func(format string, a ...any) (fargateService, bool, error) {
		return fargateService{}, false, fmt.Errorf("%s: "+format, append([]any{svc.id}, a...)...)
	}
	task, ok := all[ref(svc.props["TaskDefinition"])]
	if !ok || task.typ != "AWS::ECS::TaskDefinition" {
		return fail("task definition %s is not in the template", ref(svc.props["TaskDefinition"]))
	}
	if !contains(asStrings(task.props["RequiresCompatibilities"]), "FARGATE") {
		return fail("task definition %s is not for Fargate", task.id)
	}
	cpu, err := ratOf(task.props["Cpu"])
	if err != nil {
		return fail("task Cpu: %v", err)
	}
	memory, err := ratOf(task.props["Memory"])
	if err != nil {
		return fail("task Memory: %v", err)
	}
	if storage, _ := task.props["EphemeralStorage"].(map[string]any); storage != nil {
		if gib, err := ratOf(storage["SizeInGiB"]); err != nil || gib.Cmp(big.NewRat(20, 1)) > 0 {
			return fail("ephemeral storage above the 20 GiB included: no cost model")
		}
	}
	s := fargateService{vcpu: new(big.Rat).Quo(cpu, big.NewRat(1024, 1)), gb: new(big.Rat).Quo(memory, big.NewRat(1024, 1)), arch: "x86"}
	vcpuPrice, gbPrice := rat(priceFargateX86VcpuHour), rat(priceFargateX86GbHour)
	platform, _ := task.props["RuntimePlatform"].(map[string]any)
	switch platform["CpuArchitecture"] {
	case nil, "X86_64":
	case "ARM64":
		s.arch = "ARM64"
		vcpuPrice, gbPrice = rat(priceFargateArmVcpuHour), rat(priceFargateArmGbHour)
	default:
		return fail("CPU architecture %v: no cost model", platform["CpuArchitecture"])
	}
	if family := platform["OperatingSystemFamily"]; family != nil && family != "LINUX" {
		return fail("operating system %v: no cost model (Windows adds a license fee)", family)
	}

	// The minimum capacity: the scalable target's MinCapacity, else DesiredCount, else 1
	// (what CloudFormation creates a service with).
	tasks := 1
	if v, set := svc.props["DesiredCount"]; set {
		n, ok := v.(float64)
		if !ok {
			return fail("DesiredCount %v is not a number", v)
		}
		tasks = int(n)
	}
	for _, target := range byType["AWS::ApplicationAutoScaling::ScalableTarget"] {
		id, _ := json.Marshal(target.props["ResourceId"])
		if target.props["ScalableDimension"] == "ecs:service:DesiredCount" && strings.Contains(string(id), `"`+svc.id+`"`) {
			n, ok := target.props["MinCapacity"].(float64)
			if !ok {
				return fail("scalable target %s: MinCapacity %v is not a number", target.id, target.props["MinCapacity"])
			}
			tasks = int(n)
		}
	}
	s.tasks = tasks

	strategy, err := capacityStrategy(byType, svc)
	if err != nil {
		return fail("%v", err)
	}
	onDemand, spot, err := placeTasks(tasks, strategy)
	if err != nil {
		return fail("%v", err)
	}
	s.spot = spot
	perTaskHour := sum(new(big.Rat).Mul(s.vcpu, vcpuPrice), new(big.Rat).Mul(s.gb, gbPrice))
	taskHours := sum(onDemand, new(big.Rat).Mul(spot, rat(fargateSpotFactor)))
	s.monthlyUsd = monthly(taskHours, perTaskHour)

	network, _ := svc.props["NetworkConfiguration"].(map[string]any)
	awsvpc, _ := network["AwsvpcConfiguration"].(map[string]any)
	return s, awsvpc["AssignPublicIp"] == "ENABLED", nil
}

// strategyItem is one capacity provider of a strategy.
type strategyItem struct {
	provider     string
	base, weight int
}

// capacityStrategy is where a service's tasks run: its launch type, else its capacity
// provider strategy, else its cluster's default strategy.
func capacityStrategy(byType map[string][]templateResource, svc templateResource) ([]strategyItem, error) {
	switch lt := svc.props["LaunchType"]; lt {
	case "FARGATE":
		return []strategyItem{{"FARGATE", 0, 1}}, nil
	case nil:
	default:
		return nil, fmt.Errorf("launch type %v: only Fargate is modelled", lt)
	}
	list, _ := svc.props["CapacityProviderStrategy"].([]any)
	if len(list) == 0 {
		for _, a := range byType["AWS::ECS::ClusterCapacityProviderAssociations"] {
			if ref(a.props["Cluster"]) == ref(svc.props["Cluster"]) {
				list, _ = a.props["DefaultCapacityProviderStrategy"].([]any)
			}
		}
	}
	if len(list) == 0 {
		return nil, errors.New("no launch type and no capacity provider strategy (neither the service's nor its cluster's): no cost model")
	}
	var out []strategyItem
	for _, item := range list {
		m, _ := item.(map[string]any)
		provider, _ := m["CapacityProvider"].(string)
		base, _ := m["Base"].(float64)
		weight, _ := m["Weight"].(float64)
		if provider != "FARGATE" && provider != "FARGATE_SPOT" {
			return nil, fmt.Errorf("capacity provider %v: only FARGATE and FARGATE_SPOT are modelled", m["CapacityProvider"])
		}
		out = append(out, strategyItem{provider, int(base), int(weight)})
	}
	return out, nil
}

// placeTasks splits tasks over a strategy as ECS does: each provider's base first (in
// order), the rest in proportion to the weights. A fractional share is counted as such
// (the expected placement, not ECS's rounding).
func placeTasks(tasks int, strategy []strategyItem) (onDemand, spot *big.Rat, err error) {
	on := map[string]*big.Rat{"FARGATE": new(big.Rat), "FARGATE_SPOT": new(big.Rat)}
	rest, weights := tasks, 0
	for _, s := range strategy {
		b := min(s.base, rest)
		on[s.provider].Add(on[s.provider], big.NewRat(int64(b), 1))
		rest -= b
		weights += s.weight
	}
	if rest > 0 {
		if weights == 0 {
			return nil, nil, errors.New("capacity provider strategy with no weight")
		}
		for _, s := range strategy {
			on[s.provider].Add(on[s.provider], big.NewRat(int64(rest*s.weight), int64(weights)))
		}
	}
	return on["FARGATE"], on["FARGATE_SPOT"], nil
}

// costCells renders a row of the cost table.
func costCells(label string, c *fixedCost, peerTotal *big.Rat) []string {
	var endpoints []string
	var azs []int
	for n := range c.endpointsByAzs {
		azs = append(azs, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(azs)))
	for _, n := range azs {
		endpoints = append(endpoints, fmt.Sprintf("%d × %s", c.endpointsByAzs[n], plural(n, "AZ")))
	}
	var nlbs []string
	for _, scheme := range c.nlbs {
		nlbs = append(nlbs, "1 "+scheme)
	}
	nat := "none"
	if c.natGateways > 0 || c.publicIpv4 > 0 {
		nat = fmt.Sprintf("%d NAT + %d IPv4", c.natGateways, c.publicIpv4)
	}
	var fargate []string
	for _, s := range c.services {
		capacity := "on demand"
		switch {
		case s.spot.Sign() == 0:
		case s.spot.Cmp(big.NewRat(int64(s.tasks), 1)) == 0:
			capacity = "Spot"
		default:
			capacity = decimal(s.spot) + " on Spot"
		}
		fargate = append(fargate, fmt.Sprintf("%s × %s vCPU + %s GB, %s, %s",
			plural(s.tasks, "task"), decimal(s.vcpu), decimal(s.gb), s.arch, capacity))
	}
	insights := "off"
	if c.insights > 0 {
		insights = fmt.Sprintf("%d metrics", c.insights)
	}
	var proxies []string
	for _, v := range c.proxyVcpus {
		proxies = append(proxies, fmt.Sprintf("1 × %d vCPUs", v))
	}
	var monitoring []string
	if c.alarmMetrics > 0 {
		monitoring = append(monitoring, plural(c.alarmMetrics, "alarm metric"))
	}
	if c.dashboards > 0 {
		monitoring = append(monitoring, plural(c.dashboards, "dashboard"))
	}
	return []string{
		label,
		orNone(endpoints) + ": " + dollars(c.endpoints),
		orNone(nlbs) + ": " + dollars(c.nlb),
		nat + ": " + dollars(c.nat),
		orNone(fargate) + ": " + dollars(c.fargate),
		insights + ": " + dollars(c.metrics),
		orNone(proxies) + ": " + dollars(c.proxy),
		orNone(monitoring) + ": " + dollars(c.monitoring),
		"**" + dollars(c.total()) + "**",
		roundTo(new(big.Rat).Quo(c.total(), peerTotal), 2) + "×",
	}
}

var costHeader = []string{"Stack", "Interface endpoints × AZs", "NLB", "NAT gateways + public IPv4",
	"Fargate at the minimum capacity", "Container Insights", "RDS Proxy", "Alarms and dashboard", "Fixed cost a month", "vs the peer"}

// priceRows renders the table of unit prices.
func priceRows() [][]string {
	perMonth := func(hourly string) string {
		return "$" + hourly + " an hour (" + dollars(monthly(big.NewRat(1, 1), rat(hourly))) + " a month)"
	}
	spotPercent := new(big.Rat).Mul(new(big.Rat).Sub(big.NewRat(1, 1), rat(fargateSpotFactor)), big.NewRat(100, 1))
	return [][]string{
		{"Unit (us-east-1, list prices of " + pricesMeasured + ", " + hoursPerMonth + " hours a month)", "Price"},
		{"Interface VPC endpoint, per AZ", perMonth(priceInterfaceEndpointAzHour)},
		{"Gateway VPC endpoint (S3)", "free"},
		{"Network Load Balancer", perMonth(priceNlbHour)},
		{"NAT gateway", perMonth(priceNatGatewayHour)},
		{"Public IPv4 address (EIP, internet-facing NLB per AZ, task public IP)", perMonth(pricePublicIpv4Hour)},
		{"Fargate x86, per vCPU / per GB", "$" + priceFargateX86VcpuHour + " / $" + priceFargateX86GbHour + " an hour"},
		{"Fargate ARM64, per vCPU / per GB", "$" + priceFargateArmVcpuHour + " / $" + priceFargateArmGbHour + " an hour"},
		{"Fargate Spot", "the on-demand price × " + fargateSpotFactor + " (about " + decimal(spotPercent) + "% off; an approximation)"},
		{"RDS Proxy, per vCPU of the database's instances", fmt.Sprintf("$%s an hour, at least %d vCPUs (%s a month), as quoted on %s from aws.amazon.com/rds/proxy/pricing by third parties; Aurora Serverless v2 (per ACU): not counted",
			priceRdsProxyVcpuHour, rdsProxyMinVcpus, dollars(monthly(big.NewRat(rdsProxyMinVcpus, 1), rat(priceRdsProxyVcpuHour))), rdsProxyPriceQuoted)},
		{"Container Insights", fmt.Sprintf("%d custom metrics per service (an estimate) × $%s a month", insightsMetricsPerService, priceCustomMetricMonth)},
		{"CloudWatch alarm (standard resolution), per metric it reads", "$" + priceAlarmMetricMonth + " a month (the account's first ten are free: not counted)"},
		{"CloudWatch dashboard", "$" + priceDashboardMonth + " a month (the account's first three are free: not counted)"},
	}
}

// computedCostTables are the README's two tables as the templates give them, and the
// fixed costs by row label.
func computedCostTables(t *testing.T) (costTable, prices [][]string, costs map[string]*fixedCost) {
	t.Helper()
	costs = map[string]*fixedCost{}
	rows := costRows()
	for _, r := range rows {
		c, err := modelFixedCost(r.template(t), r.excluded)
		if err != nil {
			t.Fatalf("%s: %v", r.label, err)
		}
		costs[r.label] = c
	}
	peerTotal := costs[peerLabel].total()
	costTable = [][]string{costHeader}
	for _, r := range rows {
		costTable = append(costTable, costCells(r.label, costs[r.label], peerTotal))
	}
	return costTable, priceRows(), costs
}

func TestReadmeCostTable(t *testing.T) {
	costTable, prices, _ := computedCostTables(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := markdownTables(string(readme), "## Cost")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 {
		t.Fatalf(`README.md, "## Cost": want 2 tables (costs, unit prices), found %d; the computed tables:%s%s`,
			len(tables), markdownTable(costTable), markdownTable(prices))
	}
	compareTable(t, "cost table", tables[0], costTable)
	compareTable(t, "unit prices", tables[1], prices)
}

func TestCostTargets(t *testing.T) {
	_, _, costs := computedCostTables(t)
	peerTotal := costs[peerLabel].total()
	development := costs["Development profile (`Development`)"].total()
	if half := new(big.Rat).Quo(peerTotal, big.NewRat(2, 1)); development.Cmp(half) > 0 {
		t.Errorf("development profile: %s a month, more than half the peer's %s", dollars(development), dollars(peerTotal))
	}
	def := costs["Default (`Default`)"]
	if got := new(big.Rat).Sub(def.total(), def.monitoring); rat(roundTo(got, 2)).Cmp(rat(defaultCostBefore)) > 0 {
		t.Errorf("default: %s a month without its alarms, more than before issue 10 ($%s)", dollars(got), defaultCostBefore)
	}
}

// TestCostModel checks the model on small templates: what it counts and what it refuses.
func TestCostModel(t *testing.T) {
	service := func(props string) string {
		return `"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "1024", "Memory": "2048", "RequiresCompatibilities": ["FARGATE"]}},
			"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}},
			"Service": {"Type": "AWS::ECS::Service", "Properties": {"Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "Task"}` + props + `}}`
	}
	// 1 vCPU + 2 GB x86: 0.04048 + 2 × 0.004445 = $0.04937 an hour, $36.0401 a month.
	for _, c := range []struct {
		name, resources string
		want            map[string]string // component: dollars
		cell            int               // a cell of the row to check, with want["cell"]
		wantErr         string
	}{
		{name: "mixed strategy: base first, then by weight",
			resources: service(`, "DesiredCount": 5, "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 3}]`),
			// 2 on demand + 3 on Spot × 0.3 = 2.9 task-months
			want: map[string]string{"fargate": "$104.52", "metrics": "$7.50", "cell": "5 tasks × 1 vCPU + 2 GB, x86, 3 on Spot: $104.52"}, cell: 4},
		{name: "the cluster's default strategy, the scalable target's minimum",
			resources: service(`, "DesiredCount": 1`) + `,
				"Providers": {"Type": "AWS::ECS::ClusterCapacityProviderAssociations", "Properties": {"Cluster": {"Ref": "Cluster"}, "CapacityProviders": ["FARGATE_SPOT"], "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}},
				"Target": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {"MinCapacity": 2, "MaxCapacity": 4, "ScalableDimension": "ecs:service:DesiredCount",
					"ResourceId": {"Fn::Join": ["", ["service/", {"Ref": "Cluster"}, "/", {"Fn::GetAtt": ["Service", "Name"]}]]}}}`,
			want: map[string]string{"fargate": "$21.62", "cell": "2 tasks × 1 vCPU + 2 GB, x86, Spot: $21.62"}, cell: 4},
		{name: "internet-facing NLB, EIPs and task public IPs",
			resources: service(`, "LaunchType": "FARGATE", "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED"}}`) + `,
				"Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network", "Subnets": ["subnet-1", "subnet-2", "subnet-3"]}},
				"Ip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}}`,
			// 3 NLB addresses + 1 EIP + 1 task = 5 × $3.65
			want: map[string]string{"nlb": "$16.43", "nat": "$18.25", "cell": "0 NAT + 5 IPv4: $18.25"}, cell: 3},
		{name: "an interface endpoint's AZs",
			resources: `"A": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["s1", "s2", "s3"]}},
				"B": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["s1"]}},
				"S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}}`,
			want: map[string]string{"endpoints": "$29.20", "cell": "1 × 3 AZs + 1 × 1 AZ: $29.20"}, cell: 1},
		{name: "alarms, per metric they read, and a dashboard",
			resources: `"A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "x", "Period": 60}},
				"B": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [{"Expression": "m1 + m2"}, {"MetricStat": {"Period": 60}}, {"MetricStat": {"Period": 300}}]}},
				"D": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}}`,
			want: map[string]string{"cell": "3 alarm metrics + 1 dashboard: $3.30"}, cell: 7},
		{name: "a high resolution alarm",
			resources: `"A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "x", "Period": 10}}`, wantErr: "high resolution"},
		{name: "an unknown resource type",
			resources: `"Key": {"Type": "AWS::KMS::Key", "Properties": {}}`, wantErr: "no cost model for AWS::KMS::Key"},
		{name: "enhanced Container Insights",
			resources: `"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enhanced"}]}}`,
			wantErr:   "containerInsights enhanced"},
		{name: "an API cache",
			resources: `"Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"CacheClusterEnabled": true}}`, wantErr: "cache cluster"},
		{name: "no launch type, no strategy",
			resources: service(``), wantErr: "no launch type and no capacity provider strategy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var template map[string]any
			if err := json.Unmarshal([]byte(`{"Resources": {`+c.resources+`}}`), &template); err != nil {
				t.Fatal(err)
			}
			got, err := modelFixedCost(template, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			components := map[string]*big.Rat{"endpoints": got.endpoints, "nlb": got.nlb, "nat": got.nat, "fargate": got.fargate, "metrics": got.metrics}
			for name, want := range c.want {
				if name == "cell" {
					if cell := costCells("x", got, big.NewRat(1, 1))[c.cell]; cell != want {
						t.Errorf("cell %d = %q, want %q", c.cell, cell, want)
					}
				} else if d := dollars(components[name]); d != want {
					t.Errorf("%s = %s, want %s", name, d, want)
				}
			}
		})
	}
}

// compareTable reports every cell where the README differs from the computed table, with
// the computed row to paste.
func compareTable(t *testing.T, name string, readme, computed [][]string) {
	t.Helper()
	different := false
	for i := 0; i < max(len(readme), len(computed)); i++ {
		var have, want []string
		if i < len(readme) {
			have = readme[i]
		}
		if i < len(computed) {
			want = computed[i]
		}
		var cells []string
		for j := 0; j < max(len(have), len(want)); j++ {
			h, w := cell(have, j), cell(want, j)
			if h != w {
				cells = append(cells, fmt.Sprintf("    column %q: README %q, computed %q", cell(computed[0], j), h, w))
			}
		}
		if len(cells) > 0 {
			different = true
			t.Errorf("README.md, %s, row %d differs from the templates:\n%s\n  computed row, to paste:\n%s",
				name, i, strings.Join(cells, "\n"), markdownRow(want))
		}
	}
	if different {
		t.Logf("the computed %s:%s", name, markdownTable(computed))
	}
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return "(none)"
}

// markdownTables returns the tables of the section heading of a markdown document (see
// mdtable.Tables).
func markdownTables(doc, heading string) ([][][]string, error) { return mdtable.Tables(doc, heading) }

func markdownRow(cells []string) string { return "| " + strings.Join(cells, " | ") + " |" }

func markdownTable(rows [][]string) string {
	var b strings.Builder
	b.WriteString("\n\n")
	for i, r := range rows {
		b.WriteString(markdownRow(r) + "\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat("---|", len(r)) + "\n")
		}
	}
	return b.String()
}

// Exact decimal arithmetic.

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("not a decimal: " + s)
	}
	return r
}

// ratOf reads a template number: a JSON number or a decimal string ("256").
func ratOf(v any) (*big.Rat, error) {
	switch x := v.(type) {
	case float64:
		return new(big.Rat).SetFloat64(x), nil
	case string:
		if r, ok := new(big.Rat).SetString(x); ok {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%v is not a literal number", v)
}

func sum(xs ...*big.Rat) *big.Rat {
	out := new(big.Rat)
	for _, x := range xs {
		out.Add(out, x)
	}
	return out
}

// monthly is count units at an hourly price for hoursPerMonth hours.
func monthly(count, hourly *big.Rat) *big.Rat {
	out := new(big.Rat).Mul(count, hourly)
	return out.Mul(out, rat(hoursPerMonth))
}

// dollars writes a non-negative amount rounded to cents, half up.
func dollars(r *big.Rat) string { return "$" + roundTo(r, 2) }

// roundTo rounds a non-negative number to places decimals, half up.
func roundTo(r *big.Rat, places int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(r.Num(), new(big.Int).Mul(scale, big.NewInt(2)))
	num.Add(num, r.Denom())
	num.Div(num, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	return new(big.Rat).SetFrac(num, scale).FloatString(places)
}

// decimal writes a number with no trailing zeros: 0.25, 0.5, 1.
func decimal(r *big.Rat) string {
	s := r.FloatString(6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func orNone(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}
