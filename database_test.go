package privaterdsapi_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/cfntemplate"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// databaseCase is one way to give the API its database: the problems Validate reports
// (none when synthesis must succeed) and what the template says, read even where
// synthesis fails (construct validation skipped), so that what the construct wrote
// before refusing is asserted too.
type databaseCase struct {
	name  string
	props func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps
	want  []problem
	check func(t *testing.T, s *synthesized)
}

// run builds the case's stack, compares the problems and checks the template.
func (c databaseCase) run(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := envStack(app, "Db")
	a := api(stack, "Api", c.props(stack))
	if got := problemsOf(a.Validate()); fmt.Sprint(got) != fmt.Sprint(c.want) {
		t.Fatalf("Validate: problems %v, want %v\n%v", got, c.want, a.Validate())
	}
	if len(c.want) > 0 {
		if err := catch(func() { app.Synth(nil) }); err == nil || !strings.Contains(err.Error(), a.Validate().Error()) {
			t.Errorf("synthesis does not fail with the problems: %v", err)
		}
	}
	var raw any
	if err := catch(func() {
		raw = app.Synth(&awscdk.StageSynthesisOptions{SkipValidation: jsii.Bool(true), Force: jsii.Bool(true)}).
			GetStackArtifact(stack.ArtifactId()).Template()
	}); err != nil {
		t.Fatalf("synthesis failed: %v", err)
	}
	parsed, err := cfntemplate.From(raw)
	if err != nil {
		t.Fatal(err)
	}
	s := &synthesized{name: c.name, built: &scenarios.Built{Stack: stack, Apis: []*privaterdsapi.PrivateRdsApi{a}}, json: parsed}
	tpl := map[string]any(s.json)
	s.tpl = assertions.Template_FromJSON(&tpl, nil)
	c.check(t, s)
}

