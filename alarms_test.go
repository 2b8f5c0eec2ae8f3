package privaterdsapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// wantAlarm is what a test expects of one alarm: its metric (namespace, name, statistic,
// period) and dimensions (name -> what the value points at, see ref), and its
// evaluation.
type wantAlarm struct {
	construct, namespace, metric, statistic string
	period                                  float64
	dimensions                              map[string]string
	threshold                               float64
	comparison                              string
	periods, datapoints                     float64
	missing                                 string
}

// checkAlarm asserts the alarm of the construct id w.construct under prefix.
func checkAlarm(t *testing.T, s *synthesized, prefix string, w wantAlarm) map[string]any {
	t.Helper()
	id := idOf(t, s, "AWS::CloudWatch::Alarm", prefix, w.construct)
	var props map[string]any
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		if r.id == id {
			props = r.props
		}
	}
	statistic := props["Statistic"]
	if statistic == nil {
		statistic = props["ExtendedStatistic"] // percentiles
	}
	got := fmt.Sprint(props["Namespace"], " ", props["MetricName"], " ", statistic, " ", props["Period"])
	if want := fmt.Sprint(w.namespace, " ", w.metric, " ", w.statistic, " ", w.period); got != want {
		t.Errorf("%s %s: metric %s, want %s", s.name, id, got, want)
	}
	dims := map[string]string{}
	for _, d := range asList(props["Dimensions"]) {
		dims[d["Name"].(string)] = ref(d["Value"])
	}
	if fmt.Sprint(dims) != fmt.Sprint(w.dimensions) {
		t.Errorf("%s %s: dimensions %v, want %v", s.name, id, dims, w.dimensions)
	}
	got = fmt.Sprint(props["Threshold"], " ", props["ComparisonOperator"], " ", props["EvaluationPeriods"], " ", props["DatapointsToAlarm"], " ", props["TreatMissingData"])
	if want := fmt.Sprint(w.threshold, " ", w.comparison, " ", w.periods, " ", w.datapoints, " ", w.missing); got != want {
		t.Errorf("%s %s: evaluation %s, want %s", s.name, id, got, want)
	}
	return props
}

// serviceAlarms are the alarms of the service whose construct ids start with prefix, for
// its target group tg, the load balancer lb, the cluster and its ECS service svc.
func serviceAlarms(lb, tg, cluster, svc string, minCapacity float64) []wantAlarm {
	target := map[string]string{"LoadBalancer": lb + ".LoadBalancerFullName", "TargetGroup": tg + ".TargetGroupFullName"}
	service := map[string]string{"ClusterName": cluster, "ServiceName": svc + ".Name"}
	return []wantAlarm{
		{"HealthyHostsAlarm", "AWS/NetworkELB", "HealthyHostCount", "Minimum", 60, target, 1, "LessThanThreshold", 2, 2, "breaching"},
		{"UnhealthyHostsAlarm", "AWS/NetworkELB", "UnHealthyHostCount", "Maximum", 60, target, 1, "GreaterThanOrEqualToThreshold", 5, 5, "notBreaching"},
		{"RunningTasksAlarm", "ECS/ContainerInsights", "RunningTaskCount", "Minimum", 60, service, minCapacity, "LessThanThreshold", 5, 5, "breaching"},
		{"CpuAlarm", "AWS/ECS", "CPUUtilization", "Average", 300, service, 90, "GreaterThanThreshold", 3, 3, "notBreaching"},
		{"MemoryAlarm", "AWS/ECS", "MemoryUtilization", "Average", 300, service, 90, "GreaterThanThreshold", 3, 3, "notBreaching"},
	}
}

// TestAlarms: the default stack has the API's two alarms and the service's five, each on
// the construct's own resources (the REST API's name and stage, the load balancer's and
// target group's full names, the cluster and the service), with no action; the service
// rolls a deployment back on the 5XX and unhealthy-host alarms, besides its circuit
// breaker.
func TestAlarms(t *testing.T) {
	s := scenario(t, "Default")
	s.count(t, "AWS::CloudWatch::Alarm", 7)
	s.count(t, "AWS::CloudWatch::Dashboard", 0)
	restApi := s.only(t, "AWS::ApiGateway::RestApi", "ApiRestApi")
	stage := s.only(t, "AWS::ApiGateway::Stage", "ApiRestApi").id
	api := map[string]string{"ApiName": restApi.props["Name"].(string), "Stage": stage}
	checkAlarm(t, s, "Api", wantAlarm{"ServerErrorAlarm", "AWS/ApiGateway", "5XXError", "Average", 60, api, 0.05, "GreaterThanThreshold", 5, 3, "notBreaching"})
	checkAlarm(t, s, "Api", wantAlarm{"LatencyAlarm", "AWS/ApiGateway", "Latency", "p99", 300, api, 3000, "GreaterThanThreshold", 3, 3, "notBreaching"})
	lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "ApiLoadBalancer").id
	tg := s.only(t, "AWS::ElasticLoadBalancingV2::TargetGroup", "ApiTargetGroup").id
	cluster := s.only(t, "AWS::ECS::Cluster", "ApiCluster").id
	svc := s.only(t, "AWS::ECS::Service", "ApiService")
	for _, w := range serviceAlarms(lb, tg, cluster, svc.id, 1) {
		if props := checkAlarm(t, s, "Api", w); props["AlarmActions"] != nil || props["OKActions"] != nil {
			t.Errorf("%s: actions without AlarmActions: %v %v", w.construct, props["AlarmActions"], props["OKActions"])
		}
	}
	checkDeploymentAlarms(t, s, svc, "ApiServerErrorAlarm", idOf(t, s, "AWS::CloudWatch::Alarm", "Api", "UnhealthyHostsAlarm"))
}

