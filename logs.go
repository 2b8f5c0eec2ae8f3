package privaterdsapi

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// LogGroupNamePrefix started the names that versions up to 0.2 gave the construct's log
// groups encrypted with LogEncryptionKey (/privaterdsapi/<stack>/<path>/<kind>).
//
// Deprecated: no log group of the construct has a fixed name any more (a fixed name and
// CDK's Retain made `cdk deploy` fail with "already exists" after `cdk destroy`).
// CloudFormation names each one <stack name>-<logical id>-<random suffix>, and the key's
// policy allows that pattern (see LogEncryptionKey).
const LogGroupNamePrefix = "/privaterdsapi/"

// newLogGroup creates one of the construct's log groups under scope: unnamed, kept on
// delete (CDK's default) for its retention and, with a key, encrypted with it.
func newLogGroup(scope constructs.Construct, id string, retention awslogs.RetentionDays, key awskms.IKey) awslogs.LogGroup {
	lg := awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{Retention: retention, EncryptionKey: key})
	if key != nil {
		allowLogs(lg, key)
	}
	return lg
}

// allowLogs adds to key's policy the statement that CloudWatch Logs needs to encrypt the
// log group lg: the service principal of the region, the documented actions, and, as
// encryption context, the ARN that CloudFormation's name for lg will have. The
// AWS::Logs::LogGroup handler names an unnamed log group <stack name>-<logical id>-<12
// letters or digits> (aws-cloudformation-resource-providers-logs, CreateHandler; the
// prefix is cut only beyond 499 characters, and a stack name has at most 128, a logical ID
// at most 255), so the condition is ArnLike on that name with "*" for the suffix: the
// statement serves this log group, and could serve only another log group whose name
// someone chose to start the same way. Naming the log group (or using its ARN) would be
// exact, but the name would collide after `cdk destroy` and the ARN is a dependency
// cycle. An imported key's policy cannot be changed: the construct warns, with the
// statement to add.
func allowLogs(lg awslogs.LogGroup, key awskms.IKey) {
	stack := awscdk.Stack_Of(lg)
	logicalId := lg.Node().DefaultChild().(awscdk.CfnElement).LogicalId()
	name := *stack.StackName() + "-" + *logicalId + "-*"
	// Unscoped pseudo parameters: they resolve in the key's stack, whichever it is,
	// without a cross-stack reference (the logical ID is a plain string once resolved).
	arn := "arn:" + *awscdk.Aws_PARTITION() + ":logs:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":log-group:" + name
	statement := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*awscdk.Aws_REGION()+"."+*awscdk.Aws_URL_SUFFIX()), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": arn}},
	})
	if added := key.AddToResourcePolicy(statement, jsii.Bool(true)); added == nil || added.StatementAdded == nil || !*added.StatementAdded {
		warn(lg.Node().Scope(), "privaterdsapi:logKeyPolicy", fmt.Sprintf(
			"LogEncryptionKey is imported, so its key policy cannot be changed here: allow the service logs.<region>.amazonaws.com the actions kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* with the condition ArnLike kms:EncryptionContext:aws:logs:arn = arn:<partition>:logs:<region>:<account>:log-group:%v, or creating the log group fails.",
			stack.Resolve(jsii.String(name))))
	}
}