// logicalId is the logical id of a construct's CloudFormation resource.
func logicalId(stack awscdk.Stack, c constructs.IConstruct) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// envVar asserts the container's plain variable name has value want.
func envVar(t *testing.T, s *synthesized, name string, want any) {
	t.Helper()
	env, secrets := container(t, s)
	got, ok := env[name]
	if b1, _ := json.Marshal(got); !ok || string(b1) != mustJSON(want) {
		t.Errorf("%s: %s = %s in the environment (secrets %v), want %s", s.name, name, mustJSON(got), secrets, mustJSON(want))
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// taskRules returns the rules of the tasks' security group and the ingress rules whose
// peer it is, as rulesOf has them.
func taskRules(t *testing.T, s *synthesized) (tasks string, egress []string, ingressFrom map[string][]string) {
	tasks = s.only(t, "AWS::EC2::SecurityGroup", "ApiServiceSecurityGroup").id + ".GroupId"
	in, out := s.rules()
	ingressFrom = map[string][]string{}
	for _, r := range in {
		if r.peer == tasks {
			ingressFrom[r.group] = append(ingressFrom[r.group], fmt.Sprintf("%s:%s-%s", r.proto, r.from, r.to))
		}
	}
	return tasks, rulesOf(out, tasks), ingressFrom
}

// bothSides asserts the tasks' egress to group on port and group's ingress from the
// tasks on port, and that the service waits for that ingress rule.
func bothSides(t *testing.T, s *synthesized, group, port string) {
	t.Helper()
	tasks, egress, ingressFrom := taskRules(t, s)
	if !contains(egress, "tcp:"+port+"-"+port+" from/to "+group) {
		t.Errorf("%s: no task egress on %s to %s: %v", s.name, port, group, egress)
	}
	if got := ingressFrom[group]; len(got) != 1 || got[0] != "tcp:"+port+"-"+port {
		t.Errorf("%s: ingress into %s from the tasks %s: %v, want tcp %s", s.name, group, tasks, got, port)
	}
	serviceWaitsForDatabaseRules(t, s)
}

// serviceWaitsForDatabaseRules asserts, for every API of the stack, that its service
// depends on every ingress rule from its tasks into a group that is not the endpoints'
// (HTTPS), where the tasks need it to reach the database.
func serviceWaitsForDatabaseRules(t *testing.T, s *synthesized) {
	t.Helper()
	for _, a := range s.built.Apis {
		service := s.json["Resources"].(map[string]any)[logicalId(s.built.Stack, a.Service)].(map[string]any)
		tasks := logicalId(s.built.Stack, a.ServiceSecurityGroup) + ".GroupId"
		for _, r := range s.resources("AWS::EC2::SecurityGroupIngress") {
			rr := ruleOf(ref(r.props["GroupId"]), r.props)
			if rr.peer == tasks && rr.from != "443" && !contains(asStrings(service["DependsOn"]), r.id) {
				t.Errorf("%s: the service of %s does not wait for the database's ingress rule %s (%v)", s.name, *a.Node().Path(), r.id, rr)
			}
		}
	}
}

// executionRoleStatements returns the statements of the execution role's policy.
func executionRoleStatements(t *testing.T, s *synthesized) []map[string]any {
	policy := s.only(t, "AWS::IAM::Policy", "ApiTaskDefinitionExecutionRoleDefaultPolicy")
	return asList(policy.props["PolicyDocument"].(map[string]any)["Statement"])
}

// decryptsThroughSecretsManager asserts that the execution role has kms:Decrypt on each
// key, only through Secrets Manager in the region, and no other KMS statement.
func decryptsThroughSecretsManager(t *testing.T, s *synthesized, keys ...string) {
	t.Helper()
	var got []string
	for _, st := range executionRoleStatements(t, s) {
		if !strings.Contains(mustJSON(st["Action"]), "kms:") {
			continue
		}
		got = append(got, mustJSON(st["Action"])+" on "+mustJSON(st["Resource"])+" if "+mustJSON(st["Condition"]))
	}
	var want []string
	for _, k := range keys {
		want = append(want, `"kms:Decrypt" on "`+k+`" if {"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}`)
	}
	sortStrings(got)
	sortStrings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: the execution role's KMS statements:\n got %q\nwant %q", s.name, got, want)
	}
}

const (
	clusterHost = "orders.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com"
	databaseSg  = "sg-0d1e2f3a4b5c6d7e8"
)

func importedCluster(s awscdk.Stack, port *float64) awsrds.IDatabaseCluster {
	return awsrds.DatabaseCluster_FromDatabaseClusterAttributes(s, jsii.String("Cluster"), &awsrds.DatabaseClusterAttributes{
		ClusterIdentifier:      jsii.String("orders"),
		ClusterEndpointAddress: jsii.String(clusterHost),
		Port:                   port,
	})
}

func importedGroup(s awscdk.Stack, options *awsec2.SecurityGroupImportOptions) awsec2.ISecurityGroup {
	return awsec2.SecurityGroup_FromSecurityGroupId(s, jsii.String("DatabaseSecurityGroup"), jsii.String(databaseSg), options)
}

func TestDatabaseConnection(t *testing.T) {
	secretArn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf"
	cases := []databaseCase{
		{name: "imported cluster, literal port, no security groups", want: []problem{{privaterdsapi.ProblemDatabaseSecurityGroups, "Database"}},
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: importedCluster(s, jsii.Number(5432))}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_PORT", "5432")
				envVar(t, s, "DB_HOST", clusterHost)
				// The tasks still reach the port, in the VPC.
				if _, egress, _ := taskRules(t, s); !contains(egress, "tcp:5432-5432 from/to 10.20.0.0/16") {
					t.Errorf("no task egress on 5432 to the VPC: %v", egress)
				}
			}},
		{name: "imported cluster with its security groups as DatabaseSecurityGroups",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: importedCluster(s, jsii.Number(5432)), DatabaseSecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_PORT", "5432")
				bothSides(t, s, databaseSg, "5432")
			}},
		{name: "database side left to the user (empty DatabaseSecurityGroups)",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: importedCluster(s, jsii.Number(5432)), DatabaseSecurityGroups: &[]awsec2.ISecurityGroup{}}
			},
			check: func(t *testing.T, s *synthesized) {
				_, egress, ingressFrom := taskRules(t, s)
				if !contains(egress, "tcp:5432-5432 from/to 10.20.0.0/16") {
					t.Errorf("no task egress on 5432 to the VPC: %v", egress)
				}
				for group, rules := range ingressFrom {
					if !strings.Contains(group, "PrivateRdsApiEndpoints") {
						t.Errorf("ingress written into %s: %v", group, rules)
					}
				}
			}},
		{name: "connections without security groups", want: []problem{{privaterdsapi.ProblemDatabaseSecurityGroups, "Database"}},
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: awsec2.NewConnections(&awsec2.ConnectionsProps{DefaultPort: awsec2.Port_Tcp(jsii.Number(3306))})}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_PORT", "3306") // the default port, without a secret
				if env, _ := container(t, s); env["DB_HOST"] != nil {
					t.Errorf("DB_HOST set for a database whose host is unknown: %v", env["DB_HOST"])
				}
			}},
		{name: "imported cluster, port from a token that resolves to a number",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				port := awscdk.Token_AsNumber(awscdk.NewIntrinsic(jsii.Number(5432), nil))
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: importedCluster(s, port), DatabaseSecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}}
			},
			check: func(t *testing.T, s *synthesized) { envVar(t, s, "DB_PORT", "5432") }},
		{name: "DatabasePort from a token that resolves to a number",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database:     awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}}),
					DatabasePort: awscdk.Token_AsNumber(awscdk.NewIntrinsic(jsii.Number(5432), nil)),
					DatabaseHost: jsii.String(clusterHost), DatabaseSecret: awssecretsmanager.Secret_FromSecretCompleteArn(s, jsii.String("Secret"), jsii.String(secretArn))}
			},
			check: func(t *testing.T, s *synthesized) { envVar(t, s, "DB_PORT", "5432") }},
		{name: "DatabasePort from a parameter",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				port := awscdk.NewCfnParameter(s, jsii.String("DbPort"), &awscdk.CfnParameterProps{Type: jsii.String("Number")}).ValueAsNumber()
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database:     awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}}),
					DatabasePort: port}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_PORT", map[string]any{"Ref": "DbPort"})
				bothSides(t, s, databaseSg, "DbPort")
			}},
		{name: "database without secret: host, port and name, no credentials",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database:     awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{importedGroup(s, nil)}}),
					DatabaseHost: jsii.String(clusterHost), DatabasePort: jsii.Number(5432), DatabaseName: jsii.String("orders")}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_HOST", clusterHost)
				envVar(t, s, "DB_PORT", "5432")
				envVar(t, s, "DB_NAME", "orders")
				if _, secrets := container(t, s); len(secrets) != 0 {
					t.Errorf("secrets without DatabaseSecret: %v", secrets)
				}
				bothSides(t, s, databaseSg, "5432")
			}},
		{name: "DatabaseHost without secret or database",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), DatabaseHost: jsii.String(clusterHost), DatabasePort: jsii.Number(5432)}
			},
			check: func(t *testing.T, s *synthesized) {
				envVar(t, s, "DB_HOST", clusterHost)
				envVar(t, s, "DB_PORT", "5432")
			}},
		{name: "immutable database security group: egress, a warning, no ingress",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s),
					Database: awsec2.NewConnections(&awsec2.ConnectionsProps{SecurityGroups: &[]awsec2.ISecurityGroup{
						importedGroup(s, &awsec2.SecurityGroupImportOptions{Mutable: jsii.Bool(false)})}}),
					DatabasePort: jsii.Number(5432)}
			},
			check: func(t *testing.T, s *synthesized) {
				if _, egress, ingressFrom := taskRules(t, s); !contains(egress, "tcp:5432-5432 from/to "+databaseSg) || ingressFrom[databaseSg] != nil {
					t.Errorf("egress %v, ingress into the immutable group %v", egress, ingressFrom[databaseSg])
				}
				if err := catch(func() {
					assertions.Annotations_FromStack(s.built.Stack).HasWarning(jsii.String("/Db/Api"),
						assertions.Match_StringLikeRegexp(jsii.String("Mutable: false")))
				}); err != nil {
					t.Error(err)
				}
			}},
		{name: "database in another VPC of the stack", want: []problem{{privaterdsapi.ProblemDatabaseVpc, "Database"}},
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				db := scenarios.Postgres(s, privaterdsapi.NewIsolatedVpc(s, jsii.String("DatabaseNetwork"), nil).Vpc)
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: privaterdsapi.NewIsolatedVpc(s, jsii.String("Network"), nil).Vpc,
					Database: db, DatabaseSecret: db.Secret()}
			},
			check: func(t *testing.T, s *synthesized) {}},
		{name: "database in a VPC, API in the VPC it creates", want: []problem{{privaterdsapi.ProblemDatabaseVpc, "Database"}},
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				db := scenarios.Postgres(s, privaterdsapi.NewIsolatedVpc(s, jsii.String("DatabaseNetwork"), nil).Vpc)
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Database: db}
			},
			check: func(t *testing.T, s *synthesized) {}},
		{name: "database in another VPC by literal ID", want: []problem{{privaterdsapi.ProblemDatabaseVpc, "Database"}},
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				db := scenarios.Postgres(s, scenarios.ImportedVpc(s))
				other := awsec2.Vpc_FromVpcAttributes(s, jsii.String("OtherVpc"), &awsec2.VpcAttributes{
					VpcId: jsii.String("vpc-0ffffffffffffffff"), VpcCidrBlock: jsii.String("10.30.0.0/16"), AvailabilityZones: jsii.Strings("eu-west-1a"),
					IsolatedSubnetIds: jsii.Strings("subnet-0ccccccccccccccc3"), IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0ccccccccccccccc3"),
				})
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: other, Database: db}
			},
			check: func(t *testing.T, s *synthesized) {}},
		{name: "database in a second import of the API's VPC",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				for k, v := range scenarios.LookupContext() {
					s.Node().SetContext(jsii.String(k), v)
				}
				db := scenarios.Postgres(s, scenarios.ImportedVpc(s))
				again := awsec2.Vpc_FromLookup(s, jsii.String("Lookup"), &awsec2.VpcLookupOptions{VpcId: jsii.String("vpc-0a1b2c3d4e5f60718")})
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: again, Database: db}
			},
			check: func(t *testing.T, s *synthesized) {
				db := s.only(t, "AWS::RDS::DBInstance", "Database").id + ".Endpoint.Port"
				bothSides(t, s, s.only(t, "AWS::EC2::SecurityGroup", "DatabaseSecurityGroup").id+".GroupId", db)
				envVar(t, s, "DB_PORT", map[string]any{"Fn::GetAtt": []any{strings.TrimSuffix(db, ".Endpoint.Port"), "Endpoint.Port"}})
			}},
		{name: "imported keys of DatabaseSecret and of Secrets",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				key := func(id, arn string) awskms.IKey { return awskms.Key_FromKeyArn(s, jsii.String(id), jsii.String(arn)) }
				dbKey := key("DbKey", "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-4111-8111-111111111111")
				apiKey := key("ApiKeyKey", "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-4222-8222-222222222222")
				secret := func(id, arn string, k awskms.IKey) awssecretsmanager.ISecret {
					return awssecretsmanager.Secret_FromSecretAttributes(s, jsii.String(id), &awssecretsmanager.SecretAttributes{SecretCompleteArn: jsii.String(arn), EncryptionKey: k})
				}
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), DatabaseHost: jsii.String(clusterHost),
					DatabaseSecret:        secret("DbSecret", secretArn, dbKey),
					Secrets:               &map[string]awsecs.Secret{"API_KEY": awsecs.Secret_FromSecretsManager(secret("ApiKey", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf", apiKey), nil)},
					SecretsEncryptionKeys: &[]awskms.IKey{apiKey, dbKey}, // dbKey twice: one statement
				}
			},
			check: func(t *testing.T, s *synthesized) {
				decryptsThroughSecretsManager(t, s, "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-4111-8111-111111111111",
					"arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-4222-8222-222222222222")
			}},
		{name: "a key of the stack: CDK's grant in the key policy, none on the role",
			props: func(s awscdk.Stack) *privaterdsapi.PrivateRdsApiProps {
				key := awskms.NewKey(s, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
				secret := awssecretsmanager.NewSecret(s, jsii.String("Secret"), &awssecretsmanager.SecretProps{EncryptionKey: key})
				return &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), DatabaseHost: jsii.String(clusterHost), DatabaseSecret: secret}
			},
			check: func(t *testing.T, s *synthesized) {
				decryptsThroughSecretsManager(t, s)
				s.has(t, "AWS::KMS::Key", map[string]any{"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
					"Action": "kms:Decrypt", "Effect": "Allow", "Resource": "*", "Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
					"Principal": map[string]any{"AWS": map[string]any{"Fn::GetAtt": []any{s.only(t, "AWS::IAM::Role", "ApiTaskDefinitionExecutionRole").id, "Arn"}}},
				}})}})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// TestExistingAccount is the README's adoption setup: a looked-up VPC, an instance made
