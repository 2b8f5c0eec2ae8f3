package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed07617466/privaterdsapi/examples/basic/app/apptest"
	"github.com/seed07617466/privaterdsapi/examples/basic/app/pgtest"
)

// pg is the PostgreSQL server of this test binary: one cluster, TLS only, on a free
// loopback port. Each test that needs a schema gets its own database in it.
var pg *pgtest.Server

// The role the app logs in as, like the master user of the RDS instance. The password has
// the characters that break a connection string built by hand (URL and key=value syntax).
const (
	appUser     = "app_user"
	appPassword = `Pa55:w/rd@?#&%= 'q"\-é-never-shown`
)

// binDir holds the app binary, built once for the tests that run it as a process.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pg.Close()
	if err := pg.CreateRole(appUser, appPassword); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if binDir, err = os.MkdirTemp("", "app-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	return m.Run()
}

var dbCounter atomic.Int64

// newDatabase creates an empty database owned by appUser, dropped at the end of the test.
func newDatabase(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("items_%d", dbCounter.Add(1))
	if err := pg.CreateDatabase(name, appUser); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.DropDatabase(name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// taskEnv is the environment of a task that reaches db on the test server: what
// privaterdsapi injects (the database variables and API_STAGE, the example stack's stage;
// PORT is the test's own), and the test CA in place of the RDS bundle. DB_SSLMODE is left
// to its default, verify-full.
func taskEnv(db string) map[string]string {
	return map[string]string{
		"DB_HOST":        pg.Host,
		"DB_PORT":        strconv.Itoa(pg.Port),
		"DB_NAME":        db,
		"DB_USER":        appUser,
		"DB_PASSWORD":    appPassword,
		"DB_SSLROOTCERT": pg.CAFile,
		"API_STAGE":      "prod",
	}
}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// logLines parses JSON log lines.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		lines = append(lines, m)
	}
	return lines
}

// checkNoPassword fails the test when the password is anywhere in text.
func checkNoPassword(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{appPassword, "never-shown"} {
		if strings.Contains(text, secret) {
			t.Errorf("the password is in the %s:\n%s", what, text)
		}
	}
}

// testApp is the service running in this process behind a loopback HTTP server.
type testApp struct {
	*server
	URL  string
	logs *apptest.Buffer
}

// startApp starts the service in-process with the environment vars, creating the schema
// in the background as main does. It does not wait for the database.
func startApp(t *testing.T, vars map[string]string) *testApp {
	t.Helper()
	return startAppWithTokens(t, vars, nil)
}

// startAppWithTokens is startApp with the token source of IAM authentication
// (DB_IAM_AUTH=true in vars).
func startAppWithTokens(t *testing.T, vars map[string]string, tokens tokenSource) *testApp {
	t.Helper()
	cfg, err := loadConfig(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	logs := &apptest.Buffer{}
	s, err := newServer(cfg, slog.New(slog.NewJSONHandler(logs, nil)), tokens)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.prepareSchema(ctx) }()
	ts := httptest.NewServer(s.handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		s.pool.Close()
		checkNoPassword(t, "logs", logs.String())
	})
	return &testApp{server: s, URL: ts.URL, logs: logs}
}

// startReadyApp starts the service on a new database and waits until its schema exists.
func startReadyApp(t *testing.T) *testApp {
	t.Helper()
	a := startApp(t, taskEnv(newDatabase(t)))
	waitFor(t, 10*time.Second, "the schema", func() bool { return a.schemaReady.Load() })
	return a
}

// waitFor polls cond every 20 ms until it holds, or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body into a map.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
}

// do sends a request and returns the answer; a transport error fails the test.
func do(t *testing.T, method, url, body string) response {
	t.Helper()
	r, err := tryDo(method, url, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func tryDo(method, url, body string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}, err
}

// process is the app binary running as a child process, as the task runs it.
type process struct {
	*apptest.Process
	URL string
}

var buildOnce sync.Once
var buildErr error

// appBinary builds the app once per test binary (with the test's build settings, so that
// the packages compiled for the tests are reused).
func appBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "app")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// startProcess runs the app binary with exactly vars as its environment, plus HOST and
// PORT to listen on a free loopback port, and waits until it listens.
func startProcess(t *testing.T, vars map[string]string) *process {
	t.Helper()
	port := freePort(t)
	env := []string{"HOST=127.0.0.1", "PORT=" + port}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	started, err := apptest.Start(appBinary(t), t.TempDir(), env)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{Process: started, URL: "http://127.0.0.1:" + port}
	t.Cleanup(func() {
		p.Kill()
		checkNoPassword(t, "process output", p.Output())
		if t.Failed() {
			t.Logf("app output:\n%s", p.Output())
		}
	})
	waitFor(t, 10*time.Second, "the app to listen", func() bool {
		if p.Exited() {
			t.Fatalf("the app exited at start: %v\n%s", p.Cmd.ProcessState, p.Output())
		}
		return p.Logged("listening")
	})
	return p
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(port)
}
