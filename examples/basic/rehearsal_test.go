package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi/examples/basic/app/apptest"
	"github.com/seed07617466/privaterdsapi/examples/basic/app/pgtest"
	"github.com/seed07617466/privaterdsapi/snapshot"
)

// The rehearsal of the deployed data path: the example stack is synthesized, and the
// app binary runs as its task would (the task definition's environment and secrets, the
// secret shaped as DatabaseInstance generates it), against a real PostgreSQL server that
// stands in for the RDS instance, and is called as the load balancer's health check and
// the API's integration would call it.

var (
	// pg stands in for the RDS instance: TLS only, like rds.force_ssl=1.
	pg *pgtest.Server
	// appBin is the app, built from ./app.
	appBin string
	// synthesized is the template a user deploys: the example stack built by
	// snapshot.NewApp with cdk.json's context, which TestTemplateEqualsCdkSynth proves
	// equal to what `cdk synth` writes. The rehearsal's input, synthesized once.
	synthesized []byte
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// One jsii runtime for the whole test binary: starting one takes seconds.
	defer jsii.Close()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	var err error
	if pg, err = pgtest.Start(); err != nil {
		return fail(err)
	}
	defer pg.Close()
	dir, err := os.MkdirTemp("", "rehearsal-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	appBin = filepath.Join(dir, "app")
	build := exec.Command("go", "build", "-o", appBin, ".")
	build.Dir = "app"
	if out, err := build.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("build the app: %v\n%s", err, out))
	}
	return m.Run()
}

// exampleTemplate returns a fresh copy of the template `cdk synth` deploys (see
// synthesized), normalized as snapshot.Template does and without what only the CLI adds
// (cliOnly).
func exampleTemplate(t *testing.T) template {
	t.Helper()
	if synthesized == nil {
		b, err := json.Marshal(snapshot.Template(NewExampleStack(snapshot.NewApp(t, "cdk.json"), stackName, nil), cliOnly...))
		if err != nil {
			t.Fatal(err)
		}
		synthesized = b
	}
	return decode(t, synthesized)
}

