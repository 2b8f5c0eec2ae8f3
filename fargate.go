package privaterdsapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// containerName is the name of the application container in the task definition.
const containerName = "app"

// buildService creates the service's log group, the cluster with the first service (it
// is shared), the task definition with its container, and the Fargate service in the
// isolated subnets behind the target group, with autoscaling and the security group
// rules of the tasks: in from the load balancer, out to the database.
func (srv *ApiService) buildService(p *settings) {
	srv.LogGroup = newLogGroup(srv.Construct, "LogGroup", p.logRetention, p.logKey) // logs.go
	if srv.api.Cluster == nil {
		srv.api.buildCluster(p, srv.LogGroup)
	}
	srv.buildTask(p)
}

// buildCluster creates the API's ECS cluster, shared by its services. With ECS Exec on the
// first service, exec sessions of every service are logged into logGroup, the first
// service's (a cluster has one exec logging configuration).
func (a *PrivateRdsApi) buildCluster(p *settings, logGroup awslogs.LogGroup) {
	clusterProps := &awsecs.ClusterProps{
		Vpc:                 a.Vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	}
	if !p.insights {
		clusterProps.ContainerInsightsV2 = awsecs.ContainerInsights_DISABLED
	}
	if p.exec {
		// ECS Exec sessions are logged into the container's log group, encrypted when the
		// log group has a key.
		clusterProps.ExecuteCommandConfiguration = &awsecs.ExecuteCommandConfiguration{
			Logging: awsecs.ExecuteCommandLogging_OVERRIDE,
			LogConfiguration: &awsecs.ExecuteCommandLogConfiguration{
				CloudWatchLogGroup:          logGroup,
				CloudWatchEncryptionEnabled: jsii.Bool(p.logKey != nil),
			},
		}
	}
	a.Cluster = awsecs.NewCluster(a.Construct, jsii.String("Cluster"), clusterProps)
}

