package privaterdsapi

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// This file is the construct's CloudWatch alarms (Alarms): the API's, the services', and
// what each service's deployments roll back on. Every metric names the construct's own
// resources: the REST API's name and stage, the load balancer's and target group's full
// names, the cluster's and service's names. No alarm has a fixed name (CloudFormation
// names them), so that two stacks never collide.
//
// Missing data, per alarm (see the README's "Operating it"):
//   - ServerErrorAlarm, LatencyAlarm: NOT_BREACHING; API Gateway publishes nothing while no
//     request arrives, and no traffic is no error;
//   - HealthyHostsAlarm, RunningTasksAlarm: BREACHING; the load balancer publishes its
//     host counts every minute while the target group is in use, and ECS its metrics while
//     a task runs: silence means nothing serves;
//   - UnhealthyHostsAlarm, CpuAlarm, MemoryAlarm: NOT_BREACHING; no data means no unhealthy
//     host, or no task (which the two alarms above report).

// Periods and evaluation of the alarms (the thresholds are props).
const (
	alarmPeriodMinutes           = 1 // 5XX, host counts, running tasks
	slowAlarmPeriodMinutes       = 5 // latency, CPU, memory: sustained
	unhealthyHostsAlarmMinutes   = 5
	healthyHostsAlarmMinutes     = 2
	runningTasksAlarmMinutes     = 5
	serverErrorEvaluationPeriods = 5
	serverErrorDatapoints        = 3
	sustainedEvaluationPeriods   = 3
)

// alarm is what differs between the construct's alarms.
type alarm struct {
	id, description string
	metric          awscloudwatch.IMetric
	threshold       float64
	comparison      awscloudwatch.ComparisonOperator
	periods, points float64 // evaluation periods and datapoints to alarm (0: all)
	missing         awscloudwatch.TreatMissingData
}

// newAlarm creates an alarm under scope with AlarmActions as its alarm and OK actions.
func newAlarm(scope constructs.Construct, p *settings, a alarm) awscloudwatch.Alarm {
	points := a.points
	if points == 0 {
		points = a.periods
	}
	created := awscloudwatch.NewAlarm(scope, jsii.String(a.id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(a.description),
		Metric:             a.metric,
		Threshold:          jsii.Number(a.threshold),
		ComparisonOperator: a.comparison,
		EvaluationPeriods:  jsii.Number(a.periods),
		DatapointsToAlarm:  jsii.Number(points),
		TreatMissingData:   a.missing,
	})
	if len(p.ops.actions) > 0 {
		created.AddAlarmAction(p.ops.actions...)
		created.AddOkAction(p.ops.actions...)
	}
	return created
}

// metric is a metric of namespace with dimensions, over period minutes (the API keeps
// each period's Duration, a jsii object, once made).
func (a *PrivateRdsApi) metric(namespace, name, statistic string, dimensions map[string]*string, minutes float64) awscloudwatch.Metric {
	period, ok := a.periods[minutes]
	if !ok {
		if a.periods == nil {
			a.periods = map[float64]awscdk.Duration{}
		}
		period = awscdk.Duration_Minutes(jsii.Number(minutes))
		a.periods[minutes] = period
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(namespace),
		MetricName:    jsii.String(name),
		Statistic:     jsii.String(statistic),
		DimensionsMap: &dimensions,
		Period:        period,
	})
}

// apiMetric is a metric of the API's stage (AWS/ApiGateway, ApiName and Stage).
func (a *PrivateRdsApi) apiMetric(name, statistic string, minutes float64) awscloudwatch.Metric {
	if a.apiDimensions == nil {
		a.apiDimensions = map[string]*string{
			"ApiName": a.RestApi.RestApiName(),
			"Stage":   a.RestApi.DeploymentStage().StageName(),
		}
	}
	return a.metric("AWS/ApiGateway", name, statistic, a.apiDimensions, minutes)
}

