package privaterdsapi_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// mistake is one way to build an app: either synthesis fails with the problems of the
// API at path, or it succeeds and check asserts on the template of the stack.
type mistake struct {
	name  string
	build func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi)
	// fails: the path of the API whose problems these are; empty when synthesis succeeds.
	path  string
	want  []problem
	check func(t *testing.T, tpl *synthesized)
}

func api(s awscdk.Stack, id string, props *privaterdsapi.PrivateRdsApiProps) *privaterdsapi.PrivateRdsApi {
	return privaterdsapi.NewPrivateRdsApi(s, jsii.String(id), props)
}

// oneApi builds a stack named name (with newStack) that holds one API, Api, with the
// props that props gives for the stack.
func oneApi(newStack func(awscdk.App, string) awscdk.Stack, name string, props func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps) func(awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
	return func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
		s := newStack(app, name)
		return s, []*privaterdsapi.PrivateRdsApi{api(s, "Api", props(s))}
	}
}

// fromRegistry is the props of an API whose image is uri, pulled from its registry.
func fromRegistry(uri string) func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
	return func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
		return &privaterdsapi.PrivateRdsApiProps{Image: registryImage(uri)}
	}
}

func registryImage(uri string) awsecs.ContainerImage {
	return awsecs.ContainerImage_FromRegistry(jsii.String(uri), nil)
}

// assetImage is an image asset of a directory with a Dockerfile (nothing is built).
func assetImage(t *testing.T) awsecs.ContainerImage {
	return assetImageFor(t, nil)
}

// assetImageFor is an image asset built for platform (nil: the deploying machine's).
func assetImageFor(t *testing.T, platform awsecrassets.Platform) awsecs.ContainerImage {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return awsecs.ContainerImage_FromAsset(jsii.String(dir), &awsecs.AssetImageProps{Platform: platform})
}

func envStack(app awscdk.App, name string) awscdk.Stack {
	return scenarios.NewStack(app, name, scenarios.Env())
}

func agnosticStack(app awscdk.App, name string) awscdk.Stack {
	return awscdk.NewStack(app, jsii.String(name), nil)
}

// lookupContext is what `cdk synth` caches for the scenarios' looked-up VPC.
func lookupContext() map[string]any { return scenarios.LookupContext() }

func inAz(az string) *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, AvailabilityZones: jsii.Strings(az)}
}

func lookup(s awscdk.Stack, id string) awsec2.IVpc {
	return awsec2.Vpc_FromLookup(s, jsii.String(id), &awsec2.VpcLookupOptions{VpcId: jsii.String("vpc-0a1b2c3d4e5f60718")})
}