// buildTask creates the task definition, the container and the Fargate service.
func (srv *ApiService) buildTask(p *settings) {
	p = srv.withProxy(p) // iam.go: with DatabaseProxy, the tasks' database is the proxy
	scratch := scratchVolumes(p)
	srv.TaskDefinition = awsecs.NewFargateTaskDefinition(srv.Construct, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(p.cpu),
		MemoryLimitMiB:  jsii.Number(p.memory),
		RuntimePlatform: p.platform,
		Volumes:         scratch.volumes,
	})
	environment, secrets := containerVariables(p)
	// The construct's own variables: Environment may repeat them only with these values
	// (checkVariables), so that the app cannot disagree with the port and the stage.
	environment["PORT"], environment["API_STAGE"] = portString(p.containerPort), jsii.String(p.stageName)
	srv.Container = srv.TaskDefinition.AddContainer(jsii.String("App"), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(containerName),
		Image:         p.image,
		Essential:     jsii.Bool(true),
		// The task's memory as the container's hard limit: the container is the task's only
		// one (AWS Control Tower's CT.ECS.PR.7 asks every container for a limit).
		MemoryLimitMiB:         jsii.Number(p.memory),
		ReadonlyRootFilesystem: readonlyRootFilesystem(p), // agreement.go
		User:                   p.user,
		HealthCheck:            p.containerCheck,
		PortMappings: &[]*awsecs.PortMapping{{
			ContainerPort: jsii.Number(p.containerPort),
			Protocol:      awsecs.Protocol_TCP,
		}},
		Environment: &environment,
		Secrets:     &secrets,
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     srv.LogGroup,
			StreamPrefix: jsii.String(containerName),
		}),
	})
	if scratch.mounts != nil {
		srv.Container.AddMountPoints(*scratch.mounts...)
	}

	srv.ServiceSecurityGroup = closedSecurityGroup(srv.Construct, "ServiceSecurityGroup", srv.api.Vpc, "privaterdsapi tasks: from the load balancer, to the endpoints, S3 and the database")
	srv.Service = awsecs.NewFargateService(srv.Construct, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:                srv.api.Cluster,
		TaskDefinition:         srv.TaskDefinition,
		DesiredCount:           desiredCount(p),
		MinHealthyPercent:      jsii.Number(100),
		MaxHealthyPercent:      jsii.Number(200),
		AssignPublicIp:         jsii.Bool(false),
		VpcSubnets:             srv.api.Subnets,
		SecurityGroups:         &[]awsec2.ISecurityGroup{srv.ServiceSecurityGroup},
		PlatformVersion:        awsecs.FargatePlatformVersion_LATEST,
		HealthCheckGracePeriod: p.grace,
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		EnableExecuteCommand:   jsii.Bool(p.exec),
		// nil: the FARGATE launch type.
		CapacityProviderStrategies: capacityStrategies(p.capacity),
		DeploymentStrategy:         p.strategy, // "": not written, ECS's rolling default
	})
	if len(p.capacity) > 0 {
		// The service has no launch type then. ECS refuses a strategy whose providers are
		// not associated with the cluster yet, so the construct associates them itself
		// (CDK's EnableFargateCapacityProviders adds the association in an aspect, which
		// nothing can depend on) and the service waits for it. A cluster has one
		// association: the first service that needs it creates it, for all.
		if srv.api.CapacityProviders == nil {
			a := srv.api
			a.CapacityProviders = awsecs.NewCfnClusterCapacityProviderAssociations(a.Construct, jsii.String("CapacityProviders"), &awsecs.CfnClusterCapacityProviderAssociationsProps{
				Cluster:                         a.Cluster.ClusterName(),
				CapacityProviders:               &[]any{"FARGATE", "FARGATE_SPOT"},
				DefaultCapacityProviderStrategy: &[]*awsecs.CfnClusterCapacityProviderAssociations_CapacityProviderStrategyProperty{},
			})
		}
		srv.Service.Node().AddDependency(srv.api.CapacityProviders)
	}
	// The service is the target: its container ("app", the task's only one) on the port
	// of its port mapping.
	srv.attachTarget(p) // deployment.go
	// IP targets over TCP: the source the tasks see is the load balancer, so the exact
	// rule is "from the load balancer's security group". This writes the tasks' ingress
	// and the load balancer's egress.
	srv.connections = srv.Service.Connections()
	srv.connections.AllowFrom(srv.api.LoadBalancer, awsec2.Port_Tcp(jsii.Number(p.containerPort)),
		jsii.String("Traffic and health checks from the load balancer"))

	srv.connectDatabase(p)  // database.go
	srv.grantTaskConnect(p) // iam.go

	srv.Scaling = srv.Service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(p.minCapacity),
		MaxCapacity: jsii.Number(p.maxCapacity),
	})
	srv.Scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(p.targetCpu),
	})
	srv.suppressServiceFindings(p, len(environment) > 0)
}

// desiredCount is the service's DesiredCount: MinCapacity when it equals MaxCapacity, and
// none with a scaling range, since CloudFormation applies DesiredCount on every update of
// the service and would take a scaled-out service back to it (aws-cdk #3919). Without it,
// ECS creates the service with one task and keeps the current count on updates, and the
// scalable target brings the count into [MinCapacity, MaxCapacity] (see MinCapacity).
func desiredCount(p *settings) *float64 {
	if p.minCapacity == p.maxCapacity {
		return jsii.Number(p.minCapacity)
	}
	return nil
}

func capacityStrategies(s []*awsecs.CapacityProviderStrategy) *[]*awsecs.CapacityProviderStrategy {
	if len(s) == 0 {
		return nil
	}
	return &s
}

// scratch are the task's writable scratch volumes and their mount points in the
// container: with a read-only root filesystem, /tmp and, with ECS Exec, the places its
// agent writes to. Each is a task volume without a host: Fargate ephemeral storage,
// emptied with the task.
type scratch struct {
	volumes *[]*awsecs.Volume
	mounts  *[]*awsecs.MountPoint
}

