package privaterdsapi

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// buildApi creates the REST API with ANY / and ANY /{proxy+} proxied through the VPC
// link to the load balancer, the stage with access and execution logging and
// throttling, the request validator, and the optional WAF association.
func (a *PrivateRdsApi) buildApi(p *settings) {
	if p.createAccountRole {
		a.AccountRole = accountRoleOf(a.stack)
	}
	a.AccessLogGroup = newLogGroup(a.Construct, "AccessLogGroup", p.logRetention, p.logKey) // logs.go
	var tracing *bool                                                                       // written only when on, so that the default template has no TracingEnabled
	if p.tracing {
		tracing = jsii.Bool(true)
	}
	a.RestApi = awsapigateway.NewRestApi(a.Construct, jsii.String("RestApi"), &awsapigateway.RestApiProps{
		RestApiName:    jsii.String(a.restApiName()),
		Description:    jsii.String("privaterdsapi: a private container API in front of RDS"),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole: jsii.Bool(false),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(p.stageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(a.AccessLogGroup),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(true), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true),
				Protocol: jsii.Bool(true), RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true),
				ResponseLength: jsii.Bool(true), Status: jsii.Bool(true), User: jsii.Bool(true),
			}),
			LoggingLevel:         p.loggingLevel,
			DataTraceEnabled:     jsii.Bool(false), // never log request and response bodies
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       tracing,
			ThrottlingRateLimit:  jsii.Number(p.rateLimit),
			ThrottlingBurstLimit: jsii.Number(p.burstLimit),
		},
	})
	stage := a.RestApi.DeploymentStage()
	stageNode := stage.Node()
	if a.AccountRole != nil {
		stageNode.AddDependency(a.AccountRole.Account)
	}

	if p.linkVersion == VpcLinkV1 {
		a.buildVpcLinkV1()
	} else {
		a.buildVpcLinkV2()
	}

	a.RequestValidator = a.RestApi.AddRequestValidator(jsii.String("RequestValidator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestBody:       jsii.Bool(true),
		ValidateRequestParameters: jsii.Bool(true),
	})
	first := a.Services[0]
	methods := a.routes(first, p)
	a.RootMethod, a.ProxyMethod = first.Method, first.ProxyMethod
	if p.linkVersion == VpcLinkV2 {
		// Overrides are not part of the deployment's hash: add them, so that a change of
		// link or load balancer deploys the API again (the routes and their URIs are in the
		// hash already). The link's ID is a Ref, the same when CloudFormation replaces the
		// link for new subnets (SubnetIds requires replacement): the link's subnets are in
		// the hash too. (Its security group is the construct's own.)
		link := a.VpcLinkV2.Node().DefaultChild().(awsapigatewayv2.CfnVpcLink)
		a.RestApi.LatestDeployment().AddToLogicalId(map[string]any{
			"vpcLinkV2":         a.VpcLinkId,
			"integrationTarget": a.integrationTarget(),
			"vpcLinkSubnetIds":  link.SubnetIds(),
		})
	}

	if p.webAclArn != nil {
		awswafv2.NewCfnWebACLAssociation(a.Construct, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
			ResourceArn: stage.StageArn(),
			WebAclArn:   p.webAclArn,
		})
	}
	a.Url = a.RestApi.Url()
	a.suppressApiFindings(p, stageNode.DefaultChild().(awscdk.CfnResource), methods) // nag.go
}

