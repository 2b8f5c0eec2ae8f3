package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// This file is the construct's CloudWatch dashboard (Dashboard): a row of the API's
// graphs, then a row per service (its target group, tasks, CPU and memory, and its
// database when Database is an RDS instance or cluster). The dashboard has no fixed name:
// CloudFormation names it, so two stacks never collide.

// graphWidth is the width of a graph: four to a row (a dashboard row is 24 units).
const graphWidth = 6

func graph(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title),
		Left:  &metrics,
		Width: jsii.Number(graphWidth),
	})
}

// buildDashboard creates the dashboard with the API's graphs (the services' come with
// watchService).
func (a *PrivateRdsApi) buildDashboard() {
	a.Dashboard = awscloudwatch.NewDashboard(a.Construct, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{})
	a.Dashboard.AddWidgets(
		graph("API requests", a.apiMetric("Count", "Sum", alarmPeriodMinutes)),
		graph("API 4XX and 5XX rates", a.apiMetric("4XXError", "Average", alarmPeriodMinutes), a.apiMetric("5XXError", "Average", alarmPeriodMinutes)),
		graph("API latency p99 (ms)", a.apiMetric("Latency", "p99", alarmPeriodMinutes), a.apiMetric("IntegrationLatency", "p99", alarmPeriodMinutes)),
		graph("Load balancer flows", a.metric("AWS/NetworkELB", "ActiveFlowCount", "Average", map[string]*string{
			"LoadBalancer": a.LoadBalancer.LoadBalancerFullName(),
		}, alarmPeriodMinutes)),
	)
}

// databaseMetrics are the metrics an RDS instance or cluster has.
type databaseMetrics interface {
	MetricCPUUtilization(props *awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricDatabaseConnections(props *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// addServiceGraphs adds a row of the service's graphs to the dashboard.
func (a *PrivateRdsApi) addServiceGraphs(s *ApiService) {
	p := s.settings
	tasks := s.serviceMetric("AWS/ECS", "CPUUtilization", "SampleCount", alarmPeriodMinutes)
	if p.insights {
		tasks = s.serviceMetric("ECS/ContainerInsights", "RunningTaskCount", "Minimum", alarmPeriodMinutes)
	}
	widgets := []awscloudwatch.IWidget{
		graph(s.PathPrefix+": healthy and unhealthy targets",
			s.targetMetric("HealthyHostCount", "Minimum", "Healthy hosts"), s.targetMetric("UnHealthyHostCount", "Maximum", "Unhealthy hosts")),
		graph(s.PathPrefix+": running tasks", tasks),
		graph(s.PathPrefix+": CPU and memory (%)",
			s.serviceMetric("AWS/ECS", "CPUUtilization", "Average", alarmPeriodMinutes), s.serviceMetric("AWS/ECS", "MemoryUtilization", "Average", alarmPeriodMinutes)),
	}
	if db, ok := p.database.(databaseMetrics); ok {
		widgets = append(widgets, graph(s.PathPrefix+": database CPU (%) and connections",
			db.MetricCPUUtilization(nil), db.MetricDatabaseConnections(nil)))
	}
	a.Dashboard.AddWidgets(widgets...)
}
