package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// IsolatedVpcProps configures NewIsolatedVpc.
type IsolatedVpcProps struct {
	// MaxAzs is the number of availability zones. An environment-agnostic stack gets at
	// most 2.
	//
	// Default: 2.
	MaxAzs *float64
	// LogRetention is how long the flow log is kept.
	//
	// Default: awslogs.RetentionDays_ONE_MONTH.
	LogRetention awslogs.RetentionDays
	// LogEncryptionKey encrypts the flow log's log group, as PrivateRdsApiProps'
	// LogEncryptionKey does (the log group then has a name; the key's policy names it).
	//
	// Default: none; CloudWatch Logs encrypts the log group with its own key.
	LogEncryptionKey awskms.IKey
}

// IsolatedVpc is a VPC with no internet path: the one PrivateRdsApi creates when it is
// given no Vpc. Create it yourself to put the database in it before the API.
type IsolatedVpc struct {
	constructs.Construct
	// Vpc has one PRIVATE_ISOLATED /24 subnet per availability zone and nothing else: no
	// public subnet, no internet gateway, no NAT gateway.
	Vpc awsec2.Vpc
	// FlowLog records all traffic of the VPC into FlowLogGroup.
	FlowLog awsec2.FlowLog
	// FlowLogGroup receives the flow log.
	FlowLogGroup awslogs.LogGroup
}

// isolatedVpcId is the construct id of the Vpc under an IsolatedVpc.
const isolatedVpcId = "Vpc"

// NewIsolatedVpc creates a VPC with only isolated subnets, DNS support and host names on,
// and a flow log.
func NewIsolatedVpc(scope constructs.Construct, id *string, props *IsolatedVpcProps) *IsolatedVpc {
	if props == nil {
		props = &IsolatedVpcProps{}
	}
	retention := props.LogRetention
	if retention == "" {
		retention = defaultLogRetention // defaults.go
	}
	v := &IsolatedVpc{Construct: constructs.NewConstruct(scope, id)}
	v.Vpc = awsec2.NewVpc(v.Construct, jsii.String(isolatedVpcId), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(orDefault(props.MaxAzs, DefaultMaxAzs)),
		NatGateways: jsii.Number(0),
		// Only isolated subnets: no public subnet, so no internet gateway either.
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("Isolated"),
			SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
			CidrMask:   jsii.Number(24),
		}},
		EnableDnsSupport:   jsii.Bool(true),
		EnableDnsHostnames: jsii.Bool(true),
		// Restricting the default security group takes a Lambda-backed custom resource;
		// nothing here uses the default group, so it is left as EC2 makes it, whatever the
		// feature flag says, and the template is the same in every app.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	v.FlowLogGroup = newLogGroup(v.Construct, "FlowLogGroup", retention, props.LogEncryptionKey) // logs.go
	v.FlowLog = v.Vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(v.FlowLogGroup, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	return v
}

// closedSecurityGroup creates a security group with no rules at all: no ingress, and no
// egress (CDK's AllowAllOutbound is off), so that every rule is written on purpose.
func closedSecurityGroup(scope constructs.Construct, id string, vpc awsec2.IVpc, description string) awsec2.SecurityGroup {
	return awsec2.NewSecurityGroup(scope, jsii.String(id), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String(description),
		AllowAllOutbound: jsii.Bool(false),
	})
}

// networkId is the construct id of the IsolatedVpc the construct creates, and
// isolatedVpcPath the path of its Vpc under the construct.
const (
	networkId       = "Network"
	isolatedVpcPath = networkId + "/" + isolatedVpcId
)

// buildNetwork sets Vpc and Subnets: the given VPC, or a new IsolatedVpc.
func (a *PrivateRdsApi) buildNetwork(p *settings) {
	a.Subnets = p.subnets
	if p.vpc != nil {
		a.Vpc = p.vpc
		return
	}
	v := NewIsolatedVpc(a.Construct, jsii.String(networkId), &IsolatedVpcProps{
		MaxAzs:           jsii.Number(p.maxAzs),
		LogRetention:     p.logRetention,
		LogEncryptionKey: p.logKey,
	})
	a.Vpc, a.FlowLog, a.FlowLogGroup = v.Vpc, v.FlowLog, v.FlowLogGroup
}
