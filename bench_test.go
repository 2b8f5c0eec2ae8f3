package privaterdsapi_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// The benchmarks time construction plus synthesis, in a new app each time, of this
// construct and of its peer, aws-cdk's NetworkLoadBalancedFargateService with a private
// load balancer, in the same process with the same settings: CDK's built-in template
// validation off for both (it times CloudFormation's schema check, not the construct), or
// on for both with BENCH_VALIDATION=1 (the default of awscdk.NewApp and cdk synth). They
// report ns/resource, the cost per resource of the template, to compare the two:
//
//	go test -run '^$' -bench 'Synth' -benchmem -count 6 .

func benchApp() awscdk.App {
	return awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(os.Getenv("BENCH_VALIDATION") != "")})
}

// ours builds n PrivateRdsApi with default props (each with its own VPC) in a new stack.
func benchOurs(n int) (awscdk.App, awscdk.Stack) {
	app := benchApp()
	s := awscdk.NewStack(app, jsii.String("Ours"), nil)
	for i := 0; i < n; i++ {
		privaterdsapi.NewPrivateRdsApi(s, jsii.String(fmt.Sprintf("Api%d", i)), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s)})
	}
	return app, s
}

// peer builds n NetworkLoadBalancedFargateService with a private load balancer, the same
// image, port and task size (each with its own cluster and VPC) in a new stack.
func benchPeer(n int) (awscdk.App, awscdk.Stack) {
	app := benchApp()
	s := awscdk.NewStack(app, jsii.String("Peer"), nil)
	for i := 0; i < n; i++ {
		addPeer(s, fmt.Sprintf("Service%d", i), privaterdsapi.DefaultCpu, privaterdsapi.DefaultMemoryLimitMiB)
	}
	return app, s
}

// addPeer adds the peer to s: aws-cdk's NetworkLoadBalancedFargateService with its default
// props but an internal load balancer, the scenarios' image on the construct's default
// container port, and the task size given.
func addPeer(s awscdk.Stack, id string, cpu, memory float64) {
	awsecspatterns.NewNetworkLoadBalancedFargateService(s, jsii.String(id), &awsecspatterns.NetworkLoadBalancedFargateServiceProps{
		TaskImageOptions:   &awsecspatterns.NetworkLoadBalancedTaskImageOptions{Image: scenarios.Image(s), ContainerPort: jsii.Number(privaterdsapi.DefaultContainerPort)},
		PublicLoadBalancer: jsii.Bool(false),
		Cpu:                jsii.Number(cpu),
		MemoryLimitMiB:     jsii.Number(memory),
	})
}

// templateResources synthesizes once, outside the timing, and counts the resources of the
// template.
func templateResources(b *testing.B, build func(int) (awscdk.App, awscdk.Stack), n int) int {
	_, s := build(n)
	tpl := *assertions.Template_FromStack(s, nil).ToJSON()
	resources, _ := tpl["Resources"].(map[string]any)
	if len(resources) == 0 {
		b.Fatal("no resources")
	}
	return len(resources)
}

func benchSynth(b *testing.B, build func(int) (awscdk.App, awscdk.Stack), n int) {
	resources := templateResources(b, build, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		app, _ := build(n)
		app.Synth(nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(resources), "resources")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*resources), "ns/resource")
}

// BenchmarkSynth is one PrivateRdsApi with default props.
func BenchmarkSynth(b *testing.B) { benchSynth(b, benchOurs, 1) }

// BenchmarkPeerSynth is one NetworkLoadBalancedFargateService with a private load balancer.
func BenchmarkPeerSynth(b *testing.B) { benchSynth(b, benchPeer, 1) }

// BenchmarkSynthInstances and BenchmarkPeerSynthInstances put 1, 2, 4 and 8 instances in
// one stack: the slope is the cost of one more instance.
func BenchmarkSynthInstances(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchSynth(b, benchOurs, n) })
	}
}

func BenchmarkPeerSynthInstances(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchSynth(b, benchPeer, n) })
	}
}
