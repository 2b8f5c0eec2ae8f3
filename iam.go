package privaterdsapi

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// This file is database access without passwords (issue 17): IAM database authentication
// from the tasks (DatabaseIamAuth, DatabaseUser, DatabaseResourceId) and the RDS Proxy
// the construct can put in front of the database (DatabaseProxy).

// iamSettings are the IAM authentication props of a service, with their defaults.
type iamSettings struct {
	user       *string
	resourceId *string // nil: the database's own
	proxy      bool
}

// resolveIam is the service's IAM settings, nil without DatabaseIamAuth.
func resolveIam(p *ServiceProps) *iamSettings {
	if p.DatabaseIamAuth == nil || !*p.DatabaseIamAuth {
		return nil
	}
	return &iamSettings{user: p.DatabaseUser, resourceId: p.DatabaseResourceId, proxy: p.DatabaseProxy != nil && *p.DatabaseProxy}
}

// iamVariables are the variables the construct sets for IAM authentication, which
// Environment and Secrets must not set.
func iamVariables(p *ServiceProps) []string {
	if p.DatabaseIamAuth == nil || !*p.DatabaseIamAuth {
		return nil
	}
	return []string{"DB_HOST", "DB_IAM_AUTH", "DB_PORT", "DB_USER"}
}

// checkIamProps is the pure check of the IAM and proxy props (see checkDatabase).
func checkIamProps(p *ServiceProps, add adder) {
	iam := p.DatabaseIamAuth != nil && *p.DatabaseIamAuth
	proxy := p.DatabaseProxy != nil && *p.DatabaseProxy
	if !iam {
		if p.DatabaseUser != nil {
			add(ProblemRequires, "DatabaseUser", "applies only with DatabaseIamAuth: true (with a DatabaseSecret, the user comes from the secret)")
		}
		if p.DatabaseResourceId != nil {
			add(ProblemRequires, "DatabaseResourceId", "applies only with DatabaseIamAuth: true")
		}
		if proxy {
			add(ProblemRequires, "DatabaseProxy", "needs DatabaseIamAuth: true and DatabaseUser: the tasks authenticate to the proxy with IAM")
		}
		return
	}
	if p.Database == nil {
		add(ProblemRequired, "Database", "DatabaseIamAuth needs Database: the task role is granted rds-db:connect on it, and the tasks are let in on its port")
	}
	if p.DatabaseUser == nil || *p.DatabaseUser == "" {
		add(ProblemRequired, "DatabaseUser", "DatabaseIamAuth needs the database user the tasks connect as")
	}
	if p.DatabaseSecret != nil && !proxy {
		add(ProblemConflict, "DatabaseIamAuth and DatabaseSecret", "with IAM authentication no password reaches the tasks: remove DatabaseSecret (with DatabaseProxy it is the proxy's own credential)")
	}
	if proxy && p.DatabaseHost != nil {
		add(ProblemConflict, "DatabaseProxy and DatabaseHost", "with DatabaseProxy, DB_HOST is the proxy's endpoint: remove DatabaseHost")
	}
	if proxy && p.DatabasePort != nil {
		add(ProblemConflict, "DatabaseProxy and DatabasePort", "with DatabaseProxy, DB_PORT is the proxy's (its engine family's port), and the proxy reaches the database on the database's own port: remove DatabasePort")
	}
	if proxy && p.DatabaseResourceId != nil {
		add(ProblemConflict, "DatabaseProxy and DatabaseResourceId", "with DatabaseProxy, the task role is granted rds-db:connect on the proxy: remove DatabaseResourceId")
	}
	if v := p.DatabaseResourceId; v != nil && !isStringToken(*v) && !resourceIdPattern.MatchString(*v) {
		add(ProblemFormat, "DatabaseResourceId", "must be the database's resource ID, which IAM names in rds-db:connect: an instance's DbiResourceId (\"db-\" and 26 letters and digits), a cluster's DbClusterResourceId (\"cluster-...\") or a proxy's ID (\"prx-...\"), not its identifier; got %q", *v)
	}
}

// resourceIdPattern is the form of an RDS resource ID as rds-db:connect names it
// (Amazon RDS User Guide, "Creating and using an IAM policy for IAM database access"):
// "db-" for an instance, "cluster-" for an Aurora cluster, "prx-" for an RDS Proxy, then
// upper-case letters and digits.
var resourceIdPattern = regexp.MustCompile(`^(db|cluster|prx)-[A-Za-z0-9]+$`)

