package privaterdsapi

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
)

// This file holds the checks of settings that must agree with each other or with an AWS
// rule: the image's platform and the tasks' (ProblemImagePlatform), subnets with a route
// to the internet (ProblemInternetRoute), and the health check periods.

// The image's platform. An asset image (awsecs.ContainerImage_FromAsset) creates, when
// the container binds it, a DockerImageAsset that hands its AssetImageProps.Platform to
// the stack's synthesizer (StackSynthesizer.AddDockerImageAsset, whose
// DockerImageAssetSource.Platform becomes the `platform` of the cloud assembly's asset
// manifest). Nothing public keeps it on the asset or the image, so the construct binds
// the image once more into a scratch stack whose synthesizer records it: the staging of
// the same directory in the same output directory is cached by CDK (AssetStaging), and
// the scratch app has asset staging off, so nothing is written.

// platformRecorder is the scratch stack's synthesizer: it records the image asset's
// platform and returns a placeholder location.
type platformRecorder struct {
	awscdk.StackSynthesizer
	seen     bool
	platform *string
}

func (r *platformRecorder) AddDockerImageAsset(asset *awscdk.DockerImageAssetSource) *awscdk.DockerImageAssetLocation {
	r.seen, r.platform = true, asset.Platform
	return &awscdk.DockerImageAssetLocation{ImageUri: jsii.String("scratch"), RepositoryName: jsii.String("scratch")}
}

func (r *platformRecorder) AddFileAsset(*awscdk.FileAssetSource) *awscdk.FileAssetLocation {
	return &awscdk.FileAssetLocation{BucketName: jsii.String("scratch"), ObjectKey: jsii.String("scratch"),
		HttpUrl: jsii.String("scratch"), S3ObjectUrl: jsii.String("scratch")}
}

func (r *platformRecorder) Synthesize(awscdk.ISynthesisSession) {}

// assetPlatform returns the Docker platform ("linux/arm64") an asset image is built for:
// "" for an asset without Platform; ok is false when binding image registers no image
// asset.
func (srv *ApiService) assetPlatform(image awsecs.ContainerImage) (platform string, ok bool) {
	r := &platformRecorder{}
	awscdk.NewStackSynthesizer_Override(r)
	outdir := awscdk.Stage_Of(srv.Construct).AssetOutdir()
	app := awscdk.NewApp(&awscdk.AppProps{
		AutoSynth: jsii.Bool(false), // never written, even under `cdk synth` (CDK_OUTDIR set)
		Outdir:    outdir,           // the same output directory: CDK's staging cache answers
		Context:   &map[string]any{"aws:cdk:disable-asset-staging": true},
	})
	stack := awscdk.NewStack(app, jsii.String("ImagePlatform"), &awscdk.StackProps{Synthesizer: r})
	awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), nil).
		AddContainer(jsii.String("Image"), &awsecs.ContainerDefinitionOptions{Image: image})
	if !r.seen {
		return "", false
	}
	if r.platform == nil {
		return "", true
	}
	return *r.platform, true
}

// taskPlatform returns the task definition's operating system family and CPU
// architecture as CloudFormation gets them ("LINUX", "X86_64").
func (srv *ApiService) taskPlatform() (os, arch string) {
	cfn, _ := srv.TaskDefinition.Node().DefaultChild().(awsecs.CfnTaskDefinition)
	if cfn == nil {
		return "", ""
	}
	resolved, _ := srv.api.stack.Resolve(cfn.RuntimePlatform()).(map[string]any)
	os, _ = resolved["operatingSystemFamily"].(string)
	arch, _ = resolved["cpuArchitecture"].(string)
	return os, arch
}

// dockerArchitectures maps the architecture part of a Docker platform to ECS's
// CpuArchitecture.
var dockerArchitectures = map[string]string{"amd64": "X86_64", "x86_64": "X86_64", "arm64": "ARM64", "aarch64": "ARM64"}