// routes gives the service srv its methods: ANY <PathPrefix> and ANY
// <PathPrefix>/{proxy+} (ANY / and ANY /{proxy+} for the first service), proxied through
// the VPC link to the service's listener with the path unchanged, and, with a VPC link V2,
// lets the link reach that listener. It returns the methods' CfnMethods.
func (a *PrivateRdsApi) routes(srv *ApiService, p *settings) []awsapigateway.CfnMethod {
	if p.linkVersion == VpcLinkV2 {
		a.LoadBalancer.Connections().AllowFrom(a.VpcLinkSecurityGroup, awsec2.Port_Tcp(jsii.Number(p.listenerPort)),
			jsii.String("Requests from the API Gateway VPC link"))
	}
	// CDK's own VPC link URI is http://<dns> with no port: name the listener port and map
	// the proxy path explicitly, so that every path and the query reach the container.
	base := "http://" + *a.LoadBalancer.LoadBalancerDnsName() + ":" + *portString(p.listenerPort)
	var link awsapigateway.VpcLink
	if a.VpcLinkV1 != nil {
		link = a.VpcLinkV1
	}
	resource, path := a.RestApi.Root(), "/"
	if !srv.first() {
		resource, path = a.RestApi.Root().ResourceForPath(jsii.String(srv.PathPrefix)), srv.PathPrefix
	}
	srv.Resource = resource
	srv.Method = resource.AddMethod(jsii.String("ANY"),
		proxyIntegration(base+path, link, nil), a.methodOptions(p, nil))
	proxy := resource.AddResource(jsii.String("{proxy+}"), nil)
	srv.ProxyMethod = proxy.AddMethod(jsii.String("ANY"),
		proxyIntegration(base+strings.TrimSuffix(path, "/")+"/{proxy}", link, &map[string]*string{
			"integration.request.path.proxy": jsii.String("method.request.path.proxy"),
		}),
		a.methodOptions(p, &map[string]*bool{"method.request.path.proxy": jsii.Bool(true)}))
	methods := []awsapigateway.CfnMethod{
		srv.Method.Node().DefaultChild().(awsapigateway.CfnMethod),
		srv.ProxyMethod.Node().DefaultChild().(awsapigateway.CfnMethod),
	}
	if p.linkVersion == VpcLinkV2 {
		a.useVpcLinkV2(methods)
	}
	return methods
}

// addRoutes gives an added service its routes (see routes) and their cdk-nag
// suppressions.
func (a *PrivateRdsApi) addRoutes(srv *ApiService, p *settings) {
	suppressMethodFindings(p, a.routes(srv, p)) // nag.go
}

// restApiName is the REST API's name: the stack's name and the construct's path in it
// ("Orders-Api"), unique in an account and region (as stack names are). API Gateway
// names its CloudWatch metrics by the API's name and stage (dimensions ApiName and Stage),
// so two APIs of one name would share their metrics and alarms (CDK's default name is the
// construct id, "RestApi", for every PrivateRdsApi).
func (a *PrivateRdsApi) restApiName() string {
	rel := a.relPath
	if rel == "" {
		rel = pathInStack(*a.Node().Path(), *a.stack.Node().Path()) // endpoints.go
	}
	return *a.stack.StackName() + "-" + strings.ReplaceAll(rel, "/", "-")
}

func (a *PrivateRdsApi) buildVpcLinkV1() {
	a.VpcLinkV1 = awsapigateway.NewVpcLink(a.Construct, jsii.String("VpcLink"), &awsapigateway.VpcLinkProps{
		Description: jsii.String("privaterdsapi: REST API to the internal Network Load Balancer"),
		Targets:     &[]elbv2.INetworkLoadBalancer{a.LoadBalancer},
	})
	a.VpcLinkId = a.VpcLinkV1.VpcLinkId()
}

func (a *PrivateRdsApi) buildVpcLinkV2() {
	a.VpcLinkSecurityGroup = closedSecurityGroup(a.Construct, "VpcLinkSecurityGroup", a.Vpc, "privaterdsapi VPC link V2: to the load balancer listener only")
	a.VpcLinkV2 = awsapigatewayv2.NewVpcLink(a.Construct, jsii.String("VpcLinkV2"), &awsapigatewayv2.VpcLinkProps{
		Vpc:            a.Vpc,
		Subnets:        a.Subnets,
		SecurityGroups: &[]interfacesawsec2.ISecurityGroupRef{a.VpcLinkSecurityGroup},
	})
	a.VpcLinkId = a.VpcLinkV2.VpcLinkId()
}

// useVpcLinkV2 points the methods at the VPC link V2. aws-cdk's Integration accepts only
// a V1 link, so the V2 connection is set on each CfnMethod: connection type, link ID and
// the load balancer as integration target, in one override that CDK deep-merges into the
// rendered Integration. The integration target is the load balancer (the listener is
// chosen by the URI's port).
func (a *PrivateRdsApi) useVpcLinkV2(methods []awsapigateway.CfnMethod) {
	connection := map[string]any{"ConnectionType": "VPC_LINK", "ConnectionId": a.VpcLinkId, "IntegrationTarget": a.integrationTarget()}
	for _, cfn := range methods {
		cfn.AddPropertyOverride(jsii.String("Integration"), connection)
	}
}