// by hand and imported with its security group ID, its secret imported with its key.
func TestExistingAccount(t *testing.T) {
	s := scenario(t, "ExistingAccount")
	// The lookup is answered from the context: no context is missing, and the API is in
	// the looked-up VPC's isolated subnets.
	manifest, err := os.ReadFile(filepath.Join(*s.built.Stack.Node().Root().(awscdk.App).Synth(nil).Directory(), "manifest.json"))
	var m struct{ Missing []any }
	if err != nil || json.Unmarshal(manifest, &m) != nil || len(m.Missing) > 0 {
		t.Errorf("the cloud assembly's manifest (%v) has missing context: %v", err, m.Missing)
	}
	s.has(t, "AWS::ECS::Service", map[string]any{"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{
		"Subnets": []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"}}}})
	s.has(t, "AWS::EC2::VPCEndpoint", map[string]any{"VpcEndpointType": "Gateway", "VpcId": "vpc-0a1b2c3d4e5f60718",
		"RouteTableIds": []any{"rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"}})
	// The database's group, imported by ID, takes the ingress from the tasks, and the
	// tasks get the egress, on the instance's port.
	bothSides(t, s, databaseSg, "5432")
	envVar(t, s, "DB_HOST", "orders.abcdefghijkl.eu-west-1.rds.amazonaws.com")
	envVar(t, s, "DB_PORT", "5432")
	envVar(t, s, "DB_NAME", "orders")
	secretArn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0f1e2d3c-AbCdEf"
	_, secrets := container(t, s)
	if len(secrets) != 2 || mustJSON(secrets["DB_USER"]) != `"`+secretArn+`:username::"` || mustJSON(secrets["DB_PASSWORD"]) != `"`+secretArn+`:password::"` {
		t.Errorf("secrets %v, want DB_USER and DB_PASSWORD from the secret's keys", secrets)
	}
	// The execution role reads the secret, and decrypts it with its key through Secrets
	// Manager only.
	found := false
	for _, st := range executionRoleStatements(t, s) {
		found = found || (st["Resource"] == secretArn && mustJSON(st["Action"]) == `["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"]`)
	}
	if !found {
		t.Errorf("the execution role cannot read %s", secretArn)
	}
	decryptsThroughSecretsManager(t, s, scenarios.SecretKeyArn)
}

// TestServiceWaitsForDatabaseRules: in every scenario, the service depends on the
// database's ingress rules of its stack, wherever CDK puts them.
func TestServiceWaitsForDatabaseRules(t *testing.T) {
	withDatabase := 0
	for _, s := range allScenarios(t) {
		serviceWaitsForDatabaseRules(t, s)
		for _, td := range s.resources("AWS::ECS::TaskDefinition") {
			if strings.Contains(mustJSON(td.props["ContainerDefinitions"]), `"DB_PORT"`) {
				withDatabase++
				break
			}
		}
	}
	if withDatabase < 5 {
		t.Errorf("%d scenarios with a database, want at least 5 (RdsInstance, ImportedDatabase, TwoApisOneVpc, EveryProp, ExistingAccount)", withDatabase)
	}
}

// TestSecretsEncryptionKeys: the key of a secret in Secrets, which an awsecs.Secret does
// not show, gets its grant when listed.
func TestSecretsEncryptionKeys(t *testing.T) {
	decryptsThroughSecretsManager(t, scenario(t, "EveryProp"), scenarios.ApiKeyKeyArn)
}
