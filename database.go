package privaterdsapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// This file is the database and its secrets: the DB_* variables of the container, the
// security group rules between the tasks and the database, and the execution role's
// access to the keys of the injected secrets.

// databaseRuleDescription describes both sides of the rule between the tasks and the
// database.
const databaseRuleDescription = "The database, from the privaterdsapi tasks only"

// databaseVariables are the names of the variables that the construct sets from the
// database props, given which of them are set: DB_USER and DB_PASSWORD from the secret,
// DB_HOST when a host is known (DatabaseHost, an RDS instance, cluster or proxy, or the
// secret's host key), DB_PORT when a port is (DatabasePort, the database, or the
// secret's port key), DB_NAME from DatabaseName. Pure Go (type assertions, no jsii
// call), so that the checks use it too.
func databaseVariables(database awsec2.IConnectable, secret, host, port, name bool) []string {
	var names []string
	if secret {
		names = append(names, "DB_USER", "DB_PASSWORD")
	}
	if secret || host || hasEndpoint(database) {
		names = append(names, "DB_HOST")
	}
	if secret || port || database != nil {
		names = append(names, "DB_PORT")
	}
	if name {
		names = append(names, "DB_NAME")
	}
	return names
}

// hasEndpoint says whether the database's host name can be read from it: an RDS
// instance, cluster or proxy.
func hasEndpoint(database awsec2.IConnectable) bool {
	switch database.(type) {
	case awsrds.IDatabaseInstance, awsrds.IDatabaseCluster, awsrds.IDatabaseProxy:
		return true
	}
	return false
}

// addDatabaseVariables adds the DB_* variables to the container's environment and
// secrets: the credentials always as secrets, the host, port and name as plain variables
// when they come from props or the database, else from the secret's host and port keys.
func addDatabaseVariables(p *settings, environment map[string]*string, secrets map[string]awsecs.Secret) {
	if p.databaseName != nil {
		environment["DB_NAME"] = p.databaseName
	}
	if p.iam != nil { // iam.go: no password, the user as a plain variable
		environment["DB_USER"], environment["DB_IAM_AUTH"] = p.iam.user, jsii.String("true")
	}
	var field func(key string) awsecs.Secret
	if p.databaseSecret != nil && p.iam == nil {
		field = func(key string) awsecs.Secret {
			return awsecs.Secret_FromSecretsManager(p.databaseSecret, jsii.String(key))
		}
		secrets["DB_USER"] = field("username")
		secrets["DB_PASSWORD"] = field("password")
	}
	host, port := databaseEndpoint(p.database)
	if p.databaseHost != nil {
		host = p.databaseHost
	}
	if p.databasePort != nil {
		port = databasePortString(*p.databasePort)
	}
	if port == nil && field == nil && p.database != nil {
		// Without a secret, the port the security group rule opens.
		port = defaultPortString(p.database)
	}
	switch {
	case host != nil:
		environment["DB_HOST"] = host
	case field != nil:
		secrets["DB_HOST"] = field("host")
	}
	switch {
	case port != nil:
		environment["DB_PORT"] = port
	case field != nil:
		secrets["DB_PORT"] = field("port")
	}
}

// databaseEndpoint returns the host and port of an RDS instance or cluster, the host of
// a proxy, and nil for anything else. The port is always a string: an imported
// cluster's port is a number (a literal or a numeric token).
func databaseEndpoint(db any) (host, port *string) {
	switch d := db.(type) {
	case awsrds.IDatabaseInstance:
		return d.DbInstanceEndpointAddress(), d.DbInstanceEndpointPort()
	case awsrds.IDatabaseCluster:
		var endpoint awsrds.Endpoint
		if jsiiPanic(func() { endpoint = d.ClusterEndpoint() }) != nil { // see checkDatabaseEndpoint
			return nil, nil
		}
		if endpoint.Port() == nil {
			return endpoint.Hostname(), nil
		}
		return endpoint.Hostname(), databasePortString(*endpoint.Port())
	case awsrds.IDatabaseProxy:
		return d.Endpoint(), nil
	}
	return nil, nil
}

