package privaterdsapi_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// The README's promises that no scenario exercised: each test below fails when its
// promise breaks.

// twoGroupVpc is a VPC of two availability zones with two isolated subnet groups, "app"
// and "db".
func twoGroupVpc(s awscdk.Stack) awsec2.Vpc {
	isolated := func(name string) *awsec2.SubnetConfiguration {
		return &awsec2.SubnetConfiguration{Name: jsii.String(name), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)}
	}
	return awsec2.NewVpc(s, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{isolated("app"), isolated("db")}})
}

func group(name string) *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetGroupName: jsii.String(name)}
}

// subnetsOf returns the logical ids of the template's subnets whose id starts with
// prefix, and of their route tables, sorted.
func subnetsOf(s *synthesized, prefix string) (subnets, routeTables []string) {
	for _, sn := range s.resources("AWS::EC2::Subnet") {
		if strings.HasPrefix(sn.id, prefix) {
			subnets = append(subnets, sn.id)
		}
	}
	for _, rt := range s.resources("AWS::EC2::RouteTable") {
		if strings.HasPrefix(rt.id, prefix) {
			routeTables = append(routeTables, rt.id)
		}
	}
	return subnets, routeTables
}

// refs returns ref of each element of the list v, sorted.
func refs(v any) []string {
	var out []string
	for _, x := range asAny(v) {
		out = append(out, ref(x))
	}
	sort.Strings(out)
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

func TestPromises(t *testing.T) {
	runMistakes(t, []mistake{
		// VpcSubnets: the tasks, the load balancer, the VPC link and (by default) the
		// interface endpoints are in the selected group's subnets, the S3 gateway on
		// their route tables; nothing is in the other group.
		{name: "VpcSubnets", check: func(t *testing.T, s *synthesized) {
			app, appRoutes := subnetsOf(s, "VpcappSubnet")
			if len(app) != 2 {
				t.Fatalf("app subnets %v", app)
			}
			sameList(t, "service subnets", refs(s.only(t, "AWS::ECS::Service", "Api").props["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)["Subnets"]), app)
			sameList(t, "load balancer subnets", refs(s.only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "Api").props["Subnets"]), app)
			sameList(t, "VPC link subnets", refs(s.only(t, "AWS::ApiGatewayV2::VpcLink", "Api").props["SubnetIds"]), app)
			n := 0
			for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
				n++
				if e.props["VpcEndpointType"] == "Gateway" {
					sameList(t, "S3 gateway route tables of "+e.id, refs(e.props["RouteTableIds"]), appRoutes)
				} else {
					sameList(t, "subnets of endpoint "+e.id, refs(e.props["SubnetIds"]), app)
				}
			}
			if n == 0 {
				t.Error("no endpoint")
			}
		}, build: oneApi(envStack, "Selected", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: twoGroupVpc(s), VpcSubnets: group("app")}
		})},
		// Two APIs with different subnets in one VPC: one S3 gateway endpoint, on the
		// route tables of both.
		{name: "S3 gateway on the route tables of two APIs", check: func(t *testing.T, s *synthesized) {
			_, appRoutes := subnetsOf(s, "VpcappSubnet")
			_, dbRoutes := subnetsOf(s, "VpcdbSubnet")
			var gateways []resource
			for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
				if e.props["VpcEndpointType"] == "Gateway" {
					gateways = append(gateways, e)
				}
			}
			if len(gateways) != 1 {
				t.Fatalf("%d S3 gateway endpoints, want 1", len(gateways))
			}
			all := append(append([]string{}, appRoutes...), dbRoutes...)
			sort.Strings(all)
			if len(all) != 4 {
				t.Fatalf("route tables %v, want 4", all)
			}
			sameList(t, "S3 gateway route tables", refs(gateways[0].props["RouteTableIds"]), all)
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			s := envStack(app, "TwoGroups")
			vpc := twoGroupVpc(s)
			first := api(s, "Orders", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, VpcSubnets: group("app")})
			second := api(s, "Billing", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, VpcSubnets: group("db"),
				EndpointSubnets: group("app")})
			return s, []*privaterdsapi.PrivateRdsApi{first, second}
		}},
		// An explicit HealthCheckTimeout reaches the target group.
		{name: "HealthCheckTimeout", check: func(t *testing.T, s *synthesized) {
			tg := s.only(t, "AWS::ElasticLoadBalancingV2::TargetGroup", "Api")
			if tg.props["HealthCheckTimeoutSeconds"] != float64(7) || tg.props["HealthCheckIntervalSeconds"] != float64(20) {
				t.Errorf("target group %s: HealthCheckTimeoutSeconds %v, HealthCheckIntervalSeconds %v, want 7 and 20",
					tg.id, tg.props["HealthCheckTimeoutSeconds"], tg.props["HealthCheckIntervalSeconds"])
			}
		}, build: oneApi(agnosticStack, "Timeout", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s),
				HealthCheckInterval: awscdk.Duration_Seconds(jsii.Number(20)), HealthCheckTimeout: awscdk.Duration_Seconds(jsii.Number(7))}
		})},
		// A Lambda authorizer on every method, the {proxy+} one too.
		{name: "Lambda authorizer", check: func(t *testing.T, s *synthesized) {
			authorizer := s.only(t, "AWS::ApiGateway::Authorizer", "Authorizer").id
			s.everyMethod(t, "AuthorizationType", "CUSTOM")
			s.everyMethod(t, "AuthorizerId", map[string]any{"Ref": authorizer})
			if got := strings.Join(s.paths(t), ", "); got != "/ ANY, /{proxy+} ANY" {
				t.Errorf("methods %s", got)
			}
		}, build: oneApi(agnosticStack, "LambdaAuth", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			fn := awslambda.NewFunction(s, jsii.String("AuthorizerFunction"), &awslambda.FunctionProps{
				Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"),
				Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({})"))})
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s),
				Authorizer: awsapigateway.NewTokenAuthorizer(s, jsii.String("Authorizer"), &awsapigateway.TokenAuthorizerProps{Handler: fn})}
		})},
		// A Cognito authorizer on every method.
		{name: "Cognito authorizer", check: func(t *testing.T, s *synthesized) {
			authorizer := s.only(t, "AWS::ApiGateway::Authorizer", "Authorizer").id
			s.everyMethod(t, "AuthorizationType", "COGNITO_USER_POOLS")
			s.everyMethod(t, "AuthorizerId", map[string]any{"Ref": authorizer})
		}, build: oneApi(agnosticStack, "CognitoAuth", func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
			pool := awscognito.NewUserPool(s, jsii.String("Users"), nil)
			return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s),
				Authorizer: awsapigateway.NewCognitoUserPoolsAuthorizer(s, jsii.String("Authorizer"),
					&awsapigateway.CognitoUserPoolsAuthorizerProps{CognitoUserPools: &[]awscognito.IUserPool{pool}})}
		})},
		// Each stack gets its own account role, and no stack refers to another's.
		{name: "an account role per stack", check: func(t *testing.T, s *synthesized) {
			second := synthesize(t, "First", &scenarios.Built{Stack: s.built.Stack.Node().Scope().Node().FindChild(jsii.String("RoleA")).(awscdk.Stack)})
			for _, tpl := range []*synthesized{s, second} {
				account := tpl.only(t, "AWS::ApiGateway::Account", privaterdsapi.AccountRoleId)
				role := tpl.only(t, "AWS::IAM::Role", privaterdsapi.AccountRoleId+"Role")
				if ref(account.props["CloudWatchRoleArn"]) != role.id+".Arn" {
					t.Errorf("%s: account %s uses %v, want its own stack's role %s", tpl.name, account.id, account.props["CloudWatchRoleArn"], role.id)
				}
				if b := mustJSON(tpl.json); strings.Contains(b, "Fn::ImportValue") {
					t.Errorf("%s imports a value from another stack", tpl.name)
				}
			}
			if deps := *s.built.Stack.Dependencies(); len(deps) != 0 {
				t.Errorf("the second stack depends on %d stacks", len(deps))
			}
		}, build: func(app awscdk.App) (awscdk.Stack, []*privaterdsapi.PrivateRdsApi) {
			first := agnosticStack(app, "RoleA")
			api(first, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(first)})
			second := agnosticStack(app, "RoleB")
			return second, []*privaterdsapi.PrivateRdsApi{api(second, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(second)})}
		}},
	})
}