// checkDeploymentAlarms asserts that svc rolls back on the alarms, and keeps its circuit
// breaker.
func checkDeploymentAlarms(t *testing.T, s *synthesized, svc resource, serverError, unhealthy string) {
	t.Helper()
	config := svc.props["DeploymentConfiguration"].(map[string]any)
	alarms := config["Alarms"].(map[string]any)
	var names []string
	for _, n := range alarms["AlarmNames"].([]any) {
		names = append(names, ref(n))
	}
	if len(names) != 2 || !strings.HasPrefix(names[0], serverError) || names[1] != unhealthy || alarms["Enable"] != true || alarms["Rollback"] != true {
		t.Errorf("%s %s: deployment alarms %v, want enabled with rollback on %s* and %s", s.name, svc.id, alarms, serverError, unhealthy)
	}
	if b := config["DeploymentCircuitBreaker"].(map[string]any); b["Enable"] != true || b["Rollback"] != true {
		t.Errorf("%s %s: circuit breaker %v", s.name, svc.id, b)
	}
}

// TestAlarmsPerService: every added service has its own alarms, on its own target group
// and ECS service, and rolls back on its own unhealthy-host alarm.
func TestAlarmsPerService(t *testing.T) {
	s := scenario(t, "ThreeServices")
	s.count(t, "AWS::CloudWatch::Alarm", 2+3*5)
	lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "ApiLoadBalancer").id
	cluster := s.only(t, "AWS::ECS::Cluster", "ApiCluster").id
	for _, prefix := range []string{"Api", "ApiOrders", "ApiCatalog"} {
		tg := idOf(t, s, "AWS::ElasticLoadBalancingV2::TargetGroup", prefix, "TargetGroup")
		svc := idOf(t, s, "AWS::ECS::Service", prefix, "Service")
		for _, w := range serviceAlarms(lb, tg, cluster, svc, 1) {
			checkAlarm(t, s, prefix, w)
		}
		for _, r := range s.resources("AWS::ECS::Service") {
			if r.id == svc {
				checkDeploymentAlarms(t, s, r, "ApiServerErrorAlarm", idOf(t, s, "AWS::CloudWatch::Alarm", prefix, "UnhealthyHostsAlarm"))
			}
		}
	}
}

// TestRunningTasksWithoutContainerInsights: without Container Insights, ECS publishes the
// service's CPUUtilization only while a task runs; the alarm counts its samples.
func TestRunningTasksWithoutContainerInsights(t *testing.T) {
	s := scenario(t, "Development")
	cluster := s.only(t, "AWS::ECS::Cluster", "ApiCluster").id
	svc := s.only(t, "AWS::ECS::Service", "ApiService").id
	checkAlarm(t, s, "Api", wantAlarm{"RunningTasksAlarm", "AWS/ECS", "CPUUtilization", "SampleCount", 60,
		map[string]string{"ClusterName": cluster, "ServiceName": svc + ".Name"}, 1, "LessThanThreshold", 5, 5, "breaching"})
}