// targetMetric is a metric of the service's target group (AWS/NetworkELB, LoadBalancer
// and TargetGroup). A blue/green service's is the sum over its two target groups, one of
// which serves at a time.
func (srv *ApiService) targetMetric(name, statistic, label string) awscloudwatch.IMetric {
	if srv.api.loadBalancerFullName == nil {
		srv.api.loadBalancerFullName = srv.api.LoadBalancer.LoadBalancerFullName()
	}
	of := func(tg elbv2.NetworkTargetGroup) awscloudwatch.Metric {
		return srv.api.metric("AWS/NetworkELB", name, statistic, map[string]*string{
			"LoadBalancer": srv.api.loadBalancerFullName,
			"TargetGroup":  tg.TargetGroupFullName(),
		}, alarmPeriodMinutes)
	}
	if srv.AlternateTargetGroup == nil {
		return of(srv.TargetGroup)
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		// Ids of metrics must differ within a graph: name them after the metric.
		Expression:   jsii.String(fmt.Sprintf("FILL(%[1]sBlue, 0) + FILL(%[1]sGreen, 0)", strings.ToLower(name))),
		UsingMetrics: &map[string]awscloudwatch.IMetric{strings.ToLower(name) + "Blue": of(srv.TargetGroup), strings.ToLower(name) + "Green": of(srv.AlternateTargetGroup)},
		Label:        jsii.String(label),
		Period:       awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes)),
	})
}

// serviceMetric is a metric of the service (ClusterName and ServiceName).
func (srv *ApiService) serviceMetric(namespace, name, statistic string, minutes float64) awscloudwatch.Metric {
	if srv.dimensions == nil {
		srv.dimensions = map[string]*string{
			"ClusterName": srv.api.Cluster.ClusterName(),
			"ServiceName": srv.Service.ServiceName(),
		}
	}
	return srv.api.metric(namespace, name, statistic, srv.dimensions, minutes)
}