// TestNewLinkRedeploysTheApi: a change that replaces the VPC link V2 (its subnets, which
// CloudFormation cannot update in place), or a change of link version, must give the API's
// deployment a new logical id, or the stage keeps serving the old deployment, whose
// integrations name the deleted link.
func TestNewLinkRedeploysTheApi(t *testing.T) {
	deployment := func(version privaterdsapi.VpcLinkVersion, subnets string) (deployment, link string) {
		app := awscdk.NewApp(nil)
		s := envStack(app, "Link")
		api(s, "Api", &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: twoGroupVpc(s), VpcSubnets: group(subnets),
			EndpointSubnets: group("app"), VpcLinkVersion: version})
		tpl := synthesize(t, "Link", &scenarios.Built{Stack: s})
		d := tpl.only(t, "AWS::ApiGateway::Deployment", "Api")
		typ := "AWS::ApiGatewayV2::VpcLink"
		if version == privaterdsapi.VpcLinkV1 {
			typ = "AWS::ApiGateway::VpcLink"
		}
		return d.id, mustJSON(tpl.only(t, typ, "Api").props)
	}
	before, linkBefore := deployment(privaterdsapi.VpcLinkV2, "app")
	after, linkAfter := deployment(privaterdsapi.VpcLinkV2, "db")
	if linkBefore == linkAfter {
		t.Fatalf("the link is the same in both subnet groups: the test proves nothing")
	}
	if before == after {
		t.Errorf("the deployment keeps its logical id %s when the link moves to other subnets:\n%s\n%s", before, linkBefore, linkAfter)
	}
	if v1, _ := deployment(privaterdsapi.VpcLinkV1, "app"); v1 == func() string { d, _ := deployment(privaterdsapi.VpcLinkV2, "app"); return d }() {
		t.Errorf("the deployment keeps its logical id %s when the link changes from V2 to V1", v1)
	}
}