// TestBlueGreen: a blue/green service has two target groups, its listener forwards to the
// first, ECS gets the second and the listener (AdvancedConfiguration) and deploys
// BLUE_GREEN; its host alarms sum both target groups; every alarm pages AlarmActions on
// ALARM and OK; the dashboard exists once, unnamed, with the database's graphs.
func TestBlueGreen(t *testing.T) {
	s := scenario(t, "BlueGreen")
	s.count(t, "AWS::ElasticLoadBalancingV2::TargetGroup", 4)
	lb := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "ApiLoadBalancer").id
	for _, c := range []struct{ prefix, listener string }{{"Api", "ApiLoadBalancerListener"}, {"ApiOrders", "ApiOrdersListener"}} {
		blue := idOf(t, s, "AWS::ElasticLoadBalancingV2::TargetGroup", c.prefix, "TargetGroup")
		green := idOf(t, s, "AWS::ElasticLoadBalancingV2::TargetGroup", c.prefix, "AlternateTargetGroup")
		listener := s.only(t, "AWS::ElasticLoadBalancingV2::Listener", c.listener)
		if actions := asList(listener.props["DefaultActions"]); len(actions) != 1 || ref(actions[0]["TargetGroupArn"]) != blue {
			t.Errorf("%s: listener forwards to %v, want %s", listener.id, actions, blue)
		}
		svcId := idOf(t, s, "AWS::ECS::Service", c.prefix, "Service")
		for _, svc := range s.resources("AWS::ECS::Service") {
			if svc.id != svcId {
				continue
			}
			if got := svc.props["DeploymentConfiguration"].(map[string]any)["Strategy"]; got != "BLUE_GREEN" {
				t.Errorf("%s: strategy %v", svc.id, got)
			}
			lbs := asList(svc.props["LoadBalancers"])
			advanced, _ := lbs[0]["AdvancedConfiguration"].(map[string]any)
			if len(lbs) != 1 || ref(lbs[0]["TargetGroupArn"]) != blue || ref(advanced["AlternateTargetGroupArn"]) != green ||
				ref(advanced["ProductionListenerRule"]) != listener.id || advanced["RoleArn"] == nil {
				t.Errorf("%s: load balancers %v, want %s with alternate %s on %s", svc.id, lbs, blue, green, listener.id)
			}
			checkDeploymentAlarms(t, s, svc, "ApiServerErrorAlarm", idOf(t, s, "AWS::CloudWatch::Alarm", c.prefix, "UnhealthyHostsAlarm"))
		}
		// The host alarms sum the two target groups: one serves at a time.
		healthy := idOf(t, s, "AWS::CloudWatch::Alarm", c.prefix, "HealthyHostsAlarm")
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			if a.id != healthy {
				continue
			}
			var groups []string
			for _, m := range asList(a.props["Metrics"]) {
				if stat, ok := m["MetricStat"].(map[string]any); ok {
					metric := stat["Metric"].(map[string]any)
					dims := map[string]string{}
					for _, d := range asList(metric["Dimensions"]) {
						dims[d["Name"].(string)] = ref(d["Value"])
					}
					if metric["MetricName"] != "HealthyHostCount" || dims["LoadBalancer"] != lb+".LoadBalancerFullName" || stat["Stat"] != "Minimum" {
						t.Errorf("%s: metric %v", a.id, metric)
					}
					groups = append(groups, dims["TargetGroup"])
				} else if !strings.Contains(fmt.Sprint(m["Expression"]), "FILL") {
					t.Errorf("%s: expression %v", a.id, m["Expression"])
				}
			}
			sortStrings(groups)
			if want := sorted(blue+".TargetGroupFullName", green+".TargetGroupFullName"); fmt.Sprint(groups) != fmt.Sprint(want) {
				t.Errorf("%s: target groups %v, want %v", a.id, groups, want)
			}
			if a.props["ComparisonOperator"] != "LessThanThreshold" || a.props["Threshold"] != 1.0 || a.props["TreatMissingData"] != "breaching" {
				t.Errorf("%s: %v", a.id, a.props)
			}
		}
	}
	topic := "arn:aws:sns:" + scenarios.Region + ":" + scenarios.Account + ":pager"
	for _, a := range s.resources("AWS::CloudWatch::Alarm") {
		if fmt.Sprint(a.props["AlarmActions"]) != "["+topic+"]" || fmt.Sprint(a.props["OKActions"]) != "["+topic+"]" || a.props["InsufficientDataActions"] != nil {
			t.Errorf("%s: actions %v / %v / %v, want the topic on ALARM and OK only", a.id, a.props["AlarmActions"], a.props["OKActions"], a.props["InsufficientDataActions"])
		}
	}
	dashboard := s.only(t, "AWS::CloudWatch::Dashboard", "ApiDashboard")
	body, _ := json.Marshal(dashboard.props["DashboardBody"])
	database := s.only(t, "AWS::RDS::DBInstance", "Database").id
	for _, want := range []string{`\"AWS/ApiGateway\",\"5XXError\"`, `\"AWS/NetworkELB\",\"ActiveFlowCount\"`, `\"ECS/ContainerInsights\",\"RunningTaskCount\"`,
		`\"AWS/RDS\",\"CPUUtilization\",\"DBInstanceIdentifier\"`, `{"Ref":"` + database + `"}`, "/orders: running tasks"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("dashboard lacks %s: %s", want, body)
		}
	}
}

