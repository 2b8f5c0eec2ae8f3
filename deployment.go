package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
)

// This file is how a service's deployments are made safe: the load balancer target of a
// rolling or blue/green service (DeploymentStrategy), and the deployment alarms that roll
// a deployment back (enableDeploymentAlarms).

// blueGreen says whether the service deploys blue/green.
func (p *settings) blueGreen() bool { return p.strategy == awsecs.DeploymentStrategy_BLUE_GREEN }

// attachTarget registers the service's container with its target group. A blue/green
// service also gets its alternate target group (AlternateTargetGroup) and the listener
// ECS moves between the two (ECS's native blue/green, with the IAM role CDK creates for
// ECS to call Elastic Load Balancing).
func (srv *ApiService) attachTarget(p *settings) {
	if !p.blueGreen() {
		srv.TargetGroup.AddTarget(srv.Service)
		return
	}
	srv.AlternateTargetGroup = srv.newTargetGroup("AlternateTargetGroup", p) // nlb.go
	target := srv.Service.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
		ContainerName: jsii.String(containerName),
		ContainerPort: jsii.Number(p.containerPort),
		Protocol:      awsecs.Protocol_TCP,
		AlternateTarget: awsecs.NewAlternateTarget(jsii.String("AlternateTarget"), &awsecs.AlternateTargetProps{
			AlternateTargetGroup: srv.AlternateTargetGroup,
			ProductionListener:   awsecs.ListenerRuleConfiguration_NetworkListener(srv.Listener),
		}),
	})
	srv.TargetGroup.AddTarget(target)
	srv.dropRedundantListenerDependency()
}

// dropRedundantListenerDependency removes the listener from the service's DependsOn: CDK's
// blue/green wiring both references the listener (AdvancedConfiguration's
// ProductionListenerRule) and makes the service depend on it, which cfn-lint reports as
// W3005 (a DependsOn that the reference already implies). The reference keeps the order.
func (srv *ApiService) dropRedundantListenerDependency() {
	service := srv.Service.Node().DefaultChild().(awsecs.CfnService)
	service.RemoveDependency(cfn(srv.Listener))
}

// checkDeployment checks DeploymentStrategy: rolling or blue/green.
func checkDeployment(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	switch p.DeploymentStrategy {
	case "", awsecs.DeploymentStrategy_ROLLING, awsecs.DeploymentStrategy_BLUE_GREEN:
	default:
		add(ProblemRange, "DeploymentStrategy", "must be DeploymentStrategy_ROLLING or DeploymentStrategy_BLUE_GREEN, got %q (the construct has no props for the traffic steps of LINEAR and CANARY)", string(p.DeploymentStrategy))
	}
}
