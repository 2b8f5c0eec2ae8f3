// Command basic is a complete CDK app that uses privaterdsapi: a small JSON API over
// PostgreSQL in ./app, run on ECS Fargate in a VPC with no internet path, reachable only
// through API Gateway, and connected to an RDS PostgreSQL database over verified TLS.
//
// Synthesize it with `npx aws-cdk@2.1148.1 synth` from this directory (see README.md).
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	NewExampleStack(app, "PrivateRdsApiExample", &awscdk.StackProps{Env: env()})
	app.Synth(nil)
}

const (
	// databaseName is the PostgreSQL database RDS creates, and the DB_NAME the app sees.
	databaseName = "app"
	// containerPort is the port the app listens on (privaterdsapi tells it so in PORT) and
	// the port the task maps, the load balancer targets and checks.
	containerPort = 8080
	// stageName is the API's stage: the first segment of the URL path, and API_STAGE for the
	// app (set by privaterdsapi), which serves /<stage>/items as /items (see README.md, "The
	// stage name").
	stageName = "prod"
	// iamUser is the database user of the IAM variants (context databaseAuth=iam or
	// proxy): CREATE USER app_iam; GRANT rds_iam TO app_iam; and its privileges on the
	// database, made once as the master user.
	iamUser = "app_iam"
)

// NewExampleStack builds the whole example in one stack.
func NewExampleStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	// 1. The network: a VPC with only isolated subnets (no internet gateway, no NAT
	//    gateway) and a flow log. It is created here, rather than left to the API
	//    construct, so that the database can be put in it first.
	network := privaterdsapi.NewIsolatedVpc(stack, jsii.String("Network"), nil)

	// 2. The database: a small PostgreSQL instance in the isolated subnets. CDK generates
	//    the master password into a Secrets Manager secret (with the host and port added
	//    to it); nobody ever types or sees it.
	db := awsrds.NewDatabaseInstance(stack, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
			Version: awsrds.PostgresEngineVersion_VER_17_9(),
		}),
		InstanceType:     awsec2.InstanceType_Of(awsec2.InstanceClass_T4G, awsec2.InstanceSize_MICRO),
		Vpc:              network.Vpc,
		VpcSubnets:       &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		Credentials:      awsrds.Credentials_FromGeneratedSecret(jsii.String("app_user"), nil),
		DatabaseName:     jsii.String(databaseName),
		StorageEncrypted: jsii.Bool(true),
		// Small and cheap for an example: one AZ and the smallest volume (20 GiB). Raise
		// both for production, and consider DeletionProtection. The subnet group still
		// spans two AZs, as RDS requires: keep the VPC's MaxAzs at 2 or more.
		MultiAz:          jsii.Bool(false),
		AllocatedStorage: jsii.Number(20),
		// Daily automated backups, kept a week (RDS's own default is one day).
		BackupRetention: awscdk.Duration_Days(jsii.Number(7)),
		// `cdk destroy` deletes the instance but keeps a final snapshot (CDK's default for
		// databases). Use awscdk.RemovalPolicy_DESTROY for a throwaway stack.
		RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT,
	})

	// 3. The API: API Gateway -> VPC link -> internal Network Load Balancer -> Fargate,
	//    with the VPC endpoints the tasks need to pull the image, write logs and read
	//    the secret without internet.
	apiProps := &privaterdsapi.PrivateRdsApiProps{
		// The image is built by `cdk deploy` from ./app (path relative to this directory,
		// where cdk.json is) with your local Docker, and pushed to the CDK bootstrap ECR
		// repository. The tasks run on X86_64 by default, so build for linux/amd64 also on
		// an ARM machine such as Apple Silicon.
		Image: awsecs.ContainerImage_FromAsset(jsii.String("app"), &awsecs.AssetImageProps{
			Platform: awsecrassets.Platform_LINUX_AMD64(),
		}),
		Vpc:           network.Vpc,
		ContainerPort: jsii.Number(containerPort),
		StageName:     jsii.String(stageName),
		// No Environment: the construct sets PORT (ContainerPort), API_STAGE (StageName) and
		// the database settings (DB_HOST, DB_PORT, DB_NAME, and DB_USER and DB_PASSWORD as
		// secrets). The app verifies the database's certificate against the RDS CA bundle in
		// its image (DB_SSLMODE verify-full and DB_SSLROOTCERT keep their defaults).
		// Database opens PostgreSQL's port on the database from the tasks, and only from
		// them; DB_HOST and DB_PORT come from it.
		Database: db,
		// The generated secret is injected as ECS secrets DB_USER and DB_PASSWORD, never as
		// plain environment.
		DatabaseSecret: db.Secret(),
		DatabaseName:   jsii.String(databaseName),
		// The app answers GET /healthz with 200 while it runs, without asking the database:
		// let the load balancer check that instead of only opening a TCP connection. (Not
		// /readyz: a database outage would then make the load balancer drop every task.)
		HealthCheckPath: jsii.String("/healthz"),
		// The image's user (distroless "nonroot", 65532), stated in the task definition as
		// AWS Control Tower's CT.ECS.PR.3 asks. The root filesystem is read-only by default;
		// the app writes no file.
		User: jsii.String("65532:65532"),
	}
	// 4. Optionally, IAM database authentication instead of the password (README, "IAM
	//    database authentication"): `cdk deploy -c databaseAuth=iam`, or
	//    `-c databaseAuth=proxy` for an RDS Proxy in between. The app then signs a token per
	//    connection as iamUser, which must exist first (see README).
	switch stack.Node().TryGetContext(jsii.String("databaseAuth")) {
	case "iam", "proxy":
		apiProps.DatabaseSecret = nil
		apiProps.DatabaseIamAuth = jsii.Bool(true)
		apiProps.DatabaseUser = jsii.String(iamUser)
		apiProps.DatabaseProxy = jsii.Bool(stack.Node().TryGetContext(jsii.String("databaseAuth")) == "proxy")
	}
	privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), apiProps)
	// No CfnOutput is needed: the REST API already outputs its URL, which `cdk deploy`
	// prints as PrivateRdsApiExample.ApiRestApiEndpoint4DEFB5CC (the suffix is a hash of
	// the construct path "Api/RestApi/Endpoint", so it is the same on every deploy).

	return stack
}

// env makes the stack environment-specific when the CDK CLI knows the account and region
// (it sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION from your AWS profile), and
// environment-agnostic otherwise, for example when synthesizing without credentials.
// To pin the stack to one place, return an Environment with literal values instead.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
