package privaterdsapi_test

// Issue 17: IAM database authentication and RDS Proxy, asserted on the synthesized
// templates of the IamAuth and Proxy scenarios and on the errors of bad props.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// containerEnv is the container's plain environment by name, and the names of its ECS
// secrets.
func containerEnv(t *testing.T, s *synthesized) (map[string]string, []string) {
	t.Helper()
	td := s.only(t, "AWS::ECS::TaskDefinition", "ApiTaskDefinition")
	c := td.props["ContainerDefinitions"].([]any)[0].(map[string]any)
	env := map[string]string{}
	for _, e := range asList(c["Environment"]) {
		env[e["Name"].(string)] = ref(e["Value"])
	}
	var secrets []string
	for _, e := range asList(c["Secrets"]) {
		secrets = append(secrets, e["Name"].(string))
	}
	return env, secrets
}

// statements are the policy statements of the policies attached to a role (by the role's
// logical id prefix), as JSON.
func statements(t *testing.T, s *synthesized, rolePrefix string) []string {
	t.Helper()
	var out []string
	for _, p := range s.resources("AWS::IAM::Policy") {
		for _, r := range p.props["Roles"].([]any) {
			if strings.HasPrefix(ref(r), rolePrefix) {
				for _, st := range asList(p.props["PolicyDocument"].(map[string]any)["Statement"]) { // privaterdsapi_test.go
					b, _ := json.Marshal(st)
					out = append(out, string(b))
				}
			}
		}
	}
	return out
}

func interfaceEndpoints(s *synthesized) []string {
	var out []string
	for _, e := range s.resources("AWS::EC2::VPCEndpoint") {
		b, _ := json.Marshal(e.props["ServiceName"])
		out = append(out, string(b))
	}
	return out
}

