package privaterdsapi_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// appProcessEnv, when set, makes the test binary one app process instead of running
// tests: what `cdk synth` makes a Go app do once. Its value is the app: "base" (a stack
// with the scenarios' image only), "api" (and one PrivateRdsApi with default props) or
// "peer" (and the peer of the benchmarks instead).
const appProcessEnv = "PRIVATERDSAPI_APP_PROCESS"

func TestMain(m *testing.M) {
	if mode := os.Getenv(appProcessEnv); mode != "" {
		appProcess(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// appProcess starts the jsii runtime, builds the app of mode, synthesizes it and stops
// the runtime. CDK's built-in validation follows BENCH_VALIDATION, as in the benchmarks.
func appProcess(mode string) {
	app := benchApp()
	s := awscdk.NewStack(app, jsii.String("Process"), nil)
	image := scenarios.Image(s)
	switch mode {
	case "api":
		privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: image})
	case "peer":
		addPeer(s, "Service")
	default:
		if n, ok := servicesMode(mode); ok { // services_bench_test.go
			addServices(s, image, n)
		}
	}
	app.Synth(nil)
	jsii.Close()
}

// runAppProcess runs the app process of mode with the environment added, and returns
// its standard error and how long it took.
func runAppProcess(tb testing.TB, mode string, env ...string) (string, time.Duration) {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), appProcessEnv+"="+mode), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		tb.Fatalf("app process %s: %v\n%s\n%s", mode, err, out, tail(stderr.String(), 4000))
	}
	return stderr.String(), elapsed
}

// Every call from Go into aws-cdk-lib is a round trip to the Node.js process, about
// 0.12-0.15 ms each before any work is done (issue #11): the number of calls is the part
// of the construct's speed that this package decides, and, unlike a time, it is exact.
// TestJsiiRequests counts them with JSII_DEBUG=1, with which the jsii kernel logs every
// request it receives ("> {...}") to standard error: the app process with the construct
// (default props, construction and synthesis), less the same app without it.
//
// The budget is the count today. A change that adds calls fails here with the list of
// calls; a change that removes some fails too, so that the budget follows it down.
// 127 since the account role is found in the stack's tree (2 calls) and synthesis reads
// the app's tree for endpoints made after the construct (12 calls: the stack's children,
// each user subtree and the VPC the construct made with one findAll each; #15, #19).
// 163: 135 since the VPC link V2's subnets are in the deployment's hash (3 calls: the
// link's CfnVpcLink and its SubnetIds), so that a link replaced for new subnets redeploys
// the API (#19); 27 more with the default alarms (#18): seven metrics and alarms (14
// creates), their two periods and six dimension values read once each, and the
// service's deployment alarms (two alarm names and one call); 1 more for the stack's
// name in the REST API's name (#18: API Gateway's metrics are named by it).
const jsiiRequestBudget = 163

func TestJsiiRequests(t *testing.T) {
	base, _ := jsiiRequests(t, "base")
	with, calls := jsiiRequests(t, "api")
	got := with - base
	t.Logf("NewPrivateRdsApi with default props, construction and synthesis: %d jsii requests", got)
	if got != jsiiRequestBudget {
		t.Errorf("NewPrivateRdsApi with default props makes %d jsii requests, the budget is %d: "+
			"if the change is meant, set jsiiRequestBudget to %d and say why in the commit. The requests of the app with the construct:\n%s",
			got, jsiiRequestBudget, got, strings.Join(calls, "\n"))
	}
}

// jsiiRequests runs the app process of mode and returns how many requests the kernel
// received, and their first 160 characters.
func jsiiRequests(t testing.TB, mode string) (int, []string) {
	t.Helper()
	stderr, _ := runAppProcess(t, mode, "JSII_DEBUG=1")
	var calls []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, `> {"api":`) || strings.HasPrefix(line, `> {"complete":`) {
			if len(line) > 160 {
				line = line[:160]
			}
			calls = append(calls, line)
		}
	}
	if len(calls) == 0 {
		t.Fatalf("app process %s: the jsii kernel logged no request with JSII_DEBUG=1 (has its log format changed?):\n%s", mode, tail(stderr, 4000))
	}
	return len(calls), calls
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