// checkImagePlatform compares an asset image's platform with the tasks' RuntimePlatform:
// an image built for another architecture (or operating system) than the tasks' fails
// every task at start ("exec format error"). An asset without Platform is built for the
// architecture of the machine that runs `cdk deploy`: a warning says so.
func (srv *ApiService) checkImagePlatform(image awsecs.ContainerImage) []PropError {
	// An asset image, bound, is the container's child "AssetImage" (aws-ecs AssetImage.bind);
	// in Go every ContainerImage satisfies the AssetImage interface, so it is told by that.
	if srv.Container.Node().TryFindChild(jsii.String("AssetImage")) == nil {
		return nil // another image's platform is known to its registry only
	}
	var platform string
	var isAsset bool
	var os, arch string
	if failure := jsiiPanic(func() {
		if platform, isAsset = srv.assetPlatform(image); isAsset {
			os, arch = srv.taskPlatform()
		}
	}); failure != nil {
		warn(srv.Construct, "privaterdsapi:imagePlatform", fmt.Sprintf(
			"The platform of Image could not be read (%s): check that the image is built for the tasks' RuntimePlatform, or the tasks fail at start with \"exec format error\".", firstLine(failure)))
		return nil
	}
	if !isAsset || arch == "" {
		warn(srv.Construct, "privaterdsapi:imagePlatform", fmt.Sprintf(
			"The platform of the image asset or of the tasks could not be read (asset platform found: %v, task architecture %q): check that the image is built for the tasks' RuntimePlatform, or the tasks fail at start with \"exec format error\".", isAsset, arch))
		return nil
	}
	ecsOs := "LINUX"
	if strings.HasPrefix(os, "WINDOWS") {
		ecsOs = "WINDOWS"
	}
	want := awsecrassetsPlatform(ecsOs, arch)
	if platform == "" {
		warn(srv.Construct, "privaterdsapi:imagePlatform", fmt.Sprintf(
			"Image is an asset without Platform: docker builds it for the architecture of the machine that runs cdk deploy, and the tasks run on %s: a machine of another architecture builds an image whose tasks fail at start with \"exec format error\". Set AssetImageProps.Platform to %s.",
			arch, want))
		return nil
	}
	parts := strings.Split(strings.ToLower(platform), "/")
	imageArch := ""
	if len(parts) >= 2 {
		imageArch = dockerArchitectures[parts[1]]
	}
	if imageArch == "" {
		warn(srv.Construct, "privaterdsapi:imagePlatform", fmt.Sprintf(
			"Image is built for the platform %q, whose architecture this construct does not know: the tasks run on %s (RuntimePlatform), and fail at start with \"exec format error\" unless the image is built for it.", platform, arch))
		return nil
	}
	if imageArch != arch || !strings.EqualFold(parts[0], ecsOs) {
		return []PropError{{ProblemImagePlatform, "Image and RuntimePlatform", fmt.Sprintf(
			"the image asset is built for %s, but the tasks run on %s on %s (RuntimePlatform): every task would fail at start with \"exec format error\"; build the image for the tasks (AssetImageProps.Platform: %s) or run the tasks on its architecture (RuntimePlatform.CpuArchitecture)",
			platform, ecsOs, arch, want)}}
	}
	return nil
}

// awsecrassetsPlatform names the awsecrassets.Platform of a task platform (Windows on
// Fargate runs on X86_64 only).
func awsecrassetsPlatform(os, arch string) string {
	switch {
	case os == "WINDOWS":
		return `awsecrassets.Platform_Custom(jsii.String("windows/amd64"))`
	case arch == "ARM64":
		return "awsecrassets.Platform_LINUX_ARM64()"
	}
	return "awsecrassets.Platform_LINUX_AMD64()"
}

// checkAgreement is the pure check of props whose values must agree with each other.
func checkAgreement(p *PrivateRdsApiProps, _ durations, add adder) {
	if p.AllowInternetRoute != nil && p.Vpc == nil {
		add(ProblemRequires, "AllowInternetRoute", "applies only with Vpc (the VPC the construct creates has no internet path); remove it or set Vpc")
	}
}

