package privaterdsapi

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
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
	f.Add(true, 8080.0, 80.0, 256.0, 512.0, 1.0, 2.0, 80.0, 30.0, 180.0, "prod", "/healthz", "", "", 100.0, 200.0,
		10.0, 6.0, 2.0, 2.0, "200", "PORT", "API_STAGE", false, "1000:1000")
	f.Add(true, 200.0, 80.0, 256.0, 512.0, 1.0, 2.0, 80.0, 30.0, 180.0, "prod", "/healthz", "", "", 100.0, 200.0,
		10.0, 6.0, 2.0, 2.0, "200", "PORT", "KEY", false, "1000:1000")
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
			!isToken(cpu) && !isToken(memory) && fargateAccepts(cpu, memory) &&
			param(minC, isInt(minC, 0, 1000)) && param(maxC, isInt(maxC, 1, 1000)) && (isToken(minC) || isToken(maxC) || minC <= maxC) &&
			param(target, target >= 1 && target <= 100) && dereg >= 0 && dereg <= 3600 && grace >= 0 && grace <= 7200 &&
			isStageName(stage) && strings.HasPrefix(healthPath, "/") && len(healthPath) <= 1024 &&
			(link == "" || link == "V1" || link == "V2") && (auth == "" || auth == "NONE" || auth == "AWS_IAM") &&
			param(rate, rate >= 0 && rate <= 1e6) && param(burst, isInt(burst, 0, 1e6)) &&
			isInt(interval, 5, 300) && isInt(timeout, 2, 120) && timeout <= interval &&
			!isToken(healthy) && isInt(healthy, 2, 10) && !isToken(unhealthy) && isInt(unhealthy, 2, 10) && isHttpMatcher(codes) &&
			envKey != "" && secretKey != "" && envKey != secretKey && !(databaseName && (envKey == "DB_NAME" || secretKey == "DB_NAME")) &&
			isContainerUser(user) &&
			// PORT and API_STAGE are the construct's: in Environment only with its values.
			!(envKey == "PORT" && (isToken(containerPort) || codes != strconv.FormatFloat(containerPort, 'f', -1, 64))) &&
			!(envKey == "API_STAGE" && codes != stage) && secretKey != "PORT" && secretKey != "API_STAGE"
		if valid != (len(problems) == 0) {
			t.Errorf("valid=%v but problems=%v", valid, problems)
		}
	})
}

// The fuzz target's oracle is written apart from the code under test, from the sources
// the code cites, so that a wrong table or pattern in validation.go is caught rather than
// copied: it uses none of fargateMemory, stageNamePattern, httpCodes or userPattern.

// fargateAccepts is the table of task sizes in the Amazon ECS developer guide ("Task CPU
// and memory", Fargate): for each CPU value, the memory from a minimum to a maximum in
// fixed increments (MiB).
func fargateAccepts(cpu, mem float64) bool {
	in := func(lo, hi, step float64) bool {
		return mem >= lo && mem <= hi && math.Mod(mem-lo, step) == 0
	}
	switch cpu {
	case 256:
		return mem == 512 || mem == 1024 || mem == 2048
	case 512:
		return in(1024, 4096, 1024)
	case 1024:
		return in(2048, 8192, 1024)
	case 2048:
		return in(4096, 16384, 1024)
	case 4096:
		return in(8192, 30720, 1024)
	case 8192:
		return in(16384, 61440, 4096)
	case 16384:
		return in(32768, 122880, 8192)
	}
	return false
}

// isStageName: API Gateway's stage names are 1 to 128 letters, digits, hyphens and
// underscores (CreateStage).
func isStageName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// isHttpMatcher: a Network Load Balancer target group's HTTP matcher is codes from 200 to
// 599, single or as low-high ranges, separated by commas (ELB's Matcher.HttpCode).
func isHttpMatcher(s string) bool {
	code := func(c string) (int, bool) {
		if len(c) != 3 {
			return 0, false
		}
		n := 0
		for _, r := range c {
			if r < '0' || r > '9' {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		return n, n >= 200 && n <= 599
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		l, ok1 := code(lo)
		h, ok2 := l, true
		if isRange {
			h, ok2 = code(hi)
		}
		if !ok1 || !ok2 || l > h {
			return false
		}
	}
	return true
}

// isContainerUser: a user name or numeric ID, optionally ":" and a group name or ID, each
// starting with a letter, digit or underscore and going on with those, "." or "-", at
// most 255 characters (the construct's documented form of User).
func isContainerUser(s string) bool {
	name := func(n string) bool {
		if len(n) == 0 || len(n) > 255 {
			return false
		}
		for i, r := range n {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
			if i > 0 {
				ok = ok || r == '.' || r == '-'
			}
			if !ok {
				return false
			}
		}
		return true
	}
	user, group, hasGroup := strings.Cut(s, ":")
	return name(user) && (!hasGroup || name(group))
}

// TestFargateSizesAgreeWithTheGuide compares checkTaskSize's verdict on every CPU value and
// every memory size in steps of 512 MiB (and values between) with the oracle's table from
// the ECS developer guide: the fuzzer seldom draws a Fargate size, this grid always does.
func TestFargateSizesAgreeWithTheGuide(t *testing.T) {
	for _, cpu := range []float64{128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768} {
		for mem := 0.0; mem <= 131072; mem += 256 {
			var problems []PropError
			checkTaskSize(&ServiceProps{Cpu: &cpu, MemoryLimitMiB: &mem}, nil, durations{}, func(code ProblemCode, prop, format string, args ...any) {
				problems = append(problems, PropError{code, prop, fmt.Sprintf(format, args...)})
			})
			if want := fargateAccepts(cpu, mem); want != (len(problems) == 0) {
				t.Errorf("cpu %v, memory %v MiB: Fargate accepts it: %v; checkTaskSize says %v", cpu, mem, want, problems)
			}
		}
	}
}