// buildOperations creates the API's alarms and the dashboard, and makes the first
// service's deployments roll back on its alarms.
func (a *PrivateRdsApi) buildOperations(p *settings) {
	if p.ops.alarms {
		a.ServerErrorAlarm = newAlarm(a.Construct, p, alarm{
			id: "ServerErrorAlarm",
			description: fmt.Sprintf("privaterdsapi: more than %v%% of the API's requests answered 5XX in 3 of 5 minutes. "+
				"Look first at the stage's access log (status 502/503/504: the load balancer or the tasks; 500: the app) and the services' logs. "+
				"Services deploying now roll back.", p.ops.errorRate),
			// 5XXError is 1 for a request answered 5XX and 0 otherwise: its Average is the rate.
			metric:     a.apiMetric("5XXError", "Average", alarmPeriodMinutes),
			threshold:  p.ops.errorRate / 100,
			comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			periods:    serverErrorEvaluationPeriods, points: serverErrorDatapoints,
			missing: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.LatencyAlarm = newAlarm(a.Construct, p, alarm{
			id: "LatencyAlarm",
			description: fmt.Sprintf("privaterdsapi: the API's p99 latency above %v ms for 15 minutes. "+
				"Look first at IntegrationLatency (the backend's share), the services' CPU and the database.", p.ops.latency),
			metric:     a.apiMetric("Latency", "p99", slowAlarmPeriodMinutes),
			threshold:  p.ops.latency,
			comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			periods:    sustainedEvaluationPeriods,
			missing:    awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	if p.ops.dashboard {
		a.buildDashboard() // dashboard.go
	}
	for _, s := range a.Services {
		a.watchService(s)
	}
}

// watchService makes the service's deployments roll back on the API's ServerErrorAlarm
// and its UnhealthyHostsAlarm, and adds its graphs to the dashboard.
func (a *PrivateRdsApi) watchService(s *ApiService) {
	if a.ServerErrorAlarm != nil {
		s.Service.EnableDeploymentAlarms(&[]*string{a.ServerErrorAlarm.AlarmName(), s.UnhealthyHostsAlarm.AlarmName()},
			&awsecs.DeploymentAlarmOptions{Behavior: awsecs.AlarmBehavior_ROLLBACK_ON_ALARM})
	}
	if a.Dashboard != nil {
		a.addServiceGraphs(s) // dashboard.go
	}
}

// buildAlarms creates the service's alarms.
func (srv *ApiService) buildAlarms(p *settings) {
	if !p.ops.alarms {
		return
	}
	name := srv.PathPrefix
	srv.UnhealthyHostsAlarm = newAlarm(srv.Construct, p, alarm{
		id: "UnhealthyHostsAlarm",
		description: fmt.Sprintf("privaterdsapi: the service %s has had an unhealthy target for %d minutes. "+
			"Look first at the service's events (stopped tasks and their reason) and the container's log; a deployment now rolls back.", name, unhealthyHostsAlarmMinutes),
		metric:     srv.targetMetric("UnHealthyHostCount", "Maximum", "Unhealthy hosts"),
		threshold:  1,
		comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		periods:    unhealthyHostsAlarmMinutes,
		missing:    awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if !isToken(p.minCapacity) && p.minCapacity == 0 {
		// A service that may scale to no task: no task is no fault.
	} else {
		srv.HealthyHostsAlarm = newAlarm(srv.Construct, p, alarm{
			id: "HealthyHostsAlarm",
			description: fmt.Sprintf("privaterdsapi: the service %s has had no healthy target for %d minutes: its requests fail. "+
				"Look first at the service's events and running tasks, then at the container's log and the target group's health check.", name, healthyHostsAlarmMinutes),
			metric:     srv.targetMetric("HealthyHostCount", "Minimum", "Healthy hosts"),
			threshold:  1,
			comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			periods:    healthyHostsAlarmMinutes,
			missing:    awscloudwatch.TreatMissingData_BREACHING,
		})
		running := alarm{
			id: "RunningTasksAlarm",
			description: fmt.Sprintf("privaterdsapi: the service %s has run fewer tasks than its MinCapacity for %d minutes. "+
				"Look first at the service's events: tasks that stop at start (image pull, secrets, endpoints) or fail their health check.", name, runningTasksAlarmMinutes),
			// Container Insights' count of the service's running tasks.
			metric:     srv.serviceMetric("ECS/ContainerInsights", "RunningTaskCount", "Minimum", alarmPeriodMinutes),
			threshold:  p.minCapacity,
			comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			periods:    runningTasksAlarmMinutes,
			missing:    awscloudwatch.TreatMissingData_BREACHING,
		}
		if !p.insights {
			// Without Container Insights ECS publishes no task count; it publishes the
			// service's CPUUtilization while a task runs, and nothing otherwise: this alarm
			// then tells "no running task", not "fewer than MinCapacity".
			running.description = fmt.Sprintf("privaterdsapi: the service %s has run no task for %d minutes (without Container Insights, ECS publishes no task count). "+
				"Look first at the service's events: tasks that stop at start (image pull, secrets, endpoints) or fail their health check.", name, runningTasksAlarmMinutes)
			running.metric = srv.serviceMetric("AWS/ECS", "CPUUtilization", "SampleCount", alarmPeriodMinutes)
			running.threshold = 1
		}
		srv.RunningTasksAlarm = newAlarm(srv.Construct, p, running)
	}
	for _, u := range []struct {
		id, metric, what string
		threshold        float64
		field            *awscloudwatch.Alarm
	}{
		{"CpuAlarm", "CPUUtilization", "CPU", p.ops.cpu, &srv.CpuAlarm},
		{"MemoryAlarm", "MemoryUtilization", "memory", p.ops.memory, &srv.MemoryAlarm},
	} {
		*u.field = newAlarm(srv.Construct, p, alarm{
			id: u.id,
			description: fmt.Sprintf("privaterdsapi: the service %s has used more than %v%% of its tasks' %s on average for 15 minutes. "+
				"Look first at the request count and the scaling activity (MaxCapacity reached?), then at the task size (Cpu, MemoryLimitMiB).", name, u.threshold, u.what),
			metric:     srv.serviceMetric("AWS/ECS", u.metric, "Average", slowAlarmPeriodMinutes),
			threshold:  u.threshold,
			comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			periods:    sustainedEvaluationPeriods,
			missing:    awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
}

// checkOperations checks the alarms' thresholds: concrete numbers in their ranges, and
// AlarmActions only with Alarms.
func checkOperations(p *PrivateRdsApiProps, _ durations, add adder) {
	for _, t := range []struct {
		prop     string
		v        *float64
		min, max float64
		unit     string
	}{
		{"ServerErrorRateAlarmPercent", p.ServerErrorRateAlarmPercent, 0, 100, "percent"},
		{"LatencyAlarmMilliseconds", p.LatencyAlarmMilliseconds, 1, 29000, "milliseconds"},
		{"CpuAlarmPercent", p.CpuAlarmPercent, 1, 100, "percent"},
		{"MemoryAlarmPercent", p.MemoryAlarmPercent, 1, 100, "percent"},
	} {
		switch {
		case t.v == nil:
		case isToken(*t.v):
			add(ProblemToken, t.prop, "must be a concrete number, not a token (such as a CfnParameter): it is written into the alarm's description")
		case !(*t.v >= t.min && *t.v <= t.max):
			add(ProblemRange, t.prop, "must be from %v to %v %s, got %v", t.min, t.max, t.unit, *t.v)
		}
	}
	if p.Alarms != nil && !*p.Alarms && p.AlarmActions != nil && len(*p.AlarmActions) > 0 {
		add(ProblemRequires, "AlarmActions", "applies only with Alarms (which is false here)")
	}
}
