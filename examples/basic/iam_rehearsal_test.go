package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/seed07617466/privaterdsapi/examples/basic/app/pgtest"
	"github.com/seed07617466/privaterdsapi/snapshot"
)

// The rehearsal of the IAM variants of the example (context databaseAuth=iam or proxy):
// the app runs with exactly the environment of their task definition (DB_HOST, DB_PORT,
// DB_NAME, DB_USER, DB_IAM_AUTH=true; no secret at all) plus what ECS adds (AWS_REGION,
// the container credentials endpoint, here on loopback), signs a token per connection
// with the task role's credentials, and serves the API from the real PostgreSQL.
//
// What a loopback PostgreSQL cannot do is check an IAM token (only RDS can): the IAM user
// is trusted over TLS from loopback during the rehearsal, so the rehearsal proves the
// template's environment, the credentials path and the token's use per connection, not
// the token's signature. The app's own tests check that each new connection presents a
// fresh token (app/iam_test.go).

// credentialsRequests counts the requests to the loopback credentials endpoint.
var credentialsRequests atomic.Int64

// prepareIAM makes the database's IAM user (a member of the master user, as a user made
// with GRANT would have the privileges the app needs), trusts it over TLS from loopback
// for the rehearsal, and starts the credentials endpoint. It returns the variables ECS
// would add to the task, and what undoes it all.
func prepareIAM(d *deployment) ([]string, func(), error) {
	user := pgtest.QuoteIdent(d.Env["DB_USER"])
	if err := pg.Exec("DROP ROLE IF EXISTS "+user, "CREATE ROLE "+user+" LOGIN", "GRANT "+pgtest.QuoteIdent(d.User)+" TO "+user); err != nil {
		return nil, nil, err
	}
	hbaFile, err := pg.Query("SHOW hba_file")
	if err != nil {
		return nil, nil, err
	}
	hba, err := os.ReadFile(hbaFile)
	if err != nil {
		return nil, nil, err
	}
	trust := "hostssl all " + user + " 127.0.0.1/32 trust\nhostssl all " + user + " ::1/128 trust\n"
	if err := os.WriteFile(hbaFile, append([]byte(trust), hba...), 0o600); err != nil {
		return nil, nil, err
	}
	if err := pg.Exec("SELECT pg_reload_conf()"); err != nil {
		return nil, nil, err
	}
	creds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		credentialsRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIAREHEARSAL", "SecretAccessKey": "rehearsal-secret", "Token": "rehearsal-session",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	done := func() {
		creds.Close()
		_ = os.WriteFile(hbaFile, hba, 0o600)
		_ = pg.Exec("SELECT pg_reload_conf()")
	}
	return []string{
		"AWS_REGION=eu-west-1", // ECS sets it in every task ("Amazon ECS environment variables")
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + creds.URL + "/v2/credentials/task-role",
		"AWS_EC2_METADATA_DISABLED=true",
	}, done, nil
}

// variantTemplate synthesizes the example stack with the context databaseAuth=variant.
func variantTemplate(t *testing.T, variant string) template {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"databaseAuth": variant}})
	b, err := json.Marshal(snapshot.Template(NewExampleStack(app, stackName, nil), cliOnly...))
	if err != nil {
		t.Fatal(err)
	}
	var tm template
	if err := json.Unmarshal(b, &tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestIamRehearsal(t *testing.T) {
	for _, variant := range []string{"iam", "proxy"} {
		t.Run(variant, func(t *testing.T) {
			tm := variantTemplate(t, variant)
			_, td, err := only(tm, "AWS::ECS::TaskDefinition")
			if err != nil {
				t.Fatal(err)
			}
			c := list(td["ContainerDefinitions"])[0]
			if len(list(c["Secrets"])) > 0 {
				t.Fatalf("the %s variant injects secrets: %v", variant, c["Secrets"])
			}
			if variant == "proxy" {
				// The loopback server stands in for the proxy as for the database: the
				// proxy's endpoint and port become the database's, which readDeployment
				// resolves to it.
				proxyID, _, err := only(tm, "AWS::RDS::DBProxy")
				if err != nil {
					t.Fatal(err)
				}
				dbID, _, _ := only(tm, "AWS::RDS::DBInstance")
				replaced := 0
				for _, e := range list(c["Environment"]) {
					switch {
					case e["Name"] == "DB_HOST" && getAtt(e["Value"].(map[string]any)) == proxyID+".Endpoint":
						e["Value"] = map[string]any{"Fn::GetAtt": []any{dbID, "Endpoint.Address"}}
						replaced++
					case e["Name"] == "DB_PORT" && e["Value"] == "5432":
						e["Value"] = map[string]any{"Fn::GetAtt": []any{dbID, "Endpoint.Port"}}
						replaced++
					}
				}
				if replaced != 2 {
					t.Fatalf("want DB_HOST the proxy's endpoint and DB_PORT 5432, got %v", c["Environment"])
				}
			}
			before := credentialsRequests.Load()
			d, err := rehearse(tm, t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			if d.Env["DB_USER"] != iamUser || d.Env["DB_IAM_AUTH"] != "true" || d.Env["DB_PASSWORD"] != "" || len(d.Secrets) > 0 {
				t.Errorf("environment %v, secrets %v: want %s with IAM and no password", d.Env, d.Secrets, iamUser)
			}
			if credentialsRequests.Load() == before {
				t.Error("the app never asked the container credentials endpoint: it signed no token")
			}
		})
	}
}

// TestIamVariantOnlyWithContext: without the context the example is the golden
// template (TestTemplate), without IAM authentication.
func TestIamVariantOnlyWithContext(t *testing.T) {
	if strings.Contains(string(synthesized), `"DB_IAM_AUTH"`) {
		t.Error("the default example must not use IAM authentication")
	}
}