// integrationTarget is the load balancer's ARN, read once.
func (a *PrivateRdsApi) integrationTarget() *string {
	if a.loadBalancerArn == nil {
		a.loadBalancerArn = a.LoadBalancer.LoadBalancerArn()
	}
	return a.loadBalancerArn
}

func proxyIntegration(uri string, link awsapigateway.VpcLink, params *map[string]*string) awsapigateway.Integration {
	options := &awsapigateway.IntegrationOptions{RequestParameters: params}
	if link != nil {
		options.ConnectionType = awsapigateway.ConnectionType_VPC_LINK
		options.VpcLink = link
	}
	return awsapigateway.NewIntegration(&awsapigateway.IntegrationProps{
		Type:                  awsapigateway.IntegrationType_HTTP_PROXY,
		IntegrationHttpMethod: jsii.String("ANY"),
		Uri:                   jsii.String(uri),
		Options:               options,
	})
}

func (a *PrivateRdsApi) methodOptions(p *settings, params *map[string]*bool) *awsapigateway.MethodOptions {
	o := &awsapigateway.MethodOptions{
		RequestValidator:  a.RequestValidator,
		RequestParameters: params,
	}
	if p.authorizer != nil {
		o.Authorizer = p.authorizer
	} else {
		o.AuthorizationType = p.authorizationType
	}
	return o
}

// AccountRoleId is the construct id, under the stack, of the API Gateway account role
// that every PrivateRdsApi in the stack shares.
const AccountRoleId = "PrivateRdsApiGatewayAccount"

// ApiGatewayAccountRole is API Gateway's account-level CloudWatch role
// (AWS::ApiGateway::Account), which execution and access logging need. It exists once
// per account and region; the construct makes one per stack, with an inline policy (no
// managed policy), and retains both on delete, so that deleting one stack never leaves
// another stack's API pointing at a deleted role.
type ApiGatewayAccountRole struct {
	constructs.Construct
	// Role is the role API Gateway assumes to write logs.
	Role awsiam.Role
	// Account sets the role as the account's CloudWatch role.
	Account awsapigateway.CfnAccount
}

// ToString is the role's construct path. It makes the Go struct the construct's own
// object in jsii (an overriding method, see constructs.NewConstruct_Override), so that
// the stack's tree gives it back.
func (r *ApiGatewayAccountRole) ToString() *string { return r.Node().Path() }

// accountRoleOf returns the account role of stack, created on first use: the stack's
// child with id AccountRoleId, found in the tree (no state outside the app).
func accountRoleOf(stack awscdk.Stack) *ApiGatewayAccountRole {
	if r, ok := stack.Node().TryFindChild(jsii.String(AccountRoleId)).(*ApiGatewayAccountRole); ok {
		return r
	}
	r := &ApiGatewayAccountRole{}
	constructs.NewConstruct_Override(r, stack, jsii.String(AccountRoleId))
	logs := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("*")})
	r.Role = awsiam.NewRole(r.Construct, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("API Gateway account role: writes execution and access logs to CloudWatch Logs"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			// One jsii call for the document and its statement.
			"PushToCloudWatchLogs": awsiam.PolicyDocument_FromJson(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Allow",
				"Action": []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
					"logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"},
				"Resource": *logs,
			}}}),
		},
	})
	r.Role.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	r.Account = awsapigateway.NewCfnAccount(r.Construct, jsii.String("Account"), &awsapigateway.CfnAccountProps{
		CloudWatchRoleArn: r.Role.RoleArn(),
	})
	r.Account.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	suppress(cfn(r.Role), nagRule{"AwsSolutions-IAM5",
		"API Gateway names its execution log groups itself (API-Gateway-Execution-Logs_<api>/<stage>) at run time, and the account-level role serves every API in the account and region: it needs the logs actions on all log groups of this account and region, and nothing else.",
		[]any{map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:logs:.*:\\*$/"}}})
	return r
}