// checkDatabaseEndpoint checks, before anything is created, that the host of a cluster
// can be read when DatabaseHost does not give it: a cluster imported without
// ClusterEndpointAddress has no endpoint, and CDK throws when it is asked for one.
func checkDatabaseEndpoint(p *ServiceProps) []PropError {
	d, ok := p.Database.(awsrds.IDatabaseCluster)
	if !ok || p.DatabaseHost != nil {
		return nil
	}
	if jsiiPanic(func() { d.ClusterEndpoint() }) != nil {
		return []PropError{{ProblemRequired, "DatabaseHost", "Database is a cluster imported without ClusterEndpointAddress and Port, so its endpoint is unknown: set DatabaseHost, or import the cluster with both"}}
	}
	return nil
}

// databasePortString renders a port as the string an environment variable needs: the
// number, or a token that resolves to a string (a CloudFormation reference as it is, a
// number in its decimal form; Token_AsString would leave a number, which ECS refuses).
func databasePortString(v float64) *string {
	if isToken(v) {
		return awscdk.Tokenization_StringifyNumber(jsii.Number(v))
	}
	return jsii.String(strconv.FormatFloat(v, 'f', -1, 64))
}

// defaultPortString is the database's default port (the first of its range) as a
// string, or nil when it has none.
func defaultPortString(database awsec2.IConnectable) *string {
	var rule map[string]any
	if jsiiPanic(func() { rule, _ = database.Connections().DefaultPort().ToRuleJson().(map[string]any) }) != nil {
		return nil
	}
	if from, ok := rule["fromPort"].(float64); ok {
		return databasePortString(from)
	}
	return nil
}

// connectDatabase writes the rules between the tasks and the database: the tasks'
// egress to the database's port and the database's ingress from the tasks, on both
// sides wherever the database's security groups are known; it makes the service wait
// for the database's ingress rules in this stack. Where they are not known, the tasks
// get egress on the port to the VPC's CIDR block, and synthesis fails
// (ProblemDatabaseSecurityGroups) unless DatabaseSecurityGroups is an empty list, which
// says that the database's side is the user's. It also gives the execution role the
// keys of the injected secrets (grantSecretKeys).
func (srv *ApiService) connectDatabase(p *settings) {
	srv.grantSecretKeys(p)
	if p.database == nil {
		return
	}
	port := p.database.Connections().DefaultPort()
	if p.databasePort != nil {
		port = awsec2.Port_Tcp(p.databasePort)
	}
	if srv.databaseInOtherVpc(p) {
		srv.problems = append(srv.problems, PropError{ProblemDatabaseVpc, "Database",
			"is in another VPC than the API's (Vpc, or the VPC the construct creates without it): the tasks reach only their own VPC. Give the API the database's VPC as Vpc"})
	}
	groups := p.databaseGroups
	if groups == nil {
		groups = *p.database.Connections().SecurityGroups()
	}
	if len(groups) == 0 {
		// The database's side cannot be written: the tasks' side goes to the VPC.
		if hasCidr(srv.api.Vpc) {
			srv.ServiceSecurityGroup.AddEgressRule(awsec2.Peer_Ipv4(srv.api.Vpc.VpcCidrBlock()), port,
				jsii.String("The database (its security groups unknown), in the VPC"), nil)
		}
		if p.databaseGroups == nil {
			srv.problems = append(srv.problems, PropError{ProblemDatabaseSecurityGroups, "Database",
				"has no security groups (an imported instance or cluster without SecurityGroups, or Connections without groups), so nothing can let the tasks in: " +
					"give them as DatabaseSecurityGroups (imported by ID with awsec2.SecurityGroup_FromSecurityGroupId), or import the database with its SecurityGroups; " +
					"DatabaseSecurityGroups: &[]awsec2.ISecurityGroup{} says that you open the database to ServiceSecurityGroup yourself"})
		}
		return
	}
	before := map[string]bool{}
	watched := append([]awsec2.ISecurityGroup{srv.ServiceSecurityGroup}, groups...)
	for _, g := range watched {
		for id := range ingressRules(g) {
			before[id] = true
		}
	}
	if p.databaseGroups == nil {
		// Written from the tasks' side so that the database's ingress rule lives in this
		// stack even when the database is in another one.
		srv.connections.AllowTo(p.database, port, jsii.String(databaseRuleDescription))
	} else {
		for _, g := range groups {
			srv.connections.AllowTo(g, port, jsii.String(databaseRuleDescription))
		}
	}
	stackPath := *srv.api.stack.Node().Path()
	written := 0
	for i, g := range watched {
		for id, rule := range ingressRules(g) {
			if before[id] {
				continue
			}
			written++
			// Rules under the database's groups in this stack are outside the groups the
			// construct owns: the service waits for them (those under its own group are
			// waited for with the others, see connectEndpoints).
			if i > 0 && *awscdk.Stack_Of(rule).Node().Path() == stackPath {
				srv.Service.Node().AddDependency(rule)
			}
		}
	}
	if written < len(groups) {
		warn(srv.Construct, "privaterdsapi:databaseIngress",
			"The database's security groups take no rule from this app (imported with Mutable: false): allow the tasks' security group (ServiceSecurityGroup) in on the database's port yourself, or import the groups as mutable.")
	}
}

