package privaterdsapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NagMetadataKey is the resource metadata key cdk-nag reads suppressions from. The
// construct carries its deliberate, justified suppressions there, so that users' own
// cdk-nag runs are clean without depending on cdk-nag here.
const NagMetadataKey = "cdk_nag"

// nagRule is one cdk-nag suppression: a rule id, the reason, and optionally the
// findings (such as "Resource::*") it applies to.
type nagRule struct {
	id, reason string
	appliesTo  []any
}

// suppress writes rules as the cdk_nag metadata of res. Each resource gets all its rules
// in one call (the construct's resources have no other cdk_nag metadata), which spares a
// read of the metadata.
func suppress(res awscdk.CfnResource, rules ...nagRule) {
	list := make([]any, 0, len(rules))
	for _, r := range rules {
		entry := map[string]any{"id": r.id, "reason": r.reason}
		if len(r.appliesTo) > 0 {
			entry["applies_to"] = r.appliesTo
		}
		list = append(list, entry)
	}
	res.AddMetadata(jsii.String(NagMetadataKey), map[string]any{"rules_to_suppress": list})
}

// cfn is the CloudFormation resource of an L2 construct.
func cfn(c constructs.IConstruct) awscdk.CfnResource {
	return c.Node().DefaultChild().(awscdk.CfnResource)
}

// suppressServiceFindings carries the deliberate choices of fargate.go for a service.
func (srv *ApiService) suppressServiceFindings(p *settings, plainEnvironment bool) {
	if policy := srv.TaskDefinition.ExecutionRole().Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		suppress(cfn(policy), nagRule{"AwsSolutions-IAM5",
			"ecr:GetAuthorizationToken has no resource-level permissions: IAM accepts only \"*\" for it. Every other statement of the execution role names its repository, log group or secret.",
			[]any{"Resource::*"}})
	}
	if p.exec {
		if policy := srv.TaskDefinition.TaskRole().Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
			suppress(cfn(policy), nagRule{"AwsSolutions-IAM5",
				"ECS Exec (EnableExecuteCommand): the ssmmessages actions and logs:DescribeLogGroups have no resource-level permissions, so IAM accepts only \"*\" for them; the session log statement names the container's log group and its streams (\":*\"), which ECS Exec creates at run time.",
				[]any{"Resource::*", map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:logs:.*:log-group:<.*LogGroup[0-9A-F]+>:\\*$/"}}})
		}
	}
	if plainEnvironment {
		suppress(cfn(srv.TaskDefinition), nagRule{"AwsSolutions-ECS2",
			"The plain environment holds only non-secret configuration (PORT, API_STAGE, DB_HOST, DB_PORT, DB_NAME and the Environment prop, documented as not for secrets); database credentials and the Secrets prop are injected as ECS secrets from Secrets Manager or SSM.",
			nil})
	}
}

// suppressSharedFindings carries the deliberate choices of fargate.go and nlb.go for the
// parts the services share: the cluster and the load balancer.
func (a *PrivateRdsApi) suppressSharedFindings(p *settings) {
	if !p.insights {
		suppress(cfn(a.Cluster), nagRule{"AwsSolutions-ECS4",
			"Container Insights is off by choice (ContainerInsights: false), to save its metrics' cost, for example in development; the service's own CloudWatch metrics (CPU, memory) and the container's logs remain. Set ContainerInsights to true to turn it on.",
			nil})
	}
	if p.accessLogsBucket == nil {
		suppress(cfn(a.LoadBalancer), nagRule{"AwsSolutions-ELB2",
			"A Network Load Balancer writes access logs only for TLS listeners; this one has a TCP listener, so logs would stay empty. Requests are logged by the API Gateway stage's access log, and flows by the VPC flow log. Set LoadBalancerAccessLogsBucket to turn them on anyway.",
			nil})
	}
}

// suppressApiFindings carries the deliberate choices of gateway.go.
func (a *PrivateRdsApi) suppressApiFindings(p *settings, stage awscdk.CfnResource, methods []awsapigateway.CfnMethod) {
	if p.webAclArn == nil {
		suppress(stage, nagRule{"AwsSolutions-APIG3",
			"AWS WAF is billed per web ACL and rule and its rules depend on the application; associate one with the WebAclArn prop.",
			nil})
	}
	suppressMethodFindings(p, methods)
}

// suppressMethodFindings carries the deliberate choices of gateway.go for the methods.
func suppressMethodFindings(p *settings, methods []awsapigateway.CfnMethod) {
	public := p.authorizer == nil && p.authorizationType == awsapigateway.AuthorizationType_NONE
	cognito := p.authorizer != nil && p.authorizer.AuthorizationType() == awsapigateway.AuthorizationType_COGNITO
	for _, m := range methods {
		var rules []nagRule
		if public {
			rules = append(rules, nagRule{"AwsSolutions-APIG4",
				"The API is public by choice (no Authorizer or AuthorizationType prop was given); the application authenticates its callers itself. Set Authorizer or AuthorizationType to have API Gateway authorize requests.",
				nil})
		}
		if !cognito {
			rules = append(rules, nagRule{"AwsSolutions-COG4",
				"Authorization is the user's choice of Authorizer or AuthorizationType (IAM, a Lambda authorizer, or none for a public API); a Cognito user pool is one option, not a requirement.",
				nil})
		}
		if len(rules) > 0 {
			suppress(m, rules...)
		}
	}
}