// TestDatabasePromises: a CDK-made Aurora cluster and an RDS proxy as Database (rules on
// both sides, DB_HOST and DB_PORT from the database), and the secret's host and port
// keys when nothing else knows them.
func TestDatabasePromises(t *testing.T) {
	secretArn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf"
	network := func(s awscdk.Stack) awsec2.IVpc {
		return privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc
	}
	for _, c := range []databaseCase{
		{name: "a DatabaseCluster",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				vpc := network(s)
				cluster := awsrds.NewDatabaseCluster(s, jsii.String("Cluster"), &awsrds.DatabaseClusterProps{
					Engine: awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{Version: awsrds.AuroraPostgresEngineVersion_VER_16_6()}),
					Writer: awsrds.ClusterInstance_ServerlessV2(jsii.String("Writer"), nil),
					Vpc:    vpc, VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
					StorageEncrypted: jsii.Bool(true),
				})
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, Database: cluster, DatabaseSecret: cluster.Secret()}
			},
			check: func(t *testing.T, s *synthesized) {
				cluster := s.only(t, "AWS::RDS::DBCluster", "Cluster").id
				envVar(t, s, "DB_HOST", map[string]any{"Fn::GetAtt": []any{cluster, "Endpoint.Address"}})
				envVar(t, s, "DB_PORT", map[string]any{"Fn::GetAtt": []any{cluster, "Endpoint.Port"}})
				bothSides(t, s, s.only(t, "AWS::EC2::SecurityGroup", "ClusterSecurityGroup").id+".GroupId", cluster+".Endpoint.Port")
			}},
		{name: "a DatabaseProxy",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				vpc := network(s)
				db := scenarios.Postgres(s, vpc)
				proxy := awsrds.NewDatabaseProxy(s, jsii.String("Proxy"), &awsrds.DatabaseProxyProps{
					ProxyTarget: awsrds.ProxyTarget_FromInstance(db), Secrets: &[]awssecretsmanager.ISecret{db.Secret()},
					Vpc: vpc, VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}, RequireTLS: jsii.Bool(true),
				})
				// A proxy's connections have no default port: DatabasePort is required.
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: vpc, Database: proxy, DatabaseSecret: db.Secret(),
					DatabasePort: jsii.Number(5432)}
			},
			check: func(t *testing.T, s *synthesized) {
				proxy := s.only(t, "AWS::RDS::DBProxy", "Proxy")
				envVar(t, s, "DB_HOST", map[string]any{"Fn::GetAtt": []any{proxy.id, "Endpoint"}})
				groups := refs(proxy.props["VpcSecurityGroupIds"])
				if len(groups) != 1 {
					t.Fatalf("proxy security groups %v", groups)
				}
				bothSides(t, s, groups[0], "5432")
				envVar(t, s, "DB_PORT", "5432")
			}},
		{name: "the secret's host and port keys",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database:       awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}, DefaultPort: awsec2.Port_Tcp(jsii.Number(5432))}),
					DatabaseSecret: awssecretsmanager.Secret_FromSecretCompleteArn(s, jsii.String("Secret"), jsii.String(secretArn))}
			},
			check: func(t *testing.T, s *synthesized) {
				env, secrets := container(t, s)
				for _, k := range []string{"DB_HOST", "DB_PORT"} {
					if _, plain := env[k]; plain {
						t.Errorf("%s in the plain environment (%v): nothing knows it but the secret", k, env[k])
					}
				}
				for k, key := range map[string]string{"DB_HOST": "host", "DB_PORT": "port", "DB_USER": "username", "DB_PASSWORD": "password"} {
					if got := mustJSON(secrets[k]); got != `"`+secretArn+`:`+key+`::"` {
						t.Errorf("%s = %s, want the secret's %s key", k, got, key)
					}
				}
			}},
	} {
		t.Run(c.name, c.run)
	}
}