// ingressRules returns the standalone ingress rules under a security group's construct,
// by their path.
func ingressRules(g awsec2.ISecurityGroup) map[string]constructs.IConstruct {
	out := map[string]constructs.IConstruct{}
	for _, c := range *g.Node().Children() {
		if _, ok := c.(awsec2.CfnSecurityGroupIngress); ok { // known by its Go type: no jsii call
			out[*c.Node().Path()] = c
		}
	}
	return out
}

// databaseInOtherVpc says whether the database is, for sure, in another VPC than the
// API's: the VPC it was created in (an RDS instance or cluster made in this app) is not
// the API's by their identities as deployed (see vpcIdentity), where both can be told
// (two literal VPC IDs, or two references in one stack). The VPC the construct creates
// without Vpc holds no database yet.
func (srv *ApiService) databaseInOtherVpc(p *settings) bool {
	d, ok := p.database.(interface{ Vpc() awsec2.IVpc })
	var vpc awsec2.IVpc
	if !ok || jsiiPanic(func() { vpc = d.Vpc() }) != nil || vpc == nil {
		return false
	}
	if p.vpc == nil {
		return true
	}
	if sameObject(vpc, srv.api.Vpc) { // endpoints.go
		return false
	}
	identity := func(v awsec2.IVpc) (string, string, string) {
		stack := awscdk.Stack_Of(v)
		path := *stack.Node().Path()
		id, literal := vpcIdentity(v.VpcId(), stack, path, *v.Node().Path())
		return id, literal, path
	}
	apiId, apiLiteral, apiStack := identity(srv.api.Vpc)
	dbId, dbLiteral, dbStack := identity(vpc)
	switch {
	case apiLiteral != "" && dbLiteral != "":
		return apiLiteral != dbLiteral
	case strings.HasPrefix(apiId, "ref:") && strings.HasPrefix(dbId, "ref:") && apiStack == dbStack:
		return apiId != dbId
	}
	return false
}

// grantSecretKeys gives the execution role kms:Decrypt, through Secrets Manager only, on
// the customer managed key of DatabaseSecret and on SecretsEncryptionKeys, where CDK does
// not: the grant CDK makes on a secret's key goes into the key's policy, which it cannot
// change for an imported key (aws-cdk #17156), so the task would fail to start.
func (srv *ApiService) grantSecretKeys(p *settings) {
	var keys []awskms.IKey
	if p.databaseSecret != nil {
		if k := p.databaseSecret.EncryptionKey(); k != nil {
			keys = append(keys, k)
		}
	}
	keys = append(keys, p.secretsKeys...)
	if len(keys) == 0 {
		return
	}
	service := fmt.Sprintf("secretsmanager.%s.amazonaws.com", *srv.api.stack.Region())
	seen := map[awskms.IKey]bool{}
	for _, k := range keys {
		if seen[k] || *awscdk.Resource_IsOwnedResource(k) {
			continue // an owned key's policy gets CDK's grant
		}
		seen[k] = true
		srv.TaskDefinition.ObtainExecutionRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{k.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": service,
			}},
		}))
	}
}