// TestSynthesisMistakes is the table of mistakes that only synthesis can see, and of
// legitimate inputs that must synthesize: each asserts the exact outcome.
func TestSynthesisMistakes(t *testing.T) {
	param := func(s awscdk.Stack, name string) *float64 {
		return awscdk.NewCfnParameter(s, jsii.String(name), &awscdk.CfnParameterProps{Type: jsii.String("Number")}).ValueAsNumber()
	}
	cases := []mistake{
		{name: "public registry image", path: "Hub/Api", want: []problem{{privaterdsapi.ProblemImageNotEcr, "Image"}},
			build: oneApi(agnosticStack, "Hub", fromRegistry("nginx"))},
		{name: "ghcr.io image", path: "Ghcr/Api", want: []problem{{privaterdsapi.ProblemImageNotEcr, "Image"}},
			build: oneApi(envStack, "Ghcr", fromRegistry("ghcr.io/acme/orders:1.0"))},
		{name: "another region's ECR URI", path: "OtherRegion/Api", want: []problem{{privaterdsapi.ProblemImageRegion, "Image"}},
			build: oneApi(envStack, "OtherRegion", fromRegistry("123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.0"))},
		{name: "another region's ECR repository", path: "OtherRegionRepo/Api", want: []problem{{privaterdsapi.ProblemImageRegion, "Image"}},
			build: oneApi(envStack, "OtherRegionRepo", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				repo := awsecr.Repository_FromRepositoryArn(s, jsii.String("Repo"), jsii.String("arn:aws:ecr:us-east-1:123456789012:repository/orders"))
				return &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromEcrRepository(repo, jsii.String("1.0"))}
			})},
		{name: "another account's ECR in the stack's region", check: imageIs("210987654321.dkr.ecr.eu-west-1.amazonaws.com/orders:1.0"),
			build: oneApi(envStack, "OtherAccount", fromRegistry("210987654321.dkr.ecr.eu-west-1.amazonaws.com/orders:1.0"))},
		{name: "pull-through cache", check: imageIs("123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27"),
			build: oneApi(envStack, "PullThrough", fromRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27"))},
		{name: "ECR URI with the agnostic stack's region token", check: func(t *testing.T, s *synthesized) {},
			build: oneApi(agnosticStack, "RegionToken", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				uri := awscdk.Fn_Join(jsii.String(""), &[]*string{s.Account(), jsii.String(".dkr.ecr."), s.Region(), jsii.String("."), s.UrlSuffix(), jsii.String("/orders:1.0")})
				return &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromRegistry(uri, nil)}
			})},
		{name: "ECR URI with a literal region in an agnostic stack", check: func(t *testing.T, s *synthesized) {
			if err := catch(func() {
				assertions.Annotations_FromStack(s.built.Stack).HasWarning(jsii.String("/RegionLiteral/Api"),
					assertions.Match_StringLikeRegexp(jsii.String("region eu-west-1 and the stack is environment-agnostic")))
			}); err != nil {
				t.Error(err)
			}
		}, build: oneApi(agnosticStack, "RegionLiteral", fromRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.0"))},
		{name: "ECR repository in an agnostic stack", check: func(t *testing.T, s *synthesized) {},
			build: oneApi(agnosticStack, "Repository", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s)}
			})},
		{name: "image asset, agnostic stack", check: func(t *testing.T, s *synthesized) {},
			build: oneApi(agnosticStack, "AssetAgnostic", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImage(t)}
			})},
		{name: "image asset, environment-specific stack", check: func(t *testing.T, s *synthesized) {},
			build: oneApi(envStack, "AssetEnv", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImage(t)}
			})},
		{name: "ARM64 image asset, default X86_64 tasks", path: "ArmOnX86/Api", want: []problem{{privaterdsapi.ProblemImagePlatform, "Image and RuntimePlatform"}},
			build: oneApi(envStack, "ArmOnX86", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImageFor(t, awsecrassets.Platform_LINUX_ARM64())}
			})},
		{name: "AMD64 image asset, ARM64 tasks", path: "X86OnArm/Api", want: []problem{{privaterdsapi.ProblemImagePlatform, "Image and RuntimePlatform"}},
			build: oneApi(envStack, "X86OnArm", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImageFor(t, awsecrassets.Platform_LINUX_AMD64()), RuntimePlatform: arm64}
			})},
		{name: "ARM64 image asset, ARM64 tasks", check: noImageWarning("/ArmOnArm/Api"),
			build: oneApi(envStack, "ArmOnArm", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImageFor(t, awsecrassets.Platform_LINUX_ARM64()), RuntimePlatform: arm64}
			})},
		{name: "image asset for an architecture the construct does not know", check: imageWarning("/Riscv/Api", "linux/riscv64.*does not know"),
			build: oneApi(envStack, "Riscv", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImageFor(t, awsecrassets.Platform_Custom(jsii.String("linux/riscv64")))}
			})},
		{name: "image asset without platform", check: imageWarning("/NoPlatform/Api", "asset without Platform.*Platform_LINUX_AMD64"),
			build: oneApi(envStack, "NoPlatform", func(awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: assetImage(t)}
			})},
		{name: "image URI from a parameter", check: imageWarning("/ImageParameter/Api", "registry of Image .* resolves at deploy time"),
			build: oneApi(envStack, "ImageParameter", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				uri := awscdk.NewCfnParameter(s, jsii.String("ImageUri"), nil).ValueAsString()
				return &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromRegistry(uri, nil)}
			})},
		{name: "Docker Hub image with a tag from a parameter", path: "HubTag/Api", want: []problem{{privaterdsapi.ProblemImageNotEcr, "Image"}},
			build: oneApi(envStack, "HubTag", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				tag := awscdk.NewCfnParameter(s, jsii.String("Tag"), nil).ValueAsString()
				return &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromRegistry(awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("nginx:"), tag}), nil)}
			})},
		{name: "ECR URI with an imported region", check: imageWarning("/ImportedRegion/Api", "region of Image's ECR registry .* resolves at deploy time"),
			build: oneApi(envStack, "ImportedRegion", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				uri := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("123456789012.dkr.ecr."),
					awscdk.Fn_ImportValue(jsii.String("ImageRegion")), jsii.String(".amazonaws.com/orders:1.0")})
				return &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromRegistry(uri, nil)}
			})},
		{name: "two isolated subnet groups: the load balancer gets one subnet per zone", check: loadBalancerOnePerAz,
			build: oneApi(envStack, "TwoGroups", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: twoGroupVpc(s)}
			})},
		{name: "container start period longer than the default grace period", check: func(t *testing.T, s *synthesized) {
			s.has(t, "AWS::ECS::Service", map[string]any{"HealthCheckGracePeriodSeconds": 300 + 2*10}) // + healthy threshold × interval
		}, build: oneApi(envStack, "SlowStart", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), ContainerHealthCheck: &awsecs.HealthCheck{
				Command: jsii.Strings("CMD", "/app", "-healthcheck"), StartPeriod: awscdk.Duration_Seconds(jsii.Number(300))}}
		})},
		{name: "windows tasks: no read-only root filesystem", check: func(t *testing.T, s *synthesized) {
			container := s.only(t, "AWS::ECS::TaskDefinition", "ApiTaskDefinition").props["ContainerDefinitions"].([]any)[0].(map[string]any)
			if v, ok := container["ReadonlyRootFilesystem"]; ok {
				t.Errorf("a Windows container carries ReadonlyRootFilesystem %v, which ECS refuses", v)
			}
			if v, ok := container["MountPoints"]; ok {
				t.Errorf("a Windows container has scratch volumes %v", v)
			}
		}, build: oneApi(envStack, "Windows", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), RuntimePlatform: windows(awsecs.CpuArchitecture_X86_64()),
				Cpu: jsii.Number(1024), MemoryLimitMiB: jsii.Number(2048)}
		})},
		{name: "two imports of one VPC in one stack share the endpoints", check: sharedEndpoints("Orders", "Billing"),
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "TwoImports")
				first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s)})
				again := awsec2.Vpc_FromVpcAttributes(s, jsii.String("SameVpc"), &awsec2.VpcAttributes{
					VpcId: jsii.String("vpc-0a1b2c3d4e5f60718"), AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
					IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"),
					IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"),
				})
				second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: again})
				if privaterdsapi.EndpointsOf(again) != first.Endpoints || second.Endpoints != first.Endpoints {
					t.Error("the two imports do not share one PrivateEndpoints")
				}
				return s, []*privaterdsapi.PrivateRdsApi{first, second}
			}},
		{name: "two lookups of one VPC with cached context share the endpoints", check: sharedEndpoints("Orders", "Billing"),
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "TwoLookups")
				for k, v := range lookupContext() {
					s.Node().SetContext(jsii.String(k), v)
				}
				first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: lookup(s, "Vpc")})
				second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: lookup(s, "SameVpc")})
				return s, []*privaterdsapi.PrivateRdsApi{first, second}
			}},
		{name: "one VPC imported in two stacks", path: "Second/Api", want: []problem{{privaterdsapi.ProblemEndpointsInTwoStacks, "Vpc and ExistingEndpoints"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				first := envStack(app, "First")
				api(first, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(first), Vpc: scenarios.ImportedVpc(first)})
				second := envStack(app, "Second")
				return second, []*privaterdsapi.PrivateRdsApi{api(second, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(second), Vpc: scenarios.ImportedVpc(second)})}
			}},
		{name: "one VPC in two stacks, the second with ExistingEndpoints", check: func(t *testing.T, s *synthesized) {
			s.count(t, "AWS::EC2::VPCEndpoint", 0)
			// HTTPS from the tasks into the first stack's endpoint group, by port and peer.
			tasks := s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
			ingress, _ := s.rules()
			found := false
			for _, r := range ingress {
				found = found || (r.peer == tasks && r.proto == "tcp" && r.from == "443" && r.to == "443" &&
					strings.HasPrefix(r.group, `{"Fn::ImportValue":"Shared:ExportsOutputFnGetAttPrivateRdsApiEndpoints`))
			}
			if !found {
				t.Errorf("no HTTPS ingress from the tasks %s into the Shared stack's endpoint group: %v", tasks, ingress)
			}
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			first := envStack(app, "Shared")
			vpc := scenarios.ImportedVpc(first)
			api(first, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(first), Vpc: vpc})
			second := envStack(app, "Reuser")
			return second, []*privaterdsapi.PrivateRdsApi{api(second, "Api", &privaterdsapi.PrivateRdsApiProps{
				Image: scenarios.Image(second), Vpc: scenarios.ImportedVpc(second),
				ExistingEndpoints: &privaterdsapi.ExistingEndpoints{SecurityGroups: &[]awsec2.ISecurityGroup{privaterdsapi.EndpointsOf(vpc).SecurityGroup}},
			})}
		}},
		{name: "lookups pending in two stacks (first pass of cdk synth)", check: func(t *testing.T, s *synthesized) {},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				first := envStack(app, "PendingA")
				api(first, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(first), Vpc: lookup(first, "Vpc")})
				second := envStack(app, "PendingB")
				return second, []*privaterdsapi.PrivateRdsApi{api(second, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(second), Vpc: lookup(second, "Vpc")})}
			}},
		{name: "endpoint subnets of two APIs disagree", path: "TwoSelections/Billing", want: []problem{{privaterdsapi.ProblemConflict, "EndpointSubnets"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "TwoSelections")
				vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
				first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, EndpointSubnets: inAz("eu-west-1a")})
				second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, EndpointSubnets: inAz("eu-west-1b")})
				return s, []*privaterdsapi.PrivateRdsApi{first, second}
			}},
		{name: "endpoint subnets set after the endpoints exist", path: "LateSelection/Billing", want: []problem{{privaterdsapi.ProblemConflict, "EndpointSubnets"}},
			build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
				s := envStack(app, "LateSelection")
				vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
				first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})
				second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, EndpointSubnets: inAz("eu-west-1a")})
				return s, []*privaterdsapi.PrivateRdsApi{first, second}
			}},
		{name: "endpoint subnets on the first API only", check: func(t *testing.T, s *synthesized) {
			endpointsInAz(t, s, "eu-west-1a")
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			s := envStack(app, "FirstSelection")
			vpc := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
			first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, EndpointSubnets: inAz("eu-west-1a")})
			second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc})
			return s, []*privaterdsapi.PrivateRdsApi{first, second}
		}},
		{name: "endpoint subnets that select nothing", path: "NoSelection/Api", want: []problem{{privaterdsapi.ProblemNoSubnets, "EndpointSubnets"}},
			build: oneApi(envStack, "NoSelection", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), EndpointSubnets: inAz("us-east-1a")}
			})},
		{name: "token ports and capacities from parameters", check: tokenPorts,
			build: oneApi(agnosticStack, "Parameters", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{
					Image: scenarios.Image(s), ContainerPort: param(s, "ContainerPort"), ListenerPort: param(s, "ListenerPort"),
					MinCapacity: param(s, "MinCapacity"), MaxCapacity: param(s, "MaxCapacity"),
					TargetCpuUtilizationPercent: param(s, "TargetCpu"),
					ThrottlingRateLimit:         param(s, "Rate"), ThrottlingBurstLimit: param(s, "Burst"),
				}
			})},
		{name: "health check props", check: healthCheckProps,
			build: oneApi(agnosticStack, "HealthCheck", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{
					Image: scenarios.Image(s), HealthCheckPath: jsii.String("/healthz"), HealthCheckHealthyHttpCodes: jsii.String("200,204"),
					HealthCheckInterval: awscdk.Duration_Seconds(jsii.Number(5)), HealthyThresholdCount: jsii.Number(3),
					UnhealthyThresholdCount: jsii.Number(4),
				}
			})},
	}
	runMistakes(t, cases)
}

