package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// buildLoadBalancer creates the internal Network Load Balancer with its own security
// group (whatever the feature flags say), shared by the services (see buildTarget).
func (a *PrivateRdsApi) buildLoadBalancer(p *settings) {
	a.LoadBalancerSecurityGroup = closedSecurityGroup(a.Construct, "LoadBalancerSecurityGroup", a.Vpc, "privaterdsapi Network Load Balancer: from the VPC link, to the tasks")
	a.LoadBalancer = elbv2.NewNetworkLoadBalancer(a.Construct, jsii.String("LoadBalancer"), &elbv2.NetworkLoadBalancerProps{
		Vpc: a.Vpc,
		// Elastic Load Balancing takes one subnet per availability zone: of a selection with
		// more (two isolated subnet groups), the first in each zone.
		VpcSubnets:       onePerAz(a.Subnets),
		InternetFacing:   jsii.Bool(false),
		CrossZoneEnabled: jsii.Bool(true),
		// Blocks cdk destroy and replacements while on; see PrivateRdsApiProps.
		DeletionProtection: jsii.Bool(p.deletionProtection),
		SecurityGroups:     &[]awsec2.ISecurityGroup{a.LoadBalancerSecurityGroup},
		// A VPC link V1 reaches the load balancer through PrivateLink, whose source
		// addresses no security group rule can name, so inbound rules are not enforced on
		// PrivateLink traffic there; the load balancer is internal and takes no other
		// inbound rule. A VPC link V2 has its own security group, allowed in explicitly.
		EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: jsii.Bool(p.linkVersion != VpcLinkV1),
	})
	if p.accessLogsBucket != nil {
		a.LoadBalancer.LogAccessLogs(p.accessLogsBucket, p.accessLogsPrefix)
	}
}

// buildTarget creates the service's IP target group and its TCP listener on the shared
// load balancer. The first service's listener is the load balancer's child "Listener",
// where it has always been; an added service's is its own child "Listener".
func (srv *ApiService) buildTarget(p *settings) {
	lb := srv.api.LoadBalancer
	srv.TargetGroup = srv.newTargetGroup("TargetGroup", p)
	var scope constructs.Construct = srv.Construct
	if srv.first() {
		scope = lb // what lb.AddListener does
	}
	srv.Listener = elbv2.NewNetworkListener(scope, jsii.String("Listener"), &elbv2.NetworkListenerProps{
		LoadBalancer:        lb,
		Port:                jsii.Number(p.listenerPort),
		Protocol:            elbv2.Protocol_TCP,
		DefaultTargetGroups: &[]elbv2.INetworkTargetGroup{srv.TargetGroup},
	})
}

// newTargetGroup creates an IP target group of the service's tasks with the id id.
func (srv *ApiService) newTargetGroup(id string, p *settings) elbv2.NetworkTargetGroup {
	return elbv2.NewNetworkTargetGroup(srv.Construct, jsii.String(id), &elbv2.NetworkTargetGroupProps{
		Vpc:                 srv.api.Vpc,
		Port:                jsii.Number(p.containerPort),
		Protocol:            elbv2.Protocol_TCP,
		TargetType:          elbv2.TargetType_IP,
		DeregistrationDelay: p.deregistration,
		HealthCheck:         p.healthCheck,
	})
}

// onePerAz is selection with at most one subnet per availability zone.
func onePerAz(selection *awsec2.SubnetSelection) *awsec2.SubnetSelection {
	s := *selection
	s.OnePerAz = jsii.Bool(true)
	return &s
}