// iamEngines are the engine types (awsrds IEngine.EngineType) with IAM database
// authentication: RDS for MySQL, MariaDB (10.11 and later) and PostgreSQL, Aurora MySQL
// and PostgreSQL (RDS User Guide, "IAM database authentication isn't available with the
// following engines: RDS for Db2, RDS for Oracle, RDS for SQL Server"; Aurora User
// Guide, all versions of Aurora MySQL 2 and 3 and Aurora PostgreSQL).
var iamEngines = map[string]bool{"mysql": true, "mariadb": true, "postgres": true, "aurora": true, "aurora-mysql": true, "aurora-postgresql": true}

// endToEndIamFamilies are the engine families whose proxies can authenticate to the
// database with IAM ("This option is supported for MySQL, PostgreSQL, and MariaDB engine
// families only", RDS User Guide, "Creating a proxy"; CDK's family of MariaDB is MYSQL).
var endToEndIamFamilies = map[string]bool{"MYSQL": true, "POSTGRESQL": true}

// proxyPorts are the ports RDS Proxy listens on, by engine family.
var proxyPorts = map[string]float64{"MYSQL": 3306, "POSTGRESQL": 5432, "SQLSERVER": 1433}

// databaseEngine is the engine of an RDS instance or cluster, nil when unknown (an
// imported one, or anything else).
func databaseEngine(database any) awsrds.IEngine {
	var engine awsrds.IEngine
	jsiiPanic(func() {
		switch d := database.(type) {
		case awsrds.IDatabaseInstance:
			if e := d.Engine(); e != nil {
				engine = e
			}
		case awsrds.IDatabaseCluster:
			if e := d.Engine(); e != nil {
				engine = e
			}
		}
	})
	return engine
}

// checkIam checks the IAM and proxy props against the database (jsii calls, before
// anything is created): the engine, what the grant needs, what the proxy can attach to.
func checkIam(p *ServiceProps) []PropError {
	if p.DatabaseIamAuth == nil || !*p.DatabaseIamAuth || p.Database == nil {
		return nil
	}
	var out []PropError
	proxy := p.DatabaseProxy != nil && *p.DatabaseProxy
	engine := databaseEngine(p.Database)
	if engine != nil {
		engineType := *engine.EngineType()
		version := ""
		if v := engine.EngineVersion(); v != nil && v.FullVersion != nil {
			version = *v.FullVersion
		}
		oldMariaDb := engineType == "mariadb" && (strings.HasPrefix(version, "10.4") || strings.HasPrefix(version, "10.5") || strings.HasPrefix(version, "10.6"))
		if !iamEngines[engineType] || oldMariaDb {
			out = append(out, PropError{ProblemIamAuthEngine, "DatabaseIamAuth", fmt.Sprintf(
				"the engine %s %s has no IAM database authentication (RDS supports it for MySQL, MariaDB 10.11 and later, PostgreSQL and Aurora): use DatabaseSecret instead", engineType, version)})
		}
	}
	owned := false
	switch p.Database.(type) {
	case awsrds.IDatabaseInstance, awsrds.IDatabaseCluster:
		owned = *awscdk.Resource_IsOwnedResource(p.Database.(constructs.IConstruct))
	}
	if owned && iamAuthentication(p.Database) == "off" {
		out = append(out, PropError{ProblemConflict, "DatabaseIamAuth", "Database has IAM authentication turned off (IamAuthentication: false): remove that, or use DatabaseSecret"})
	}
	if proxy {
		switch {
		case !owned:
			out = append(out, PropError{ProblemProxyTarget, "DatabaseProxy", "needs Database to be an RDS instance or cluster made in the app: an imported database, a proxy or Connections cannot take a proxy from here. Create the proxy yourself (awsrds.NewDatabaseProxy, IamAuth: true) and pass it as Database with DatabaseIamAuth, and without DatabaseProxy"})
		case engine == nil || engine.EngineFamily() == nil:
			out = append(out, PropError{ProblemProxyEngine, "DatabaseProxy", "RDS Proxy does not support the database's engine (RDS Proxy supports MySQL, MariaDB, PostgreSQL and SQL Server, not Oracle or Db2): remove DatabaseProxy"})
		case !endToEndIamFamilies[*engine.EngineFamily()] && p.DatabaseSecret == nil:
			out = append(out, PropError{ProblemRequired, "DatabaseSecret", fmt.Sprintf(
				"a proxy for the engine family %s cannot authenticate to the database with IAM (end-to-end IAM is for MySQL, MariaDB and PostgreSQL): give the proxy its credential as DatabaseSecret", *engine.EngineFamily())})
		}
		return out
	}
	if p.DatabaseResourceId != nil {
		if owned {
			out = append(out, PropError{ProblemConflict, "DatabaseResourceId", "Database is made in the app, which knows its resource ID: remove DatabaseResourceId"})
		}
		if !hasEndpoint(p.Database) && p.DatabaseHost == nil {
			out = append(out, PropError{ProblemRequired, "DatabaseHost", "Database has no host name the construct can read: set DatabaseHost, the tasks' DB_HOST"})
		}
		return out
	}
	if resourceIdOf(p.Database) == nil {
		out = append(out, PropError{ProblemRequired, "DatabaseResourceId", "the resource ID of Database is unknown (an imported instance or cluster without InstanceResourceId or ClusterResourceIdentifier, or Connections), and the rds-db:connect grant names it: " +
			"give the DbiResourceId of an instance (aws rds describe-db-instances --db-instance-identifier NAME --query 'DBInstances[0].DbiResourceId', \"db-...\") or the DbClusterResourceId of a cluster (\"cluster-...\"), not its identifier"})
	}
	if !hasEndpoint(p.Database) && p.DatabaseHost == nil {
		out = append(out, PropError{ProblemRequired, "DatabaseHost", "Database has no host name the construct can read: set DatabaseHost, the tasks' DB_HOST"})
	}
	return out
}