// runMistakes builds each case in a new app and asserts its exact outcome.
func runMistakes(t *testing.T, cases []mistake) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// CDK's built-in template validation is off here: the placeholder VPC of a pending
			// lookup has IDs that are not valid by design, and the scenario tests keep it on.
			app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(false)})
			stack, apis := c.build(app)
			synthErr := catch(func() { app.Synth(nil) })
			if c.path == "" {
				if synthErr != nil {
					t.Fatalf("synthesis failed: %v", synthErr)
				}
				for _, a := range apis {
					if err := a.Validate(); err != nil {
						t.Errorf("Validate: %v", err)
					}
				}
				c.check(t, synthesize(t, c.name, &scenarios.Built{Stack: stack, Apis: apis}))
				return
			}
			var failing *privaterdsapi.PrivateRdsApi
			for _, a := range apis {
				if *a.Node().Path() == c.path {
					failing = a
				}
			}
			if failing == nil {
				t.Fatalf("no API at %s", c.path)
			}
			err := failing.Validate()
			var verr *privaterdsapi.ValidationError
			if !errors.As(err, &verr) || verr.Path != c.path || fmt.Sprint(problemsOf(err)) != fmt.Sprint(c.want) {
				t.Fatalf("Validate = %v, want problems %v at %s", err, c.want, c.path)
			}
			// Synthesis fails with that error, and only with it.
			if synthErr == nil || !strings.Contains(synthErr.Error(), verr.Error()) {
				t.Errorf("synthesis error %v\ndoes not carry %v", synthErr, verr)
			}
			if c.want[0].code == privaterdsapi.ProblemEndpointsInTwoStacks &&
				(!strings.Contains(verr.Error(), "stack First") || !strings.Contains(verr.Error(), "stack Second") || !strings.Contains(verr.Error(), "ExistingEndpoints")) {
				t.Errorf("the error must name both stacks and ExistingEndpoints: %v", verr)
			}
		})
	}
}