// bareTemplate returns the example stack's template in a bare awscdk.NewApp(nil): no
// feature flags from cdk.json, no path metadata. It is not what `cdk synth` deploys.
func bareTemplate(t *testing.T) template {
	t.Helper()
	b, err := json.Marshal(snapshot.Template(NewExampleStack(awscdk.NewApp(nil), stackName, nil), cliOnly...))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func decode(t *testing.T, b []byte) template {
	t.Helper()
	var tm template
	if err := json.Unmarshal(b, &tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestRehearsal(t *testing.T) {
	d, err := rehearse(exampleTemplate(t), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	// What the rehearsal ran on, for the reader of -v output (secret names, not values).
	t.Logf("environment %v, secrets %v, container port %d, health check %s (%s), "+
		"listener %d, integration path %s, stage %s",
		d.Env, slices.Sorted(maps.Keys(d.Secrets)), d.ContainerPort, d.HealthPath, d.HealthCodes, d.ListenerPort, d.ProxyPath, d.Stage)
}

// TestRehearsalCatchesDisagreements breaks the synthesized template in the ways a
// construct and an app drift apart, and checks that the rehearsal fails on each, saying
// why.
func TestRehearsalCatchesDisagreements(t *testing.T) {
	container := func(tm template) map[string]any {
		_, td, err := only(tm, "AWS::ECS::TaskDefinition")
		if err != nil {
			t.Fatal(err)
		}
		return list(td["ContainerDefinitions"])[0]
	}
	named := func(items any, name string) map[string]any {
		for _, it := range list(items) {
			if it["Name"] == name {
				return it
			}
		}
		t.Fatalf("no %s in %v", name, items)
		return nil
	}
	targetGroup := func(tm template) map[string]any {
		_, tg, _ := only(tm, "AWS::ElasticLoadBalancingV2::TargetGroup")
		return tg
	}
	for _, tc := range []struct {
		name   string
		change func(template)
		want   string
	}{
		{"a renamed variable", func(tm template) {
			named(container(tm)["Environment"], "DB_NAME")["Name"] = "DATABASE_NAME"
		}, "DB_NAME is not set"},
		{"a renamed secret", func(tm template) {
			named(container(tm)["Secrets"], "DB_PASSWORD")["Name"] = "DB_PASS"
		}, "DB_PASSWORD is not set"},
		{"a key the generated secret lacks", func(tm template) {
			join := named(container(tm)["Secrets"], "DB_USER")["ValueFrom"].(map[string]any)["Fn::Join"].([]any)
			join[1].([]any)[1] = ":user::"
		}, `reads the JSON key "user", which the generated secret lacks`},
		{"another container port", func(tm template) {
			list(container(tm)["PortMappings"])[0]["ContainerPort"] = 9000.0
		}, "the service registers the container's port 8080, the container maps port 9000"},
		{"another target group port", func(tm template) {
			targetGroup(tm)["Port"] = 9000.0
		}, "the target group sends to port 9000, the container maps port 8080"},
		{"PORT not the container port", func(tm template) {
			named(container(tm)["Environment"], "PORT")["Value"] = "9000"
		}, "PORT=9000"},
		{"no PORT", func(tm template) {
			named(container(tm)["Environment"], "PORT")["Name"] = "LISTEN_PORT"
		}, "the task sets no PORT"},
		{"another health check path", func(tm template) {
			targetGroup(tm)["HealthCheckPath"] = "/health"
		}, "health check GET /health answered 404"},
		{"another stage", func(tm template) {
			_, stage, _ := only(tm, "AWS::ApiGateway::Stage")
			stage["StageName"] = "v1"
		}, "POST /v1/items"},
		{"another listener port in the URI", func(tm template) {
			_, l, _ := only(tm, "AWS::ElasticLoadBalancingV2::Listener")
			l["Port"] = 8443.0
		}, "does not name the listener"},
		{"DB_HOST not the database", func(tm template) {
			named(container(tm)["Environment"], "DB_HOST")["Value"] = map[string]any{"Ref": "Elsewhere"}
		}, "environment variable DB_HOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := exampleTemplate(t)
			tc.change(tm)
			_, err := rehearse(tm, func(string, ...any) {})
			if err == nil {
				t.Fatalf("the rehearsal passed with %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the rehearsal failed with %q, want it to say %q", err, tc.want)
			}
		})
	}
}

// rehearse runs the app as the template's task would and calls it as the load balancer
// and the API would. It returns the first disagreement.
func rehearse(tm template, logf func(string, ...any)) (*deployment, error) {
	d, err := readDeployment(tm, local{Host: pg.Host, Port: pg.Port})
	if err != nil {
		return nil, err
	}
	// The app listens on PORT. The rehearsal runs it on a free loopback port instead of
	// the real one (this machine is shared), so PORT must be the container port.
	port, ok := d.Env["PORT"]
	if !ok {
		return nil, fmt.Errorf("the task sets no PORT: the app would listen on its default, which the rehearsal cannot check against the container port %d", d.ContainerPort)
	}
	if port != strconv.Itoa(d.ContainerPort) {
		return nil, fmt.Errorf("PORT=%s, but the container port is %d", port, d.ContainerPort)
	}

	// The database as RDS creates it: the master user from the secret, owning DBName.
	if err := pg.DropDatabase(d.DBName); err != nil {
		return nil, err
	}
	if err := pg.Exec("DROP ROLE IF EXISTS " + pgtest.QuoteIdent(d.User)); err != nil {
		return nil, err
	}
	if err := pg.CreateRole(d.User, d.Password); err != nil {
		return nil, err
	}
	if err := pg.CreateDatabase(d.DBName, d.User); err != nil {
		return nil, err
	}

	// Exactly the task's environment, nothing inherited from this process, plus: HOST and
	// PORT for a free loopback port, the test CA in place of the image's RDS bundle, and an
	// empty working and temporary directory (the app must write nothing).
	freeNum, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	free := strconv.Itoa(freeNum)
	work, err := os.MkdirTemp("", "rehearsal-work-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	env := []string{"HOST=127.0.0.1", "PORT=" + free, "DB_SSLROOTCERT=" + pg.CAFile, "TMPDIR=" + work}
	for k, v := range d.Env {
		if k != "PORT" && k != "DB_SSLROOTCERT" {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range d.Secrets {
		env = append(env, k+"="+v)
	}
	if d.Env["DB_IAM_AUTH"] == "true" { // iam_rehearsal_test.go
		extra, done, err := prepareIAM(d)
		if err != nil {
			return nil, err
		}
		defer done()
		env = append(env, extra...)
	}
	app, err := apptest.Start(appBin, work, env)
	if err != nil {
		return nil, err
	}
	defer app.Kill()
	fail := func(format string, args ...any) (*deployment, error) {
		return nil, fmt.Errorf(format+"\napp output:\n%s", append(args, app.Output())...)
	}

	base := "http://127.0.0.1:" + free
	if err := app.WaitUntil(10*time.Second, func() bool { return app.Logged("listening") }); err != nil {
		return fail("the app did not start listening: %v", err)
	}

	// The load balancer's health check, on the target port.
	if status, body, err := call("GET", base+d.HealthPath, ""); err != nil || !d.HealthOK(status) {
		return fail("health check GET %s answered %d %q (%v), the target group expects %s", d.HealthPath, status, body, err, d.HealthCodes)
	}

	// The API's integration: every client path, as /items and as /<stage>/items.
	paths := d.BackendPaths("items")
	if err := app.WaitUntil(15*time.Second, func() bool {
		status, _, _ := call("GET", base+paths[0], "")
		return status == 200
	}); err != nil {
		return fail("GET %s never answered 200: %v", paths[0], err)
	}
	for i, p := range paths {
		status, body, err := call("POST", base+p, `{"name": "rehearsal"}`)
		var it struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err != nil || status != 201 || json.Unmarshal([]byte(body), &it) != nil || it.Name != "rehearsal" {
			return fail("POST %s answered %d %q (%v), want 201 and the item", p, status, body, err)
		}
		one := d.BackendPaths(fmt.Sprintf("items/%d", it.ID))[i]
		for _, c := range []struct {
			method, path string
			status       int
			contains     string
		}{
			{"GET", one, 200, `"rehearsal"`},
			{"GET", p, 200, fmt.Sprintf(`"id":%d`, it.ID)},
			{"DELETE", one, 204, ""},
			{"GET", one, 404, ""},
		} {
			status, body, err := call(c.method, base+c.path, "")
			if err != nil || status != c.status || !strings.Contains(body, c.contains) {
				return fail("%s %s answered %d %q (%v), want %d", c.method, c.path, status, body, err, c.status)
			}
		}
		logf("through the integration path %s: POST, GET, list, DELETE as expected", p)
	}

	// ECS stops the task with SIGTERM.
	_ = app.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-app.Done():
	case <-time.After(25 * time.Second):
		return fail("the app did not exit within 25 s of SIGTERM")
	}
	if code := app.Cmd.ProcessState.ExitCode(); code != 0 {
		return fail("the app exited %d after SIGTERM, want 0", code)
	}
	if left, _ := os.ReadDir(work); len(left) > 0 {
		return fail("the app wrote %d files into its working or temporary directory", len(left))
	}
	if strings.Contains(app.Output(), d.Password) {
		return fail("the app logged the password")
	}
	return d, nil
}

// call sends a request and reads the whole answer.
func call(method, url, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}
