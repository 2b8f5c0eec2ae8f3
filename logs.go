package privaterdsapi

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// LogGroupNamePrefix starts the names of the construct's log groups when they are
// encrypted with a customer managed key (LogEncryptionKey): the key's policy names them,
// which it can do without a dependency cycle only through names it knows beforehand.
// The full name is LogGroupNamePrefix + "<stack name>/<construct path in the stack>/<kind>",
// unique per stack (a stack name is unique in its account and region) and per construct.
const LogGroupNamePrefix = "/privaterdsapi/"

// newLogGroup creates one of the construct's log groups under scope: kept for retention
// and, with a key, encrypted with it under a name the key's policy allows.
func newLogGroup(scope constructs.Construct, id, kind string, retention awslogs.RetentionDays, key awskms.IKey) awslogs.LogGroup {
	props := &awslogs.LogGroupProps{Retention: retention}
	if key != nil {
		name := logGroupName(scope, kind)
		props.LogGroupName = jsii.String(name)
		props.EncryptionKey = key
		allowLogs(scope, key, name)
	}
	return awslogs.NewLogGroup(scope, jsii.String(id), props)
}

var notInLogGroupName = regexp.MustCompile(`[^A-Za-z0-9_./#-]+`)

// logGroupName is LogGroupNamePrefix + "<stack name>/<path of scope in its stack>/<kind>",
// with characters that log group names do not allow written as "-".
func logGroupName(scope constructs.IConstruct, kind string) string {
	stack := awscdk.Stack_Of(scope)
	rel := pathInStack(*scope.Node().Path(), *stack.Node().Path()) // endpoints.go
	return LogGroupNamePrefix + *stack.StackName() + "/" + notInLogGroupName.ReplaceAllString(rel, "-") + "/" + kind
}

// allowLogs adds to key's policy the statement that CloudWatch Logs needs to encrypt the
// log group called name: the service principal of the region, the documented actions,
// and the log group's ARN as encryption context, so that the key serves this log group
// only. An imported key's policy cannot be changed: the construct warns, with the
// statement to add.
func allowLogs(scope constructs.IConstruct, key awskms.IKey, name string) {
	// Unscoped pseudo parameters: they resolve in the key's stack, whichever it is,
	// without a cross-stack reference.
	arn := "arn:" + *awscdk.Aws_PARTITION() + ":logs:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":log-group:" + name
	statement := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*awscdk.Aws_REGION()+"."+*awscdk.Aws_URL_SUFFIX()), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"kms:EncryptionContext:aws:logs:arn": arn}},
	})
	if added := key.AddToResourcePolicy(statement, jsii.Bool(true)); added == nil || added.StatementAdded == nil || !*added.StatementAdded {
		warn(scope, "privaterdsapi:logKeyPolicy", fmt.Sprintf(
			"LogEncryptionKey is imported, so its key policy cannot be changed here: allow the service logs.<region>.amazonaws.com the actions kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* with the condition ArnEquals kms:EncryptionContext:aws:logs:arn = arn:<partition>:logs:<region>:<account>:log-group:%s, or creating the log group fails.",
			name))
	}
}
