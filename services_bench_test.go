package privaterdsapi_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// benchServices builds one PrivateRdsApi with default props and n services in all (the
// first and n-1 added with AddService) in a new stack.
func benchServices(n int) (awscdk.App, awscdk.Stack) {
	app := benchApp()
	s := awscdk.NewStack(app, jsii.String("Services"), nil)
	addServices(s, scenarios.Image(s), n)
	return app, s
}

func addServices(s awscdk.Stack, image awsecs.ContainerImage, n int) {
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: image})
	for i := 1; i < n; i++ {
		api.AddService(jsii.String(fmt.Sprintf("S%d", i)), &privaterdsapi.ServiceProps{
			PathPrefix: jsii.String(fmt.Sprintf("/s%d", i)), Image: image})
	}
}

// servicesMode is the app process mode "services:<n>" (see appProcess).
func servicesMode(mode string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(mode, "services:"))
	return n, strings.HasPrefix(mode, "services:") && err == nil
}

// BenchmarkSynthServices is one API with 1, 3 and 10 services in a warm process: the
// slope is the cost of one more service.
//
//	go test -run '^$' -bench '^BenchmarkSynthServices$' -benchtime 5x .
func BenchmarkSynthServices(b *testing.B) {
	for _, n := range []int{1, 3, 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchSynth(b, benchServices, n) })
	}
}

// BenchmarkJsiiRequestsPerService counts the jsii requests (see TestJsiiRequests) of an
// app process with one API of 1, 3 and 10 services, and reports those of each added
// service; the time is that of the processes.
//
//	go test -run '^$' -bench '^BenchmarkJsiiRequestsPerService$' -benchtime 1x .
func BenchmarkJsiiRequestsPerService(b *testing.B) {
	counts := map[int]int{}
	for i := 0; i < b.N; i++ {
		for _, n := range []int{1, 3, 10} {
			counts[n], _ = jsiiRequests(b, fmt.Sprintf("services:%d", n))
		}
	}
	b.ReportMetric(float64(counts[1]), "requests-1")
	b.ReportMetric(float64(counts[3]), "requests-3")
	b.ReportMetric(float64(counts[10]), "requests-10")
	b.ReportMetric(float64(counts[10]-counts[1])/9, "requests/added-service")
}
