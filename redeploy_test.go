package privaterdsapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// TestDesiredCountOnlyWithoutScalingRange: with a scaling range, a deploy must not reset
// the running count (CloudFormation applies DesiredCount on every update of the service),
// and the scalable target still holds MinCapacity; with MinCapacity equal to MaxCapacity,
// DesiredCount is that count.
func TestDesiredCountOnlyWithoutScalingRange(t *testing.T) {
	for name, minMax := range map[string][2]float64{"Default": {1, 2}, "EveryProp": {2, 6}} {
		s := scenario(t, name)
		if v, ok := s.only(t, "AWS::ECS::Service", "Api").props["DesiredCount"]; ok {
			t.Errorf("%s: DesiredCount %v with a scaling range: every deploy would reset the running count", name, v)
		}
		s.has(t, "AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{
			"MinCapacity": minMax[0], "MaxCapacity": minMax[1], "ScalableDimension": "ecs:service:DesiredCount"})
	}
	fixed := fixedCountStack(t)
	fixed.has(t, "AWS::ECS::Service", map[string]any{"DesiredCount": 3})
	fixed.has(t, "AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 3, "MaxCapacity": 3})
}

var fixedCount *synthesized

// fixedCountStack is an API with a fixed task count, another container port and stage,
// and an Environment that repeats PORT and API_STAGE with the construct's values.
func fixedCountStack(t *testing.T) *synthesized {
	if fixedCount == nil {
		app := awscdk.NewApp(nil)
		s := envStack(app, "Fixed")
		privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
			Image: scenarios.Image(s), MinCapacity: jsii.Number(3), MaxCapacity: jsii.Number(3),
			ContainerPort: jsii.Number(9000), StageName: jsii.String("v2"),
			Environment: &map[string]*string{"PORT": jsii.String("9000"), "API_STAGE": jsii.String("v2"), "LOG_LEVEL": jsii.String("debug")},
		})
		fixedCount = synthesize(t, "Fixed", &scenarios.Built{Stack: s})
	}
	return fixedCount
}

// TestInjectedVariables: the container always gets PORT (the container port) and
// API_STAGE (the stage name), once each, also when Environment repeats them.
func TestInjectedVariables(t *testing.T) {
	for _, c := range []struct {
		s           *synthesized
		port, stage string
	}{
		{scenario(t, "Default"), "8080", "prod"},
		{scenario(t, "EveryProp"), "3000", "v1"},
		{fixedCountStack(t), "9000", "v2"},
	} {
		_, def := containerDefinition(t, c.s)
		seen := map[string]int{}
		for _, e := range asList(def["Environment"]) {
			seen[e["Name"].(string)]++
		}
		if seen["PORT"] != 1 || seen["API_STAGE"] != 1 {
			t.Errorf("%s: environment names %v, want PORT and API_STAGE once each", c.s.name, seen)
		}
		env, _ := container(t, c.s)
		if env["PORT"] != c.port || env["API_STAGE"] != c.stage {
			t.Errorf("%s: PORT=%v API_STAGE=%v, want %s and %s", c.s.name, env["PORT"], env["API_STAGE"], c.port, c.stage)
		}
	}
	if env, _ := container(t, fixedCountStack(t)); env["LOG_LEVEL"] != "debug" {
		t.Errorf("Fixed: the user's own variable is lost: %v", env)
	}
}

// TestNoRetainedResourceWithAName: after `cdk destroy`, what the stack retained must not
// make the next `cdk deploy` of the same stack fail with "already exists": no retained
// resource has a name of its own.
func TestNoRetainedResourceWithAName(t *testing.T) {
	for _, s := range append(allScenarios(t), fixedCountStack(t)) {
		for id, r := range s.json["Resources"].(map[string]any) {
			raw := r.(map[string]any)
			if raw["DeletionPolicy"] != "Retain" && raw["UpdateReplacePolicy"] != "Retain" {
				continue
			}
			props, _ := raw["Properties"].(map[string]any)
			for k, v := range props {
				if strings.HasSuffix(k, "Name") {
					t.Errorf("%s: %s %s is retained and named: %s=%v", s.name, raw["Type"], id, k, v)
				}
			}
		}
	}
}