func TestIamAuthTemplate(t *testing.T) {
	s := scenario(t, "IamAuth")
	env, secrets := containerEnv(t, s)
	want := map[string]string{"DB_HOST": "DatabaseB269D8BB.Endpoint.Address", "DB_PORT": "DatabaseB269D8BB.Endpoint.Port",
		"DB_USER": "orders_app", "DB_IAM_AUTH": "true", "DB_NAME": "orders"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["DB_PASSWORD"]; ok || len(secrets) > 0 {
		t.Errorf("no password may reach the container: env %v, secrets %v", env, secrets)
	}
	// The task role may connect as orders_app on this instance, and nothing else.
	got := statements(t, s, "ApiTaskDefinitionTaskRole")
	if len(got) != 1 || !strings.Contains(got[0], `"rds-db:connect"`) || !strings.Contains(got[0], `"DatabaseB269D8BB","DbiResourceId"`) || !strings.Contains(got[0], `"/orders_app"`) {
		t.Errorf("task role statements: %v", got)
	}
	// GrantConnect turned the instance's IAM authentication on.
	s.has(t, "AWS::RDS::DBInstance", map[string]any{"EnableIAMDatabaseAuthentication": true})
	for _, e := range interfaceEndpoints(s) {
		if strings.Contains(e, "secretsmanager") {
			t.Errorf("no secretsmanager endpoint with IAM authentication: %v", e)
		}
	}
	s.count(t, "AWS::RDS::DBProxy", 0)
}

func TestProxyTemplate(t *testing.T) {
	s := scenario(t, "Proxy")
	proxy := s.only(t, "AWS::RDS::DBProxy", "ApiDatabaseProxy")
	for k, v := range map[string]any{"RequireTLS": true, "DefaultAuthScheme": "IAM_AUTH", "EngineFamily": "POSTGRESQL"} {
		if proxy.props[k] != v {
			t.Errorf("proxy %s = %v, want %v", k, proxy.props[k], v)
		}
	}
	if _, ok := proxy.props["Auth"]; ok {
		t.Errorf("end-to-end IAM: the proxy has no secret, got Auth %v", proxy.props["Auth"])
	}
	if name, _ := proxy.props["DBProxyName"].(string); name == "DatabaseProxy" || !strings.HasPrefix(name, "Proxy") {
		t.Errorf("DBProxyName %q: want a name unique to the construct's path", name)
	}
	subnets, _ := proxy.props["VpcSubnetIds"].([]any)
	if len(subnets) != 2 || !strings.Contains(ref(subnets[0]), "IsolatedSubnet") {
		t.Errorf("proxy subnets: %v", subnets)
	}
	env, secrets := containerEnv(t, s)
	if env["DB_HOST"] != proxy.id+".Endpoint" || env["DB_PORT"] != "5432" || env["DB_IAM_AUTH"] != "true" || len(secrets) > 0 {
		t.Errorf("env %v secrets %v: want the proxy's endpoint and port, IAM, no secrets", env, secrets)
	}
	task := statements(t, s, "ApiTaskDefinitionTaskRole")
	if len(task) != 1 || !strings.Contains(task[0], `"rds-db:connect"`) || !strings.Contains(task[0], proxy.id) || !strings.Contains(task[0], "/orders_app") {
		t.Errorf("task role: want rds-db:connect as orders_app on the proxy, got %v", task)
	}
	role := statements(t, s, "ApiDatabaseProxyRole")
	if len(role) != 1 || !strings.Contains(role[0], `"DatabaseB269D8BB","DbiResourceId"`) || !strings.Contains(role[0], "/orders_app") {
		t.Errorf("proxy role: want rds-db:connect as orders_app on the instance, got %v", role)
	}
	s.has(t, "AWS::RDS::DBInstance", map[string]any{"EnableIAMDatabaseAuthentication": true})

	// Security groups, by port and peer: tasks -> proxy on 5432, proxy -> database on
	// its port, nothing else touches the proxy or the database.
	ingress, egress := s.rules()
	proxySg, taskSg, dbSg := "ApiDatabaseProxySecurityGroup3036A158.GroupId", "ApiServiceSecurityGroup9F422A88.GroupId", "DatabaseSecurityGroup5C91FDCB.GroupId"
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("proxy ingress", rulesOf(ingress, proxySg), []string{"tcp:5432-5432 from/to " + taskSg})
	check("proxy egress", rulesOf(egress, proxySg), []string{"tcp:DatabaseB269D8BB.Endpoint.Port-DatabaseB269D8BB.Endpoint.Port from/to " + dbSg})
	check("database ingress", rulesOf(ingress, dbSg), []string{"tcp:DatabaseB269D8BB.Endpoint.Port-DatabaseB269D8BB.Endpoint.Port from/to " + proxySg})
	for _, r := range rulesOf(egress, taskSg) {
		if strings.Contains(r, dbSg) {
			t.Errorf("the tasks must not reach the database past the proxy: %s", r)
		}
	}
	if !slices.Contains(rulesOf(egress, taskSg), "tcp:5432-5432 from/to "+proxySg) {
		t.Errorf("task egress to the proxy missing: %v", rulesOf(egress, taskSg))
	}
	for _, e := range interfaceEndpoints(s) {
		if strings.Contains(e, "secretsmanager") {
			t.Errorf("no secretsmanager endpoint with end-to-end IAM: %v", e)
		}
	}
	if s.built.Apis[0].DatabaseProxy == nil || s.built.Apis[0].Services[0].DatabaseProxy == nil {
		t.Error("api.DatabaseProxy and the service's DatabaseProxy must be set")
	}
}

// iamProblems builds an API with props in a fresh stack (with a PostgreSQL instance
// unless props has a Database) and returns the PropErrors of its panic.
func iamProblems(t *testing.T, edit func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps)) []privaterdsapi.PropError {
	t.Helper()
	app := awscdk.NewApp(nil)
	s := awscdk.NewStack(app, jsii.String("S"), nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	p := &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: network.Vpc,
		DatabaseIamAuth: jsii.Bool(true), DatabaseUser: jsii.String("app")}
	edit(s, network.Vpc, p)
	err := catch(func() { privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), p) })
	if err == nil {
		return nil
	}
	v, ok := err.(*privaterdsapi.ValidationError)
	if !ok {
		t.Fatalf("want a *ValidationError, got %T: %v", err, err)
	}
	return v.Problems
}

func hasProblem(problems []privaterdsapi.PropError, code privaterdsapi.ProblemCode, prop string) bool {
	for _, p := range problems {
		if p.Code == code && p.Prop == prop {
			return true
		}
	}
	return false
}