func scratchVolumes(p *settings) scratch {
	if !p.readonlyRoot {
		return scratch{}
	}
	paths := [][2]string{{"tmp", "/tmp"}}
	if p.exec {
		// The exec agent (the SSM agent) writes its state and logs here; with a read-only
		// root filesystem it crashes without them (aws/containers-roadmap#1359).
		paths = append(paths, [2]string{"exec-agent", "/managed-agents"},
			[2]string{"ssm-state", "/var/lib/amazon/ssm"}, [2]string{"ssm-logs", "/var/log/amazon/ssm"})
	}
	var volumes []*awsecs.Volume
	var mounts []*awsecs.MountPoint
	for _, v := range paths {
		volumes = append(volumes, &awsecs.Volume{Name: jsii.String(v[0])})
		mounts = append(mounts, &awsecs.MountPoint{SourceVolume: jsii.String(v[0]), ContainerPath: jsii.String(v[1]), ReadOnly: jsii.Bool(false)})
	}
	return scratch{&volumes, &mounts}
}

// containerVariables returns the container's plain environment and its secrets: the
// user's, and the database's (see addDatabaseVariables).
func containerVariables(p *settings) (map[string]*string, map[string]awsecs.Secret) {
	environment := map[string]*string{}
	secrets := map[string]awsecs.Secret{}
	for k, v := range p.environment {
		environment[k] = v
	}
	for k, v := range p.secrets {
		secrets[k] = v
	}
	addDatabaseVariables(p, environment, secrets) // database.go
	return environment, secrets
}

// ecrHost is the host of an image in an ECR private registry, with the values that
// flatten gives CloudFormation's pseudo parameters: <account>.dkr.ecr.<region>.<suffix>.
var ecrHost = regexp.MustCompile(`^[^./]+\.dkr\.ecr\.([^./]+)\.(amazonaws\.com|amazonaws\.com\.cn|` + regexp.QuoteMeta(pseudoURLSuffix) + `)$`)

// checkImage checks, at synthesis, that the container's image comes from ECR in the
// stack's region: the tasks have no internet path, and the VPC's ecr.dkr endpoint
// answers for its own region's registries only (any account's, as a pull-through cache's
// too). What cannot be checked (an image name that cannot be read, a registry or region
// that CloudFormation resolves at deploy time) is accepted with a warning that says so.
func (srv *ApiService) checkImage() *PropError {
	stack := srv.api.stack
	var resolved []any
	ways := "use awsecs.ContainerImage_FromAsset (built by cdk deploy and pushed to the CDK bootstrap repository), ContainerImage_FromEcrRepository, or an ECR pull-through cache rule for a public registry (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/...)"
	if failure := jsiiPanic(func() {
		resolved, _ = stack.Resolve([]any{srv.Container.ImageName(), stack.Region()}).([]any) // one jsii call for both
	}); failure != nil || len(resolved) != 2 {
		why := "it resolved to nothing"
		if failure != nil {
			why = firstLine(failure)
		}
		srv.warnImage("privaterdsapi:imageUnchecked", fmt.Sprintf("The name of Image could not be read at synthesis (%s), so the construct cannot check that it is in ECR of the stack's region: the tasks have no internet path and pull only from there. To be sure, %s.",
			why, ways))
		return nil
	}
	uri, stackRegion := flatten(resolved[0]), flatten(resolved[1])
	host, _, hasPath := strings.Cut(uri, "/")
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		// Without a "/" the image is on Docker Hub, whatever its tag.
		if uri == unknownValue || hasPath && strings.Contains(host, unknownValue) {
			srv.warnImage("privaterdsapi:imageUnchecked", fmt.Sprintf("The registry of Image (%q) is a value CloudFormation resolves at deploy time (a parameter or an import), so the construct cannot check that it is ECR of the stack's region: the tasks have no internet path and pull only from there, or fail with CannotPullContainerError. To be sure, %s.",
				uri, ways))
			return nil
		}
		return &PropError{ProblemImageNotEcr, "Image", fmt.Sprintf(
			"%q is not in an ECR private registry, and the tasks have no internet path to pull it: %s", uri, ways)}
	}
	imageRegion := m[1]
	switch {
	case imageRegion == stackRegion, imageRegion == pseudoRegion:
		return nil
	case imageRegion == unknownValue:
		srv.warnImage("privaterdsapi:imageUnchecked", fmt.Sprintf("The region of Image's ECR registry (%q) is a value CloudFormation resolves at deploy time, so the construct cannot check that it is the stack's region: the VPC's ecr.dkr endpoint serves its own region only, and the tasks have no internet path. To be sure, use the stack's region (Stack.Region()) in the image URI, or %s.",
			uri, ways))
		return nil
	case stackRegion == pseudoRegion:
		srv.warnImage("privaterdsapi:imageRegion", fmt.Sprintf(
			"Image %q is in ECR of region %s and the stack is environment-agnostic: the tasks can pull it only when the stack is deployed to %s (the VPC's ecr.dkr endpoint serves its own region). Bind the stack to an environment, or use the stack's region in the image URI.",
			uri, imageRegion, imageRegion))
		return nil
	}
	return &PropError{ProblemImageRegion, "Image", fmt.Sprintf(
		"%q is in ECR of region %s, but the stack deploys to %s: the VPC's ecr.dkr endpoint serves its own region only, and the tasks have no internet path; replicate the image to %s (ECR replication) or %s",
		uri, imageRegion, stackRegion, stackRegion, ways)}
}

