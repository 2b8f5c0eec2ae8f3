package privaterdsapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
)

// fakeImage stands in for a container image: checkValues only asks whether there is one,
// so the fuzz target needs no jsii runtime.
type fakeImage struct{ awsecs.ContainerImage }

// FuzzCheckValues drives the pure part of the props validation with arbitrary numbers and
// strings: it must never panic, and every problem must name real props.
func FuzzCheckValues(f *testing.F) {
	f.Add(true, 8080.0, 80.0, 256.0, 512.0, 1.0, 2.0, 80.0, 30.0, 180.0, "prod", "/healthz", "", "", 100.0, 200.0)
	f.Add(false, 0.0, 65536.0, 300.0, 4096.0, 5.0, 4.0, 101.0, 3601.0, -1.0, "", "healthz", "V3", "COGNITO_USER_POOLS", -1.0, 0.5)
	f.Fuzz(func(t *testing.T, image bool, containerPort, listenerPort, cpu, memory, minC, maxC, target, dereg, grace float64,
		stage, healthPath, link, auth string, rate, burst float64) {
		p := &PrivateRdsApiProps{
			ContainerPort: &containerPort, ListenerPort: &listenerPort, Cpu: &cpu, MemoryLimitMiB: &memory,
			MinCapacity: &minC, MaxCapacity: &maxC, TargetCpuUtilizationPercent: &target, StageName: &stage,
			VpcLinkVersion: VpcLinkVersion(link), AuthorizationType: awsapigateway.AuthorizationType(auth),
			ThrottlingRateLimit: &rate, ThrottlingBurstLimit: &burst, HealthCheckPath: &healthPath,
		}
		if image {
			p.Image = fakeImage{}
		}
		problems := checkValues(p, durations{deregistration: &dereg, grace: &grace})
		for _, pe := range problems {
			for _, name := range strings.Split(pe.Prop, " and ") {
				if _, ok := reflect.TypeOf(PrivateRdsApiProps{}).FieldByName(name); !ok {
					t.Errorf("problem names %q, which is not a prop: %+v", name, pe)
				}
			}
			if pe.Message == "" {
				t.Errorf("problem without a message: %+v", pe)
			}
		}
		valid := image && isInt(containerPort, 1, 65535) && isInt(listenerPort, 1, 65535) &&
			contains(fargateMemory[cpu], memory) && isInt(minC, 0, 1000) && isInt(maxC, 1, 1000) && minC <= maxC &&
			target >= 1 && target <= 100 && dereg >= 0 && dereg <= 3600 && grace >= 0 && grace <= 7200 &&
			stageNamePattern.MatchString(stage) && strings.HasPrefix(healthPath, "/") && len(healthPath) <= 1024 &&
			(link == "" || link == "V1" || link == "V2") && (auth == "" || auth == "NONE" || auth == "AWS_IAM") &&
			rate >= 0 && rate <= 1e6 && isInt(burst, 0, 1e6)
		if valid != (len(problems) == 0) {
			t.Errorf("valid=%v but problems=%v", valid, problems)
		}
	})
}