func TestIamAuthErrors(t *testing.T) {
	pg := func(s awscdk.Stack, vpc awsec2.IVpc) awsrds.DatabaseInstance { return scenarios.Postgres(s, vpc) }
	imported := func(s awscdk.Stack, attrs *awsrds.DatabaseInstanceAttributes) awsrds.IDatabaseInstance {
		attrs.InstanceEndpointAddress, attrs.InstanceIdentifier, attrs.Port = jsii.String("db.example"), jsii.String("orders"), jsii.Number(5432)
		attrs.SecurityGroups = &[]awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("DbSg"), jsii.String("sg-0123456789abcdef0"), nil)}
		return awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(s, jsii.String("Db"), attrs)
	}
	cases := []struct {
		name string
		edit func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps)
		code privaterdsapi.ProblemCode
		prop string
	}{
		{"IAM with a password secret", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			db := pg(s, vpc)
			p.Database, p.DatabaseSecret = db, db.Secret()
		}, privaterdsapi.ProblemConflict, "DatabaseIamAuth and DatabaseSecret"},
		{"IAM without a user", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseUser = pg(s, vpc), nil
		}, privaterdsapi.ProblemRequired, "DatabaseUser"},
		{"a user without IAM", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseIamAuth = pg(s, vpc), nil
		}, privaterdsapi.ProblemRequires, "DatabaseUser"},
		{"a proxy without IAM", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseIamAuth, p.DatabaseUser, p.DatabaseProxy = pg(s, vpc), nil, nil, jsii.Bool(true)
		}, privaterdsapi.ProblemRequires, "DatabaseProxy"},
		{"IAM without a database", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {}, privaterdsapi.ProblemRequired, "Database"},
		{"an engine without IAM authentication", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database = awsrds.NewDatabaseInstance(s, jsii.String("Oracle"), &awsrds.DatabaseInstanceProps{
				Engine:       awsrds.DatabaseInstanceEngine_OracleSe2(&awsrds.OracleSe2InstanceEngineProps{Version: awsrds.OracleEngineVersion_VER_19_0_0_0_2020_04_R1()}),
				Vpc:          vpc,
				VpcSubnets:   &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
				LicenseModel: awsrds.LicenseModel_BRING_YOUR_OWN_LICENSE,
			})
		}, privaterdsapi.ProblemIamAuthEngine, "DatabaseIamAuth"},
		{"an imported instance without its resource ID", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database = imported(s, &awsrds.DatabaseInstanceAttributes{})
		}, privaterdsapi.ProblemRequired, "DatabaseResourceId"},
		{"the instance identifier given as its resource ID", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseResourceId = imported(s, &awsrds.DatabaseInstanceAttributes{}), jsii.String("orders")
		}, privaterdsapi.ProblemFormat, "DatabaseResourceId"},
		{"a resource ID for a database of the app", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseResourceId = pg(s, vpc), jsii.String("db-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		}, privaterdsapi.ProblemConflict, "DatabaseResourceId"},
		{"a proxy for an imported instance", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseProxy = imported(s, &awsrds.DatabaseInstanceAttributes{InstanceResourceId: jsii.String("db-ABCDEFGHIJKLMNOPQRSTUVWXYZ")}), jsii.Bool(true)
		}, privaterdsapi.ProblemProxyTarget, "DatabaseProxy"},
		{"a proxy with DatabaseHost", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseProxy, p.DatabaseHost = pg(s, vpc), jsii.Bool(true), jsii.String("db.example")
		}, privaterdsapi.ProblemConflict, "DatabaseProxy and DatabaseHost"},
		{"a proxy with DatabasePort", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseProxy, p.DatabasePort = pg(s, vpc), jsii.Bool(true), jsii.Number(5432)
		}, privaterdsapi.ProblemConflict, "DatabaseProxy and DatabasePort"},
		{"a proxy for an engine without RDS Proxy", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.DatabaseProxy, p.DatabaseSecret = awsrds.NewDatabaseInstance(s, jsii.String("Oracle"), &awsrds.DatabaseInstanceProps{
				Engine:       awsrds.DatabaseInstanceEngine_OracleSe2(&awsrds.OracleSe2InstanceEngineProps{Version: awsrds.OracleEngineVersion_VER_19_0_0_0_2020_04_R1()}),
				Vpc:          vpc,
				VpcSubnets:   &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
				LicenseModel: awsrds.LicenseModel_BRING_YOUR_OWN_LICENSE,
			}), jsii.Bool(true), nil
		}, privaterdsapi.ProblemProxyEngine, "DatabaseProxy"},
		{"an instance with IAM authentication off", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database = awsrds.NewDatabaseInstance(s, jsii.String("NoIam"), &awsrds.DatabaseInstanceProps{
				Engine:            awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{Version: awsrds.PostgresEngineVersion_VER_17_9()}),
				Vpc:               vpc,
				VpcSubnets:        &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
				IamAuthentication: jsii.Bool(false),
			})
		}, privaterdsapi.ProblemConflict, "DatabaseIamAuth"},
		{"DB_USER in Environment", func(s awscdk.Stack, vpc awsec2.IVpc, p *privaterdsapi.PrivateRdsApiProps) {
			p.Database, p.Environment = pg(s, vpc), &map[string]*string{"DB_USER": jsii.String("x")}
		}, privaterdsapi.ProblemReservedVariable, "Environment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := iamProblems(t, c.edit); !hasProblem(got, c.code, c.prop) {
				t.Errorf("want %s on %q, got %v", c.code, c.prop, got)
			}
		})
	}
}