// TestOperationsProps: Alarms false creates no alarm and no deployment alarm; the
// thresholds reach the alarms; a MinCapacity of 0 has no healthy-host or running-task
// alarm, and a token MinCapacity is the running-task alarm's threshold.
func TestOperationsProps(t *testing.T) {
	build := func(name string, f func(stack awscdk.Stack, p *privaterdsapi.PrivateRdsApiProps)) *synthesized {
		stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String(name), nil)
		p := &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(stack)}
		f(stack, p)
		privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), p)
		return synthesize(t, name, &scenarios.Built{Stack: stack})
	}
	off := build("Off", func(_ awscdk.Stack, p *privaterdsapi.PrivateRdsApiProps) { p.Alarms = jsii.Bool(false) })
	off.count(t, "AWS::CloudWatch::Alarm", 0)
	if a := off.only(t, "AWS::ECS::Service", "ApiService").props["DeploymentConfiguration"].(map[string]any)["Alarms"].(map[string]any); a["Enable"] != false {
		t.Errorf("Alarms false: deployment alarms %v", a)
	}
	tuned := build("Tuned", func(_ awscdk.Stack, p *privaterdsapi.PrivateRdsApiProps) {
		p.ServerErrorRateAlarmPercent, p.LatencyAlarmMilliseconds = jsii.Number(2), jsii.Number(800)
		p.CpuAlarmPercent, p.MemoryAlarmPercent = jsii.Number(70), jsii.Number(75)
		p.MinCapacity, p.MaxCapacity = jsii.Number(0), jsii.Number(3)
	})
	tuned.count(t, "AWS::CloudWatch::Alarm", 5)
	for construct, want := range map[string]float64{"ServerErrorAlarm": 0.02, "LatencyAlarm": 800, "CpuAlarm": 70, "MemoryAlarm": 75, "UnhealthyHostsAlarm": 1} {
		id := idOf(t, tuned, "AWS::CloudWatch::Alarm", "Api", construct)
		for _, a := range tuned.resources("AWS::CloudWatch::Alarm") {
			if a.id == id && a.props["Threshold"] != want {
				t.Errorf("%s: threshold %v, want %v", id, a.props["Threshold"], want)
			}
		}
	}
	tokened := build("TokenMin", func(stack awscdk.Stack, p *privaterdsapi.PrivateRdsApiProps) {
		p.MinCapacity = awscdk.NewCfnParameter(stack, jsii.String("MinTasks"), &awscdk.CfnParameterProps{Type: jsii.String("Number")}).ValueAsNumber()
	})
	id := idOf(t, tokened, "AWS::CloudWatch::Alarm", "Api", "RunningTasksAlarm")
	for _, a := range tokened.resources("AWS::CloudWatch::Alarm") {
		if a.id == id && ref(a.props["Threshold"]) != "MinTasks" {
			t.Errorf("%s: threshold %v, want the MinTasks parameter", id, a.props["Threshold"])
		}
	}
}

// TestRestApiNamesAreUnique: API Gateway names its metrics by the REST API's name and
// stage, so every REST API gets its own name, the stack's and the construct's path in it,
// and each API's alarms name their own API: no two APIs of the scenarios (each stack a
// stack of one account and region) share a name, two APIs of one stack included.
func TestRestApiNamesAreUnique(t *testing.T) {
	if got := scenario(t, "Default").only(t, "AWS::ApiGateway::RestApi", "ApiRestApi").props["Name"]; got != "Default-Api" {
		t.Errorf("Default: REST API name %v, want Default-Api", got)
	}
	seen := map[string]string{}
	for _, s := range allScenarios(t) {
		names := map[string]string{} // REST API logical id -> name
		for _, r := range s.resources("AWS::ApiGateway::RestApi") {
			name, _ := r.props["Name"].(string)
			if other, ok := seen[name]; ok || name == "" {
				t.Errorf("%s: REST API %s is named %q, as %s", s.name, r.id, name, other)
			}
			seen[name] = s.name + "/" + r.id
			names[r.id] = name
		}
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			if a.props["Namespace"] != "AWS/ApiGateway" {
				continue
			}
			for _, d := range asList(a.props["Dimensions"]) {
				api, _, _ := strings.Cut(keyOf(names, d["Value"]), "RestApi") // the construct's id: "Api" of ApiRestApiE35FEAFE
				if d["Name"] == "ApiName" && (api == "" || !strings.HasPrefix(a.id, api+"ServerErrorAlarm") && !strings.HasPrefix(a.id, api+"LatencyAlarm")) {
					t.Errorf("%s: alarm %s watches the API named %v, which is not its own", s.name, a.id, d["Value"])
				}
			}
		}
	}
}

// keyOf returns the key of m whose value is v, or "".
func keyOf(m map[string]string, v any) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return ""
}
