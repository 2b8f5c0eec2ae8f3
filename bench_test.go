package privaterdsapi_test

import (
	"fmt"
	"os"
	"testing"
	"time"

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
// report ns/resource, the cost per resource of the template, to compare the two, and the
// time of the two phases (construct-ns/op, synth-ns/op):
//
//	go test -run '^$' -bench '^Benchmark(Peer)?Synth(Instances)?$' -benchmem -count 6 .
//
// In a warm process each call into aws-cdk-lib is a round trip of at least 0.12-0.15 ms
// to the Node.js process, which the peer, built inside one JS constructor, hardly pays:
// TestJsiiRequests keeps the construct's count of calls. BenchmarkColdSynth times what
// `cdk synth` waits for: a new process, one app, one synthesis (about 1.7 s an iteration):
//
//	go test -run '^$' -bench ColdSynth -benchtime 10x -count 3 .

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
// image, port and task size in a new stack. Without a cluster or VPC in its props, each
// uses the stack's default cluster and its VPC, which the first creates: the first
// instance has 34 resources, each further one 10 (ns/resource accounts for it).
func benchPeer(n int) (awscdk.App, awscdk.Stack) {
	app := benchApp()
	s := awscdk.NewStack(app, jsii.String("Peer"), nil)
	for i := 0; i < n; i++ {
		addPeer(s, fmt.Sprintf("Service%d", i))
	}
	return app, s
}

// addPeer adds the peer to s: aws-cdk's NetworkLoadBalancedFargateService with its default
// props but an internal load balancer, the scenarios' image on the construct's default
// container port, and the construct's default task size.
func addPeer(s awscdk.Stack, id string) {
	awsecspatterns.NewNetworkLoadBalancedFargateService(s, jsii.String(id), &awsecspatterns.NetworkLoadBalancedFargateServiceProps{
		TaskImageOptions:   &awsecspatterns.NetworkLoadBalancedTaskImageOptions{Image: scenarios.Image(s), ContainerPort: jsii.Number(privaterdsapi.DefaultContainerPort)},
		PublicLoadBalancer: jsii.Bool(false),
		Cpu:                jsii.Number(privaterdsapi.DefaultCpu),
		MemoryLimitMiB:     jsii.Number(privaterdsapi.DefaultMemoryLimitMiB),
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
	var construction time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		app, _ := build(n)
		construction += time.Since(start)
		app.Synth(nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(resources), "resources")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*resources), "ns/resource")
	// The two phases: construction (the Go side, its jsii round trips and the JS
	// constructors) and synthesis (JS only, apart from the construct's validation).
	b.ReportMetric(float64(construction.Nanoseconds())/float64(b.N), "construct-ns/op")
	b.ReportMetric(float64((b.Elapsed()-construction).Nanoseconds())/float64(b.N), "synth-ns/op")
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

// BenchmarkColdSynth times what users wait for in `cdk synth`: a new process that starts
// the jsii runtime, builds the app with one instance and synthesizes it once. Each
// iteration runs, one after the other, the app without the construct ("base"), with
// PrivateRdsApi and with the peer; the metrics are each one's time less base's, per
// resource of its template. The benchmarks above are the same work in a warm process,
// where the jsii round trips weigh most.
func BenchmarkColdSynth(b *testing.B) {
	ours := templateResources(b, benchOurs, 1)
	peer := templateResources(b, benchPeer, 1)
	var base, withOurs, withPeer time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, d := runAppProcess(b, "base")
		base += d
		_, d = runAppProcess(b, "api")
		withOurs += d
		_, d = runAppProcess(b, "peer")
		withPeer += d
	}
	b.StopTimer()
	perResource := func(d time.Duration, resources int) float64 {
		return float64((d - base).Nanoseconds()) / float64(b.N*resources)
	}
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "base-ns/process")
	b.ReportMetric(perResource(withOurs, ours), "ns/resource")
	b.ReportMetric(perResource(withPeer, peer), "peer-ns/resource")
	b.ReportMetric(perResource(withOurs, ours)/perResource(withPeer, peer), "x-peer")
}