func imageIs(uri string) func(t *testing.T, s *synthesized) {
	return func(t *testing.T, s *synthesized) {
		s.has(t, "AWS::ECS::TaskDefinition", map[string]any{"ContainerDefinitions": []any{map[string]any{"Image": uri}}})
	}
}

// sharedEndpoints asserts one set of endpoints that admits the tasks of both APIs.
func sharedEndpoints(first, second string) func(t *testing.T, s *synthesized) {
	return func(t *testing.T, s *synthesized) {
		for svc, list := range serviceNames(s) {
			if len(list) != 1 {
				t.Errorf("%d endpoints for %s, want 1", len(list), svc)
			}
		}
		s.count(t, "AWS::EC2::VPCEndpoint", 4) // ecr.api, ecr.dkr, logs, s3
		endpointsAdmitOnly(t, s, first, second)
	}
}

func tokenPorts(t *testing.T, s *synthesized) {
	ref := func(name string) map[string]any { return map[string]any{"Ref": name} }
	s.has(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"Port": ref("ContainerPort")})
	s.has(t, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": ref("ListenerPort")})
	s.has(t, "AWS::ECS::TaskDefinition", map[string]any{"ContainerDefinitions": []any{map[string]any{
		"PortMappings": []any{map[string]any{"ContainerPort": ref("ContainerPort")}},
		"Environment":  assertions.Match_ArrayWith(&[]any{map[string]any{"Name": "PORT", "Value": ref("ContainerPort")}})}}})
	// Two parameters may differ: a scaling range, so no DesiredCount.
	s.has(t, "AWS::ECS::Service", map[string]any{"DesiredCount": assertions.Match_Absent(),
		"LoadBalancers": []any{map[string]any{"ContainerPort": ref("ContainerPort")}}})
	s.has(t, "AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": ref("MinCapacity"), "MaxCapacity": ref("MaxCapacity")})
	s.has(t, "AWS::ApplicationAutoScaling::ScalingPolicy", map[string]any{
		"TargetTrackingScalingPolicyConfiguration": map[string]any{"TargetValue": ref("TargetCpu")}})
	s.has(t, "AWS::ApiGateway::Stage", map[string]any{"MethodSettings": []any{map[string]any{
		"ThrottlingRateLimit": ref("Rate"), "ThrottlingBurstLimit": ref("Burst")}}})
	s.has(t, "AWS::ApiGateway::Method", map[string]any{"Integration": map[string]any{"Uri": map[string]any{"Fn::Join": []any{"", []any{
		"http://", assertions.Match_AnyValue(), ":", ref("ListenerPort"), "/{proxy}"}}}}})
	tasks := s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
	ingress, _ := s.rules()
	if got := rulesOf(ingress, tasks); len(got) != 1 || got[0] != "tcp:ContainerPort-ContainerPort from/to "+
		s.only(t, "AWS::EC2::SecurityGroup", "ApiLoadBalancerSecurityGroup").id+".GroupId" {
		t.Errorf("task ingress with a token port: %v", got)
	}
}

