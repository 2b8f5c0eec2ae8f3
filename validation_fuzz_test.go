package privaterdsapi

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
)

// tokenValue is how CDK encodes the first numeric token (a CfnParameter's ValueAsNumber):
// upper 16 bits 0xFBFF, see isToken.
var tokenValue = math.Float64frombits(0xFBFF << 48)

// fakeImage stands in for a container image: checkValues only asks whether there is one,
// so the fuzz target needs no jsii runtime.
type fakeImage struct{ awsecs.ContainerImage }

// fakeSecret stands in for an ECS secret: the checks only ask whether there is one.
type fakeSecret struct{ awsecs.Secret }

// FuzzCheckValues drives the pure part of the props validation with arbitrary numbers and
// strings: it must never panic, every problem must name real props and carry a code, and
// exactly the inputs outside the documented ranges are refused.
func FuzzCheckValues(f *testing.F) {
	f.Add(true, 8080.0, 80.0, 256.0, 512.0, 1.0, 2.0, 80.0, 30.0, 180.0, "prod", "/healthz", "", "", 100.0, 200.0,
		10.0, 6.0, 2.0, 2.0, "200-399", "LOG_LEVEL", "API_KEY", false, "1000:1000")
	f.Add(false, 0.0, 65536.0, 300.0, 4096.0, 5.0, 4.0, 101.0, 3601.0, -1.0, "", "healthz", "V3", "COGNITO_USER_POOLS", -1.0, 0.5,
		4.0, 121.0, 1.0, 11.0, "2xx", "DB_NAME", "DB_NAME", true, "root user")
	f.Add(true, tokenValue, tokenValue, 256.0, 512.0, tokenValue, tokenValue, tokenValue, 0.0, 0.0, "v1", "/", "V1", "AWS_IAM", tokenValue, tokenValue,
		300.0, 120.0, 10.0, 10.0, "200,204,300-399", "", "SECRET", true, "")
	f.Fuzz(func(t *testing.T, image bool, containerPort, listenerPort, cpu, memory, minC, maxC, target, dereg, grace float64,
		stage, healthPath, link, auth string, rate, burst float64,
		interval, timeout, healthy, unhealthy float64, codes, envKey, secretKey string, databaseName bool, user string) {
		p := &PrivateRdsApiProps{
			ContainerPort: &containerPort, ListenerPort: &listenerPort, Cpu: &cpu, MemoryLimitMiB: &memory,
			MinCapacity: &minC, MaxCapacity: &maxC, TargetCpuUtilizationPercent: &target, StageName: &stage,
			VpcLinkVersion: VpcLinkVersion(link), AuthorizationType: awsapigateway.AuthorizationType(auth),
			ThrottlingRateLimit: &rate, ThrottlingBurstLimit: &burst, HealthCheckPath: &healthPath,
			HealthyThresholdCount: &healthy, UnhealthyThresholdCount: &unhealthy, HealthCheckHealthyHttpCodes: &codes,
			Environment: &map[string]*string{envKey: &codes},
			Secrets:     &map[string]awsecs.Secret{secretKey: fakeSecret{}},
			User:        &user,
		}
		if databaseName {
			p.DatabaseName = &stage
		}
		if image {
			p.Image = fakeImage{}
		}
		problems := checkValues(p, durations{deregistration: &dereg, grace: &grace, interval: &interval, timeout: &timeout})
		for _, pe := range problems {
			for _, name := range strings.Split(pe.Prop, " and ") {
				name, _, _ = strings.Cut(name, ".") // ContainerHealthCheck.Interval names a field of a prop
				if _, ok := reflect.TypeOf(PrivateRdsApiProps{}).FieldByName(name); !ok {
					t.Errorf("problem names %q, which is not a prop: %+v", name, pe)
				}
			}
			if pe.Message == "" || pe.Code == "" {
				t.Errorf("problem without a message or a code: %+v", pe)
			}
			for _, v := range []float64{containerPort, listenerPort, cpu, memory, minC, maxC, target, rate, burst, healthy, unhealthy} {
				if isToken(v) && strings.Contains(pe.Message, fmt.Sprint(v)) {
					t.Errorf("a token is shown as a float: %+v", pe)
				}
			}
		}
		// Tokens pass the range checks of the props that CloudFormation can take as
		// parameters, and nowhere else.
		param := func(v float64, ok bool) bool { return isToken(v) || ok }
		valid := image && param(containerPort, isInt(containerPort, 1, 65535)) && param(listenerPort, isInt(listenerPort, 1, 65535)) &&
			!isToken(cpu) && !isToken(memory) && contains(fargateMemory[cpu], memory) &&
			param(minC, isInt(minC, 0, 1000)) && param(maxC, isInt(maxC, 1, 1000)) && (isToken(minC) || isToken(maxC) || minC <= maxC) &&
			param(target, target >= 1 && target <= 100) && dereg >= 0 && dereg <= 3600 && grace >= 0 && grace <= 7200 &&
			stageNamePattern.MatchString(stage) && strings.HasPrefix(healthPath, "/") && len(healthPath) <= 1024 &&
			(link == "" || link == "V1" || link == "V2") && (auth == "" || auth == "NONE" || auth == "AWS_IAM") &&
			param(rate, rate >= 0 && rate <= 1e6) && param(burst, isInt(burst, 0, 1e6)) &&
			isInt(interval, 5, 300) && isInt(timeout, 2, 120) && timeout <= interval &&
			!isToken(healthy) && isInt(healthy, 2, 10) && !isToken(unhealthy) && isInt(unhealthy, 2, 10) && validHttpCodes(codes) &&
			envKey != "" && secretKey != "" && envKey != secretKey && !(databaseName && (envKey == "DB_NAME" || secretKey == "DB_NAME")) &&
			userPattern.MatchString(user)
		if valid != (len(problems) == 0) {
			t.Errorf("valid=%v but problems=%v", valid, problems)
		}
	})
}