// TestIamAuthImported: an imported instance with DatabaseResourceId gets a grant on
// dbuser:<that id>/<user>, and its host and port in the environment.
func TestIamAuthImported(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := awscdk.NewStack(app, jsii.String("S"), nil)
	vpc := scenarios.ImportedVpc(s)
	db := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(s, jsii.String("Db"), &awsrds.DatabaseInstanceAttributes{
		InstanceEndpointAddress: jsii.String("orders.abc.eu-west-1.rds.amazonaws.com"), InstanceIdentifier: jsii.String("orders"), Port: jsii.Number(5432),
		SecurityGroups: &[]awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("DbSg"), jsii.String("sg-0123456789abcdef0"), nil)},
	})
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(s), Vpc: vpc, Database: db,
		DatabaseIamAuth: jsii.Bool(true), DatabaseUser: jsii.String("orders_app"), DatabaseResourceId: jsii.String("db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
	})
	syn := synthesize(t, "IamImported", &scenarios.Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}})
	got := statements(t, syn, "ApiTaskDefinitionTaskRole")
	if len(got) != 1 || !strings.Contains(got[0], ":dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/orders_app") {
		t.Errorf("task role statements: %v", got)
	}
	env, secrets := containerEnv(t, syn)
	if env["DB_HOST"] != "orders.abc.eu-west-1.rds.amazonaws.com" || env["DB_PORT"] != "5432" || env["DB_USER"] != "orders_app" || len(secrets) > 0 {
		t.Errorf("env %v secrets %v", env, secrets)
	}
}

// TestRotatedSecret: rotation on an injected DatabaseSecret is warned about at synthesis
// (the tasks read the password once); the same stack with IAM authentication is not,
// and the secret's read grant a user adds for an app that reads it again lands on the
// task role, with the secretsmanager endpoint the injection already needs.
func TestRotatedSecret(t *testing.T) {
	build := func(iam bool) (*synthesized, awscdk.Stack) {
		app := awscdk.NewApp(nil)
		s := awscdk.NewStack(app, jsii.String("Rotated"), nil)
		network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
		db := scenarios.Postgres(s, network.Vpc)
		p := &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: network.Vpc, Database: db}
		if iam {
			p.DatabaseIamAuth, p.DatabaseUser = jsii.Bool(true), jsii.String("orders_app")
		} else {
			p.DatabaseSecret = db.Secret()
		}
		api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), p)
		db.AddRotationSingleUser(&awsrds.RotationSingleUserOptions{VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}})
		if !iam {
			db.Secret().GrantRead(api.TaskDefinition.TaskRole(), nil)
		}
		return synthesize(t, "Rotated", &scenarios.Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}}), s
	}
	warned := func(s awscdk.Stack) bool {
		return catch(func() {
			assertions.Annotations_FromStack(s).HasWarning(jsii.String("/Rotated/Api"), assertions.Match_StringLikeRegexp(jsii.String("rotation schedule")))
		}) == nil
	}
	secret, stack := build(false)
	if !warned(stack) {
		t.Error("a rotated DatabaseSecret must be warned about")
	}
	got := strings.Join(statements(t, secret, "ApiTaskDefinitionTaskRole"), "\n")
	if !strings.Contains(got, "secretsmanager:GetSecretValue") {
		t.Errorf("the user's GrantRead on the task role: %v", got)
	}
	if !slices.ContainsFunc(interfaceEndpoints(secret), func(e string) bool { return strings.Contains(e, "secretsmanager") }) {
		t.Error("the secretsmanager endpoint must exist with DatabaseSecret")
	}
	if _, stack := build(true); warned(stack) {
		t.Error("no warning with IAM authentication")
	}
}