func healthCheckProps(t *testing.T, s *synthesized) {
	s.has(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
		"HealthCheckProtocol": "HTTP", "HealthCheckPath": "/healthz", "Matcher": map[string]any{"HttpCode": "200,204"},
		"HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 5, // ELB's 6 s would exceed the interval
		"HealthyThresholdCount": 3, "UnhealthyThresholdCount": 4,
	})
}

var arm64 = &awsecs.RuntimePlatform{CpuArchitecture: awsecs.CpuArchitecture_ARM64(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()}

// imageWarning asserts the construct's warning about its image at path, matching pattern.
func imageWarning(path, pattern string) func(t *testing.T, s *synthesized) {
	return func(t *testing.T, s *synthesized) {
		if err := catch(func() {
			assertions.Annotations_FromStack(s.built.Stack).HasWarning(jsii.String(path), assertions.Match_StringLikeRegexp(jsii.String(pattern)))
		}); err != nil {
			t.Error(err)
		}
	}
}

// noImageWarning asserts that the construct at path has no warning about its image.
func noImageWarning(path string) func(t *testing.T, s *synthesized) {
	return func(t *testing.T, s *synthesized) {
		if err := catch(func() {
			assertions.Annotations_FromStack(s.built.Stack).HasNoWarning(jsii.String(path), assertions.Match_StringLikeRegexp(jsii.String("Image")))
		}); err != nil {
			t.Error(err)
		}
	}
}

// TestImageThatCannotBeRead: an image whose name fails to resolve is not accepted in
// silence: Validate warns that the construct cannot check it, and says the way out.
func TestImageThatCannotBeRead(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := envStack(app, "Unreadable")
	name := awscdk.Lazy_String(&failingProducer{}, nil)
	a := api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: awsecs.ContainerImage_FromRegistry(name, nil)})
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate = %v, want a warning only", err)
	}
	var warnings []string
	for _, m := range *a.Node().Metadata() {
		if *m.Type == "aws:cdk:warning" {
			warnings = append(warnings, fmt.Sprint(m.Data))
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "could not be read") || !strings.Contains(warnings[0], "ContainerImage_FromAsset") {
		t.Errorf("warnings %q, want one that says the image cannot be checked and how to be sure", warnings)
	}
}

