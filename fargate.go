package privaterdsapi

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"
)

// containerName is the name of the application container in the task definition.
const containerName = "app"

// buildService creates the cluster, the task definition with its container, and the
// Fargate service in the isolated subnets behind the target group, with autoscaling and
// the security group rules of the tasks: in from the load balancer, out to the database.
func (a *PrivateRdsApi) buildService(p *settings) {
	a.Cluster = awsecs.NewCluster(a.Construct, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                 a.Vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	})
	platform := p.RuntimePlatform
	if platform == nil {
		platform = &awsecs.RuntimePlatform{
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
			CpuArchitecture:       awsecs.CpuArchitecture_X86_64(),
		}
	}
	a.TaskDefinition = awsecs.NewFargateTaskDefinition(a.Construct, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(p.cpu),
		MemoryLimitMiB:  jsii.Number(p.memory),
		RuntimePlatform: platform,
	})
	a.LogGroup = awslogs.NewLogGroup(a.Construct, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: p.logRetention,
	})
	environment, secrets := containerVariables(p)
	a.Container = a.TaskDefinition.AddContainer(jsii.String("App"), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(containerName),
		Image:         p.Image,
		Essential:     jsii.Bool(true),
		PortMappings: &[]*awsecs.PortMapping{{
			ContainerPort: jsii.Number(p.containerPort),
			Protocol:      awsecs.Protocol_TCP,
		}},
		Environment: &environment,
		Secrets:     &secrets,
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     a.LogGroup,
			StreamPrefix: jsii.String(containerName),
		}),
	})

	a.ServiceSecurityGroup = closedSecurityGroup(a.Construct, "ServiceSecurityGroup", a.Vpc, "privaterdsapi tasks: from the load balancer, to the endpoints, S3 and the database")
	a.Service = awsecs.NewFargateService(a.Construct, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:                a.Cluster,
		TaskDefinition:         a.TaskDefinition,
		DesiredCount:           jsii.Number(p.minCapacity),
		MinHealthyPercent:      jsii.Number(100),
		MaxHealthyPercent:      jsii.Number(200),
		AssignPublicIp:         jsii.Bool(false),
		VpcSubnets:             a.Subnets,
		SecurityGroups:         &[]awsec2.ISecurityGroup{a.ServiceSecurityGroup},
		PlatformVersion:        awsecs.FargatePlatformVersion_LATEST,
		HealthCheckGracePeriod: p.grace,
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		EnableExecuteCommand:   jsii.Bool(false),
	})
	a.TargetGroup.AddTarget(a.Service.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
		ContainerName: jsii.String(containerName),
		ContainerPort: jsii.Number(p.containerPort),
	}))
	// IP targets over TCP: the source the tasks see is the load balancer, so the exact
	// rule is "from the load balancer's security group". This writes the tasks' ingress
	// and the load balancer's egress.
	a.Service.Connections().AllowFrom(a.LoadBalancer, awsec2.Port_Tcp(jsii.Number(p.containerPort)),
		jsii.String("Traffic and health checks from the load balancer"))

	if p.Database != nil {
		port := p.Database.Connections().DefaultPort()
		if p.DatabasePort != nil {
			port = awsec2.Port_Tcp(p.DatabasePort)
		}
		// Written from the tasks' side so that the database's ingress rule lives in this
		// stack even when the database is in another one.
		a.Service.Connections().AllowTo(p.Database, port, jsii.String("The database, from the privaterdsapi tasks only"))
	}

	a.Scaling = a.Service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(p.minCapacity),
		MaxCapacity: jsii.Number(p.maxCapacity),
	})
	a.Scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(p.targetCpu),
	})
	a.suppressServiceFindings(p, len(environment) > 0)
}

// containerVariables returns the container's plain environment and its secrets: the
// database credentials always as secrets, the host, port and name as plain variables
// when they come from props or the database construct.
func containerVariables(p *settings) (map[string]*string, map[string]awsecs.Secret) {
	environment := map[string]*string{}
	secrets := map[string]awsecs.Secret{}
	if p.Environment != nil {
		for k, v := range *p.Environment {
			environment[k] = v
		}
	}
	if p.Secrets != nil {
		for k, v := range *p.Secrets {
			secrets[k] = v
		}
	}
	if p.DatabaseName != nil {
		environment["DB_NAME"] = p.DatabaseName
	}
	if p.DatabaseSecret == nil {
		return environment, secrets
	}
	field := func(key string) awsecs.Secret {
		return awsecs.Secret_FromSecretsManager(p.DatabaseSecret, jsii.String(key))
	}
	secrets["DB_USER"] = field("username")
	secrets["DB_PASSWORD"] = field("password")

	host, port := databaseEndpoint(p.Database)
	if p.DatabaseHost != nil {
		host = p.DatabaseHost
	}
	if p.DatabasePort != nil {
		port = jsii.String(strconv.FormatFloat(*p.DatabasePort, 'f', -1, 64))
	}
	if host != nil {
		environment["DB_HOST"] = host
	} else {
		secrets["DB_HOST"] = field("host")
	}
	if port != nil {
		environment["DB_PORT"] = port
	} else {
		secrets["DB_PORT"] = field("port")
	}
	return environment, secrets
}

// databaseEndpoint returns the host and port of an RDS instance or cluster, the host of
// a proxy, and nil for anything else.
func databaseEndpoint(db any) (host, port *string) {
	switch d := db.(type) {
	case awsrds.IDatabaseInstance:
		return d.DbInstanceEndpointAddress(), d.DbInstanceEndpointPort()
	case awsrds.IDatabaseCluster:
		return d.ClusterEndpoint().Hostname(), awscdk.Token_AsString(d.ClusterEndpoint().Port(), nil)
	case awsrds.IDatabaseProxy:
		return d.Endpoint(), nil
	}
	return nil, nil
}