// checkServiceAgreement is the pure check of per-service props whose values must agree
// with each other.
func checkServiceAgreement(_ *ServiceProps, _ *PrivateRdsApiProps, d durations, add adder) {
	// ECS stops a task whose load balancer health checks fail after the grace period,
	// also while its container health check is still in its start period.
	if d.grace != nil && d.checkStartPeriod != nil && *d.grace < *d.checkStartPeriod {
		add(ProblemConflict, "HealthCheckGracePeriod and ContainerHealthCheck.StartPeriod",
			"the grace period (%v s) is shorter than the container's start period (%v s): ECS would stop tasks that are still starting; make the grace period at least the start period, or leave it unset (it then follows the start period)",
			*d.grace, *d.checkStartPeriod)
	}
}

// checkInternetRoute refuses selected subnets with a route to the internet: those of
// the VPC's PUBLIC or PRIVATE_WITH_EGRESS subnets (compared by subnet ID, for a VPC made
// in the app or imported), unless AllowInternetRoute. A VPC lookup that is still pending
// (the first pass of cdk synth) is not judged by its placeholder.
func checkInternetRoute(p *PrivateRdsApiProps, prop string) *PropError {
	if p.AllowInternetRoute != nil && *p.AllowInternetRoute {
		return nil
	}
	var selected *awsec2.SelectedSubnets
	var public, private *[]awsec2.ISubnet
	if jsiiPanic(func() {
		selected, public, private = p.Vpc.SelectSubnets(subnetSelection(p)), p.Vpc.PublicSubnets(), p.Vpc.PrivateSubnets()
	}) != nil || selected == nil || selected.SubnetIds == nil || (selected.IsPendingLookup != nil && *selected.IsPendingLookup) {
		return nil
	}
	ids := func(subnets *[]awsec2.ISubnet) map[string]bool {
		out := map[string]bool{}
		if subnets != nil {
			for _, s := range *subnets {
				out[*s.SubnetId()] = true
			}
		}
		return out
	}
	publicIds, privateIds := ids(public), ids(private)
	var nPublic, nPrivate int
	for _, id := range *selected.SubnetIds {
		switch {
		case publicIds[*id]:
			nPublic++
		case privateIds[*id]:
			nPrivate++
		}
	}
	if nPublic+nPrivate == 0 {
		return nil
	}
	return &PropError{ProblemInternetRoute, prop, fmt.Sprintf(
		"selects subnets with a route to the internet (%d PUBLIC, %d PRIVATE_WITH_EGRESS), against the construct's promise of no internet path: select PRIVATE_ISOLATED subnets (the default), or set AllowInternetRoute to accept a VPC with an internet path, whose NAT gateways are then paid for beside the VPC endpoints",
		nPublic, nPrivate)}
}

// noSubnetsMessage says what the selection asked for, what the VPC has, and what the
// construct needs.
func noSubnetsMessage(p *PrivateRdsApiProps) string {
	asked := "the VPC has no PRIVATE_ISOLATED subnet"
	if s := p.VpcSubnets; s != nil {
		var parts []string
		if s.SubnetType != "" {
			parts = append(parts, "SubnetType "+string(s.SubnetType))
		}
		if s.SubnetGroupName != nil {
			parts = append(parts, fmt.Sprintf("SubnetGroupName %q", *s.SubnetGroupName))
		}
		if s.AvailabilityZones != nil {
			parts = append(parts, fmt.Sprintf("%d AvailabilityZones", len(*s.AvailabilityZones)))
		}
		if s.Subnets != nil {
			parts = append(parts, fmt.Sprintf("%d Subnets", len(*s.Subnets)))
		}
		if s.SubnetFilters != nil {
			parts = append(parts, fmt.Sprintf("%d SubnetFilters", len(*s.SubnetFilters)))
		}
		if len(parts) == 0 {
			parts = append(parts, "CDK's default type")
		}
		asked = "the selection (" + strings.Join(parts, ", ") + ") matches no subnet of the VPC"
	}
	var public, private, isolated *[]awsec2.ISubnet
	has := ""
	if jsiiPanic(func() {
		public, private, isolated = p.Vpc.PublicSubnets(), p.Vpc.PrivateSubnets(), p.Vpc.IsolatedSubnets()
	}) == nil &&
		public != nil && private != nil && isolated != nil {
		has = fmt.Sprintf(" (it has %d PUBLIC, %d PRIVATE_WITH_EGRESS and %d PRIVATE_ISOLATED subnets)", len(*public), len(*private), len(*isolated))
	}
	return asked + has + ": the tasks, the load balancer and the VPC link need subnets without a route to the internet; give the VPC PRIVATE_ISOLATED subnets (NewIsolatedVpc makes such a VPC) and select them with VpcSubnets if they are not the default, " +
		"or, to run in subnets with a route to the internet (paying for NAT and the endpoints), select them with VpcSubnets and set AllowInternetRoute"
}