// failingProducer is a lazy value that fails to resolve.
type failingProducer struct{}

func (*failingProducer) Produce() *string { panic("the image name is not known") }

// loadBalancerOnePerAz asserts a load balancer in one subnet of each zone (the first
// group's), while the tasks use every selected subnet.
func loadBalancerOnePerAz(t *testing.T, s *synthesized) {
	zoneOf := map[string]any{}
	for _, sn := range s.resources("AWS::EC2::Subnet") {
		zoneOf[sn.id] = fmt.Sprint(sn.props["AvailabilityZone"])
	}
	subnets := s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "ApiLoadBalancer").props["Subnets"].([]any)
	zones := map[any]bool{}
	for _, sn := range subnets {
		id := ref(sn)
		if !strings.HasPrefix(id, "Vpcapp") {
			t.Errorf("load balancer subnet %s is not of the first group (app)", id)
		}
		zones[zoneOf[id]] = true
	}
	if len(subnets) != 2 || len(zones) != 2 {
		t.Errorf("load balancer in subnets %v (zones %v), want one in each of the 2 zones", subnets, zones)
	}
	service := s.only(t, "AWS::ECS::Service", "ApiService").props
	isolated, _ := subnetsOf(s, "Vpc")
	if len(isolated) != 4 {
		t.Fatalf("isolated subnets %v, want 4", isolated)
	}
	sameList(t, "task subnets", refs(service["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)["Subnets"]), isolated)
}

// zoneOf names a subnet's AvailabilityZone: the literal zone, or "GetAZs[n]" for the
// n-th zone of an environment-agnostic stack.
func zoneOf(v any) string {
	if m, ok := v.(map[string]any); ok && m["Fn::Select"] != nil {
		sel := m["Fn::Select"].([]any)
		return fmt.Sprintf("GetAZs[%v]", sel[0])
	}
	return fmt.Sprint(v)
}

// endpointsInAz asserts that the template has interface endpoints and that each one is
// in exactly the subnets of the template in the availability zones azs (one per zone).
func endpointsInAz(t *testing.T, s *synthesized, azs ...string) {
	t.Helper()
	var want []string
	for _, sn := range s.resources("AWS::EC2::Subnet") {
		if contains(azs, zoneOf(sn.props["AvailabilityZone"])) && strings.Contains(sn.id, "Isolated") {
			want = append(want, sn.id)
		}
	}
	if len(want) != len(azs) {
		t.Fatalf("%s: isolated subnets in %v: %v, want one per zone", s.name, azs, want)
	}
	n := 0
	for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
		if e.props["VpcEndpointType"] != "Interface" {
			continue
		}
		n++
		var got []string
		for _, id := range asAny(e.props["SubnetIds"]) {
			got = append(got, ref(id))
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: endpoint %s in subnets %v, want %v (%v)", s.name, e.id, got, want, azs)
		}
	}
	if n == 0 {
		t.Errorf("%s: no interface endpoint", s.name)
	}
}
