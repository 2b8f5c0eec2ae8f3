package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// password is a recognizable secret that must never appear in a response.
const password = "s3cr3t-Pa55w0rd-never-shown"

// env is a fake environment: what ECS would give the task.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func taskEnv(host, port string) map[string]string {
	return map[string]string{
		"DB_HOST":     host,
		"DB_PORT":     port,
		"DB_NAME":     "app",
		"DB_USER":     "app_user",
		"DB_PASSWORD": password,
	}
}

func get(t *testing.T, h http.Handler, target string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(body)
}

func TestHealthz(t *testing.T) {
	status, header, body := get(t, newHandler(env(taskEnv("db.internal", "5432"))), "/healthz")
	if status != http.StatusOK || body != "ok" {
		t.Fatalf("GET /healthz = %d %q, want 200 \"ok\"", status, body)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
}

func TestInfo(t *testing.T) {
	h := newHandler(env(taskEnv("db.abc.eu-west-1.rds.amazonaws.com", "5432")))
	for _, tc := range []struct {
		target, path, query string
		params              map[string][]string
	}{
		{"/", "/", "", map[string][]string{}},
		{"/anything/here?x=1", "/anything/here", "x=1", map[string][]string{"x": {"1"}}},
		{"/a/b/c?x=1&x=2&y=%2Fz", "/a/b/c", "x=1&x=2&y=%2Fz", map[string][]string{"x": {"1", "2"}, "y": {"/z"}}},
	} {
		status, header, body := get(t, h, tc.target)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200: %s", tc.target, status, body)
		}
		if ct := header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type = %q, want application/json", tc.target, ct)
		}
		var got info
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("GET %s: %v: %s", tc.target, err, body)
		}
		want := info{
			DBHost: "db.abc.eu-west-1.rds.amazonaws.com", DBPort: "5432", DBName: "app", DBUser: "app_user",
			DBPasswordSet: true, Method: "GET", Path: tc.path, Query: tc.query,
		}
		if !equalParams(got.QueryParameters, tc.params) {
			t.Errorf("GET %s: query_parameters = %v, want %v", tc.target, got.QueryParameters, tc.params)
		}
		got.QueryParameters, want.QueryParameters = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s = %+v, want %+v", tc.target, got, want)
		}
	}
}

// equalParams compares query parameters, treating nil and empty alike.
func equalParams(a, b map[string][]string) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

func TestInfoWithoutPassword(t *testing.T) {
	vars := taskEnv("db.internal", "5432")
	delete(vars, "DB_PASSWORD")
	_, _, body := get(t, newHandler(env(vars)), "/")
	var got info
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.DBPasswordSet {
		t.Errorf("db_password_set = true without DB_PASSWORD: %s", body)
	}
}

// TestPasswordNeverShown asks every route, including the failing /db, and checks that
// no response contains the password.
func TestPasswordNeverShown(t *testing.T) {
	closed := closedPort(t)
	for _, vars := range []map[string]string{
		taskEnv("127.0.0.1", closed),
		taskEnv("127.0.0.1", ""),
		// A password in a place the handler does echo must still not leak through it.
		{"DB_PASSWORD": password},
	} {
		h := newHandler(env(vars))
		for _, target := range []string{"/", "/healthz", "/db", "/anything/here?x=1", "/" + "DB_PASSWORD", "/?DB_PASSWORD=1"} {
			_, header, body := get(t, h, target)
			if strings.Contains(body, password) {
				t.Errorf("GET %s with %v: the password is in the body: %s", target, vars, body)
			}
			for k, v := range header {
				if strings.Contains(strings.Join(v, " "), password) {
					t.Errorf("GET %s: the password is in header %s", target, k)
				}
			}
		}
	}
}

// closedPort returns a loopback port that nothing listens on: one the kernel just gave
// to a listener that is now closed.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func dbGet(t *testing.T, vars map[string]string) (int, dbCheck) {
	t.Helper()
	status, _, body := get(t, newHandler(env(vars)), "/db")
	var got dbCheck
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("GET /db: %v: %s", err, body)
	}
	return status, got
}

func TestDbReachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if c, err := l.Accept(); err == nil {
			_ = c.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(l.Addr().String())

	status, got := dbGet(t, taskEnv(host, port))
	if status != http.StatusOK || !got.Reachable || got.Error != "" {
		t.Fatalf("GET /db against a listener = %d %+v, want 200 reachable", status, got)
	}
	if got.Address != l.Addr().String() {
		t.Errorf("address = %q, want %q", got.Address, l.Addr().String())
	}
	<-accepted
}

func TestDbUnreachable(t *testing.T) {
	port := closedPort(t)
	status, got := dbGet(t, taskEnv("127.0.0.1", port))
	if status != http.StatusServiceUnavailable || got.Reachable || got.Error == "" {
		t.Fatalf("GET /db against a closed port = %d %+v, want 503 unreachable with an error", status, got)
	}
	if got.Address != net.JoinHostPort("127.0.0.1", port) {
		t.Errorf("address = %q", got.Address)
	}
	if got.Millis > dialTimeout.Milliseconds()+500 {
		t.Errorf("a refused connection took %d ms", got.Millis)
	}
}

func TestDbNotConfigured(t *testing.T) {
	for _, vars := range []map[string]string{{}, {"DB_HOST": "db.internal"}, {"DB_PORT": "5432"}} {
		status, got := dbGet(t, vars)
		if status != http.StatusServiceUnavailable || got.Reachable || !strings.Contains(got.Error, "not set") {
			t.Errorf("GET /db with %v = %d %+v, want 503 not set", vars, status, got)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHandler(env(taskEnv("db.internal", "5432")))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", strings.NewReader("x")))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
}
