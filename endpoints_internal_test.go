package privaterdsapi

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// TestUnreadableEndpointSubnetsAreReported feeds the comparison of EndpointSubnets
// selections that cannot be read (subnets imported by ID alone have no availability zone,
// which one subnet per AZ needs): two of them must not pass as the same subnets.
func TestUnreadableEndpointSubnetsAreReported(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := awscdk.NewStack(app, jsii.String("S"), nil)
	vpc := awsec2.Vpc_FromVpcAttributes(s, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-0a1b2c3d4e5f60718"), AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"),
	})
	byId := func(id, subnet string) *awsec2.SubnetSelection {
		return &awsec2.SubnetSelection{Subnets: &[]awsec2.ISubnet{awsec2.Subnet_FromSubnetId(s, jsii.String(id), jsii.String(subnet))}}
	}
	inAz := func(az string) *awsec2.SubnetSelection {
		return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, AvailabilityZones: jsii.Strings(az)}
	}
	if ids, failure := interfaceSubnetIds(vpc, s, byId("Probe", "subnet-0aaaaaaaaaaaaaaa1")); failure == nil {
		t.Fatalf("the input must be unreadable for this test, got %s", ids)
	}
	for _, c := range []struct {
		name        string
		have, given *awsec2.SubnetSelection
		want        ProblemCode
	}{
		{"both unreadable", byId("A", "subnet-0aaaaaaaaaaaaaaa1"), byId("B", "subnet-0bbbbbbbbbbbbbbb2"), ProblemUnreadable},
		{"the endpoints' unreadable", byId("C", "subnet-0aaaaaaaaaaaaaaa1"), inAz("eu-west-1a"), ProblemUnreadable},
		{"the given unreadable", inAz("eu-west-1a"), byId("D", "subnet-0aaaaaaaaaaaaaaa1"), ProblemUnreadable},
		{"readable, different", inAz("eu-west-1a"), inAz("eu-west-1b"), ProblemConflict},
		{"readable, the same", inAz("eu-west-1a"), inAz("eu-west-1a"), ""},
	} {
		a := &ApiService{api: &PrivateRdsApi{Vpc: vpc}}
		a.compareEndpointSubnets(&PrivateEndpoints{subnets: c.have}, c.given)
		switch {
		case c.want == "" && len(a.problems) != 0:
			t.Errorf("%s: problems %v, want none", c.name, a.problems)
		case c.want != "" && (len(a.problems) != 1 || a.problems[0].Code != c.want || a.problems[0].Prop != "EndpointSubnets"):
			t.Errorf("%s: problems %v, want one %s on EndpointSubnets", c.name, a.problems, c.want)
		}
	}
}