// TestProxyWithSecret: with DatabaseSecret, the proxy authenticates to the database with
// the secret (no end-to-end IAM), and the secret never reaches the tasks: no ECS secret,
// no read on the execution role, no secretsmanager endpoint for them.
func TestProxyWithSecret(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := awscdk.NewStack(app, jsii.String("ProxySecret"), nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	db := scenarios.Postgres(s, network.Vpc)
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(s), Vpc: network.Vpc, Database: db, DatabaseSecret: db.Secret(),
		DatabaseIamAuth: jsii.Bool(true), DatabaseUser: jsii.String("orders_app"), DatabaseProxy: jsii.Bool(true),
	})
	syn := synthesize(t, "ProxySecret", &scenarios.Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}})
	proxy := syn.only(t, "AWS::RDS::DBProxy", "ApiDatabaseProxy")
	if proxy.props["DefaultAuthScheme"] != nil || len(asList(proxy.props["Auth"])) != 1 {
		t.Errorf("proxy: want the secret as its only credential, got %v / %v", proxy.props["DefaultAuthScheme"], proxy.props["Auth"])
	}
	env, secrets := containerEnv(t, syn)
	if len(secrets) > 0 || env["DB_HOST"] != proxy.id+".Endpoint" {
		t.Errorf("env %v secrets %v", env, secrets)
	}
	for _, st := range statements(t, syn, "ApiTaskDefinitionExecutionRole") {
		if strings.Contains(st, "secretsmanager") {
			t.Errorf("execution role reads the proxy's secret: %s", st)
		}
	}
	for _, e := range interfaceEndpoints(syn) {
		if strings.Contains(e, "secretsmanager") {
			t.Errorf("no secretsmanager endpoint for the tasks: %v", e)
		}
	}
	if !slices.ContainsFunc(statements(t, syn, "ApiDatabaseProxyRole"), func(st string) bool { return strings.Contains(st, "secretsmanager:GetSecretValue") }) {
		t.Error("the proxy's role must read the secret")
	}
}

// TestIamAuthAddedServiceWithAuroraProxy: an added service takes the same props
// (ServiceProps twins): an Aurora PostgreSQL cluster behind its own proxy, whose
// grants name the cluster's resource id and the proxy, and whose cluster gets IAM
// authentication on.
func TestIamAuthAddedServiceWithAuroraProxy(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := awscdk.NewStack(app, jsii.String("Aurora"), nil)
	network := privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil)
	cluster := awsrds.NewDatabaseCluster(s, jsii.String("Cluster"), &awsrds.DatabaseClusterProps{
		Engine:     awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{Version: awsrds.AuroraPostgresEngineVersion_VER_16_4()}),
		Vpc:        network.Vpc,
		VpcSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		Writer:     awsrds.ClusterInstance_Provisioned(jsii.String("Writer"), &awsrds.ProvisionedClusterInstanceProps{InstanceType: awsec2.InstanceType_Of(awsec2.InstanceClass_T4G, awsec2.InstanceSize_MEDIUM)}),
	})
	api := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: network.Vpc})
	orders := api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{
		PathPrefix: jsii.String("/orders"), Image: scenarios.Image(s), Database: cluster,
		DatabaseIamAuth: jsii.Bool(true), DatabaseUser: jsii.String("orders"), DatabaseProxy: jsii.Bool(true),
	})
	if orders.DatabaseProxy == nil || api.DatabaseProxy != nil {
		t.Fatal("the added service has the proxy, the first service none")
	}
	syn := synthesize(t, "Aurora", &scenarios.Built{Stack: s, Apis: []*privaterdsapi.PrivateRdsApi{api}})
	syn.has(t, "AWS::RDS::DBCluster", map[string]any{"EnableIAMDatabaseAuthentication": true})
	proxy := syn.only(t, "AWS::RDS::DBProxy", "ApiOrdersDatabaseProxy")
	if proxy.props["DefaultAuthScheme"] != "IAM_AUTH" || proxy.props["EngineFamily"] != "POSTGRESQL" {
		t.Errorf("proxy: %v", proxy.props)
	}
	role := statements(t, syn, "ApiOrdersDatabaseProxyRole")
	if len(role) != 1 || !strings.Contains(role[0], "DBClusterResourceId") || !strings.Contains(role[0], "/orders") {
		t.Errorf("proxy role: %v", role)
	}
	task := statements(t, syn, "ApiOrdersTaskDefinitionTaskRole")
	if len(task) != 1 || !strings.Contains(task[0], proxy.id) {
		t.Errorf("task role: %v", task)
	}
}