// warnImage writes the construct's one warning about its image (Validate may run more
// than once) with id (privaterdsapi:imageRegion, privaterdsapi:imageUnchecked), which
// Annotations.AcknowledgeWarning takes.
func (srv *ApiService) warnImage(id, message string) {
	if !srv.warnedImage {
		srv.warnedImage = true
		warn(srv.Construct, id, message)
	}
}

// The values flatten gives to what CloudFormation resolves at deploy time.
const (
	pseudoRegion    = "{AWS::Region}"
	pseudoAccount   = "{AWS::AccountId}"
	pseudoURLSuffix = "{AWS::URLSuffix}"
	pseudoPartition = "{AWS::Partition}"
	unknownValue    = "{?}"
)

// flatten evaluates a resolved CloudFormation value to a string, as far as it can be
// known at synthesis: Fn::Join, Fn::Select of Fn::Split, Fn::Sub and the pseudo
// parameters (written as pseudoRegion and the like, which contain no "." "/" or ":");
// anything else becomes unknownValue.
func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if len(x) != 1 {
			return unknownValue
		}
		for fn, arg := range x {
			switch fn {
			case "Ref":
				name, _ := arg.(string)
				return pseudoParameter(name)
			case "Fn::Join":
				args, ok := arg.([]any)
				if len(args) != 2 || !ok {
					return unknownValue
				}
				sep, _ := args[0].(string)
				parts, ok := flattenList(args[1])
				if !ok {
					return unknownValue
				}
				return strings.Join(parts, sep)
			case "Fn::Select":
				args, ok := arg.([]any)
				if len(args) != 2 || !ok {
					return unknownValue
				}
				list, ok := flattenList(args[1])
				i, err := strconv.Atoi(flatten(args[0]))
				if !ok || err != nil || i < 0 || i >= len(list) {
					return unknownValue
				}
				return list[i]
			case "Fn::Sub":
				return flattenSub(arg)
			}
		}
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return unknownValue
}

func flattenList(v any) ([]string, bool) {
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = flatten(e)
		}
		return out, true
	case map[string]any:
		if args, ok := x["Fn::Split"].([]any); ok && len(x) == 1 && len(args) == 2 {
			if sep, ok := args[0].(string); ok && sep != "" {
				return strings.Split(flatten(args[1]), sep), true
			}
		}
	}
	return nil, false
}

var subVariable = regexp.MustCompile(`\$\{(!?)([^}]*)\}`)

func flattenSub(arg any) string {
	var template string
	vars := map[string]any{}
	switch x := arg.(type) {
	case string:
		template = x
	case []any:
		if len(x) != 2 {
			return unknownValue
		}
		template, _ = x[0].(string)
		vars, _ = x[1].(map[string]any)
	}
	return subVariable.ReplaceAllStringFunc(template, func(m string) string {
		g := subVariable.FindStringSubmatch(m)
		if g[1] == "!" {
			return "${" + g[2] + "}"
		}
		if v, ok := vars[g[2]]; ok {
			return flatten(v)
		}
		return pseudoParameter(g[2])
	})
}

func pseudoParameter(name string) string {
	switch name {
	case "AWS::Region":
		return pseudoRegion
	case "AWS::AccountId":
		return pseudoAccount
	case "AWS::URLSuffix":
		return pseudoURLSuffix
	case "AWS::Partition":
		return pseudoPartition
	}
	return unknownValue
}