// resourceIdOf is what the rds-db:connect grant of the database names, or nil when it is
// unknown (CDK throws for it on an import without it).
func resourceIdOf(database any) *string {
	var id *string
	jsiiPanic(func() {
		switch d := database.(type) {
		case awsrds.IDatabaseProxy:
			id = d.DbProxyArn()
		case awsrds.IDatabaseInstance:
			id = d.InstanceResourceId()
		case awsrds.IDatabaseCluster:
			id = d.ClusterResourceIdentifier()
		}
	})
	return id
}

// withProxy creates the service's RDS Proxy when the settings ask for one, and returns
// the settings the tasks then use: the proxy as their database (its endpoint as DB_HOST,
// its port as DB_PORT, its security group as the one to reach), and no secret (the
// secret, if any, is the proxy's).
func (srv *ApiService) withProxy(p *settings) *settings {
	if p.iam == nil || !p.iam.proxy {
		return p
	}
	engine := databaseEngine(p.database)
	family := *engine.EngineFamily()
	group := closedSecurityGroup(srv.Construct, "DatabaseProxySecurityGroup", srv.api.Vpc, "privaterdsapi RDS Proxy: from the tasks, to the database")
	role := awsiam.NewRole(srv.Construct, jsii.String("DatabaseProxyRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("rds.amazonaws.com"), nil),
	})
	props := &awsrds.DatabaseProxyProps{
		Vpc:            srv.api.Vpc,
		VpcSubnets:     srv.api.Subnets,
		SecurityGroups: &[]awsec2.ISecurityGroup{group},
		RequireTLS:     jsii.Bool(true),
		IamAuth:        jsii.Bool(true),
		Role:           role,
	}
	switch d := p.database.(type) {
	case awsrds.IDatabaseInstance:
		props.ProxyTarget = awsrds.ProxyTarget_FromInstance(d)
	case awsrds.IDatabaseCluster:
		props.ProxyTarget = awsrds.ProxyTarget_FromCluster(d)
	}
	if p.databaseSecret != nil {
		props.Secrets = &[]awssecretsmanager.ISecret{p.databaseSecret}
	} else {
		// End-to-end IAM: the proxy connects as the task's user with its own role.
		props.DefaultAuthScheme = awsrds.DefaultAuthScheme_IAM_AUTH
		grantConnect(p.database, role, p.iam.user)
		enableClusterIam(p.database)
	}
	srv.DatabaseProxy = awsrds.NewDatabaseProxy(srv.Construct, jsii.String("DatabaseProxy"), props)
	// CDK names the proxy after its construct id ("DatabaseProxy"): a physical name that
	// two APIs of one account and region would share. A name unique to the construct's
	// path instead (letters and digits, at most 60 characters; RDS takes 63).
	srv.DatabaseProxy.Node().DefaultChild().(awsrds.CfnDBProxy).SetDbProxyName(
		awscdk.Names_UniqueResourceName(srv.DatabaseProxy, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(60)}))

	// CDK's DatabaseProxy writes the proxy's rule to the database itself (the proxy's
	// egress and the database's ingress, on the database's port): TestProxyTemplate
	// checks both, and that the proxy's group has no other rule.

	s := *p.serviceSettings
	s.database, s.databaseGroups, s.databaseSecret, s.databaseHost = srv.DatabaseProxy, nil, nil, nil
	s.databasePort = jsii.Number(proxyPorts[family])
	return p.with(&s)
}

