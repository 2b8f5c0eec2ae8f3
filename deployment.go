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
	srv.acceptBlueGreenWiring()
}

// acceptBlueGreenWiring carries the deliberate findings of CDK's blue/green wiring: the
// service depends on the listener (CDK's, for every load balanced service) and references
// it (AdvancedConfiguration's ProductionListenerRule), which cfn-lint reports as W3005, a
// redundant DependsOn (harmless: both order the service after the listener; the
// dependency is a construct dependency, which no CfnResource call removes); and the role
// CDK creates for ECS to move the listener carries AWS's managed policy for it (cdk-nag
// IAM4).
func (srv *ApiService) acceptBlueGreenWiring() {
	cfn(srv.Service).AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"ignore_checks": []any{"W3005"}}})
	if role := srv.Service.Node().TryFindChild(jsii.String("AlternateTargetRole")); role != nil {
		suppress(cfn(role), nagRule{"AwsSolutions-IAM4",
			"AmazonECSInfrastructureRolePolicyForLoadBalancers is AWS's policy for ECS blue/green deployments (it lets ECS describe and modify the listener and register targets); CDK attaches it to the role ECS assumes for the alternate target.",
			[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}})
	}
}

// checkDeployment checks DeploymentStrategy: rolling or blue/green.
func checkDeployment(p *ServiceProps, _ *PrivateRdsApiProps, _ durations, add adder) {
	switch p.DeploymentStrategy {
	case "", awsecs.DeploymentStrategy_ROLLING, awsecs.DeploymentStrategy_BLUE_GREEN:
	default:
		add(ProblemRange, "DeploymentStrategy", "must be DeploymentStrategy_ROLLING or DeploymentStrategy_BLUE_GREEN, got %q (the construct has no props for the traffic steps of LINEAR and CANARY)", string(p.DeploymentStrategy))
	}
}