// Windows containers on Fargate (ECS developer guide: Fargate capacity providers, task
// definition parameters; CDK's checkFargateWindowsBasedTasksSize): X86_64 only, 1, 2 or
// 4 vCPU, no Fargate Spot, and neither readonlyRootFilesystem nor user in the container
// definition (ECS refuses the parameter, even false, so the construct leaves it out).
var windowsCpus = []float64{1024, 2048, 4096}

// isWindows says whether platform is a Windows operating system family.
func isWindows(platform *awsecs.RuntimePlatform) bool {
	if platform == nil || platform.OperatingSystemFamily == nil {
		return false
	}
	var windows *bool
	return jsiiPanic(func() { windows = platform.OperatingSystemFamily.IsWindows() }) == nil && windows != nil && *windows
}

// checkPlatform checks the props that must agree with a Windows RuntimePlatform.
func checkPlatform(p *ServiceProps) []PropError {
	if !isWindows(p.RuntimePlatform) {
		return nil
	}
	var out []PropError
	if p.RuntimePlatform.CpuArchitecture != nil && p.RuntimePlatform.CpuArchitecture == awsecs.CpuArchitecture_ARM64() {
		out = append(out, PropError{ProblemConflict, "RuntimePlatform", "Windows containers on Fargate run on X86_64 only, not ARM64"})
	}
	if cpu := orDefault(p.Cpu, DefaultCpu); !isToken(cpu) && !contains(windowsCpus, cpu) {
		out = append(out, PropError{ProblemFargateSize, "Cpu and RuntimePlatform", fmt.Sprintf("Windows containers on Fargate need a Cpu of 1024, 2048 or 4096, got %v", cpu)})
	}
	if p.CapacityProviderStrategies != nil {
		for _, s := range *p.CapacityProviderStrategies {
			if s != nil && s.CapacityProvider != nil && *s.CapacityProvider == "FARGATE_SPOT" {
				out = append(out, PropError{ProblemConflict, "CapacityProviderStrategies and RuntimePlatform", "Fargate Spot does not run Windows containers; use FARGATE"})
			}
		}
	}
	if p.ReadonlyRootFilesystem != nil && *p.ReadonlyRootFilesystem {
		out = append(out, PropError{ProblemConflict, "ReadonlyRootFilesystem and RuntimePlatform", "ECS does not support a read-only root filesystem for Windows containers; leave ReadonlyRootFilesystem unset"})
	}
	if p.User != nil {
		out = append(out, PropError{ProblemConflict, "User and RuntimePlatform", "ECS does not support User for Windows containers; leave it unset (the image's user runs)"})
	}
	return out
}

// readonlyRootFilesystem is the container's readonlyRootFilesystem: unset for Windows
// containers, which ECS refuses it for.
func readonlyRootFilesystem(p *settings) *bool {
	if p.windows {
		return nil
	}
	return jsii.Bool(p.readonlyRoot)
}