// grantConnect grants rds-db:connect for user on the database (an instance, cluster or
// proxy) with its GrantConnect.
func grantConnect(database any, grantee awsiam.IGrantable, user *string) {
	switch d := database.(type) {
	case awsrds.IDatabaseProxy:
		d.GrantConnect(grantee, user)
	case awsrds.IDatabaseInstance:
		d.GrantConnect(grantee, user)
	case awsrds.IDatabaseCluster:
		d.GrantConnect(grantee, user)
	}
}

// grantTaskConnect gives the task role rds-db:connect for the user on the database or
// proxy the tasks connect to: its GrantConnect, or, with DatabaseResourceId, the ARN
// dbuser:<resource id>/<user> (RDS User Guide, "Creating and using an IAM policy for IAM
// database access").
func (srv *ApiService) grantTaskConnect(p *settings) {
	if p.iam == nil {
		return
	}
	role := srv.TaskDefinition.TaskRole()
	if p.iam.resourceId == nil {
		grantConnect(p.database, role, p.iam.user)
		enableClusterIam(p.database)
		return
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("rds-db:connect"),
		Resources: &[]*string{srv.api.stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("rds-db"),
			Resource:     jsii.String("dbuser"),
			ResourceName: jsii.String(*p.iam.resourceId + "/" + *p.iam.user),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}))
}

// rotationCheck warns, at synthesis (a rotation may be added after the construct), when
// the secret injected into the tasks has a rotation schedule: ECS reads it once, at task
// start, so a rotation breaks new connections of running tasks until they are replaced.
type rotationCheck struct {
	s      *ApiService
	warned bool
}

// Validate implements constructs.IValidation; it only warns.
func (v *rotationCheck) Validate() *[]*string {
	p := v.s.settings
	if v.warned || p.databaseSecret == nil || p.iam != nil {
		return &[]*string{}
	}
	for _, c := range *p.databaseSecret.Node().Children() {
		if _, ok := c.(awssecretsmanager.RotationSchedule); ok {
			v.warned = true
			warn(v.s.Construct, "privaterdsapi:rotatedSecret",
				"DatabaseSecret has a rotation schedule, but ECS injects DB_PASSWORD once, when a task starts: after each rotation, new database connections of running tasks fail until the tasks are replaced. "+
					"Use DatabaseIamAuth (no password), let the app read the secret again on an authentication failure (grant the task role read on it), or redeploy the service after each rotation (README, \"Rotated secrets\").")
			break
		}
	}
	return &[]*string{}
}

// iamAuthentication says whether an RDS instance or cluster of the app has IAM database
// authentication "on", "off" (set false) or "" (not set, or unknown), as its
// CloudFormation resource will say.
func iamAuthentication(database any) string {
	var v any
	jsiiPanic(func() {
		c, ok := database.(constructs.IConstruct)
		if !ok {
			return
		}
		switch cfn := c.Node().DefaultChild().(type) {
		case awsrds.CfnDBInstance:
			v = awscdk.Stack_Of(c).Resolve(cfn.EnableIamDatabaseAuthentication())
		case awsrds.CfnDBCluster:
			v = awscdk.Stack_Of(c).Resolve(cfn.EnableIamDatabaseAuthentication())
		}
	})
	switch v {
	case true:
		return "on"
	case false:
		return "off"
	}
	return ""
}

// enableClusterIam turns IAM database authentication on for a cluster of the app, as
// CDK's GrantConnect does for an instance but not for a cluster (aws-cdk-lib 2.277.0:
// the cluster's EnableIAMDatabaseAuthentication stays unset, and connections with a
// token would be refused). RDS applies it to a running cluster without replacement.
func enableClusterIam(database any) {
	d, ok := database.(awsrds.IDatabaseCluster)
	if !ok || !*awscdk.Resource_IsOwnedResource(d) || iamAuthentication(d) != "" {
		return
	}
	if cfn, ok := d.Node().DefaultChild().(awsrds.CfnDBCluster); ok {
		cfn.SetEnableIamDatabaseAuthentication(true)
	}
}
