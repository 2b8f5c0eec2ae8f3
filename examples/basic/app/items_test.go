package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// prefixes are the two forms of every path: as the integration URI names it, and with the
// stage name that a VPC link V2 integration may put in front.
var prefixes = []string{"", "/prod"}

func TestHealthz(t *testing.T) {
	a := startReadyApp(t)
	for _, p := range prefixes {
		r := do(t, "GET", a.URL+p+"/healthz", "")
		if r.Status != 200 || r.JSON(t)["status"] != "ok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s/healthz = %d %s %q", p, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
}

func TestReadyz(t *testing.T) {
	a := startReadyApp(t)
	for _, p := range prefixes {
		if r := do(t, "GET", a.URL+p+"/readyz", ""); r.Status != 200 || r.JSON(t)["status"] != "ready" {
			t.Errorf("GET %s/readyz = %d %q", p, r.Status, r.Body)
		}
	}
	a.draining.Store(true)
	if r := do(t, "GET", a.URL+"/readyz", ""); r.Status != 503 || r.JSON(t)["error"] != "shutting down" {
		t.Errorf("GET /readyz while draining = %d %q, want 503", r.Status, r.Body)
	}
}

// TestItems walks every route and status with and without the stage prefix.
func TestItems(t *testing.T) {
	a := startReadyApp(t)
	for _, p := range prefixes {
		t.Run("prefix="+p, func(t *testing.T) {
			base := a.URL + p + "/items"
			created := do(t, "POST", base, `{"name": "first"}`)
			if created.Status != 201 || created.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("POST = %d %q", created.Status, created.Body)
			}
			it := created.JSON(t)
			id, ok := it["id"].(float64)
			if !ok || id < 1 || it["name"] != "first" {
				t.Fatalf("POST answered %q", created.Body)
			}
			at, err := time.Parse(time.RFC3339Nano, it["created_at"].(string))
			if err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
				t.Errorf("created_at %v (%v)", it["created_at"], err)
			}
			itemURL := fmt.Sprintf("%s/%d", base, int64(id))

			got := do(t, "GET", itemURL, "")
			if got.Status != 200 || got.Body != created.Body {
				t.Errorf("GET %s = %d %q, want 200 %q", itemURL, got.Status, got.Body, created.Body)
			}
			list := do(t, "GET", base, "")
			items, _ := list.JSON(t)["items"].([]any)
			if list.Status != 200 || len(items) == 0 || items[0].(map[string]any)["id"] != id {
				t.Errorf("GET %s = %d %q, want the new item first", base, list.Status, list.Body)
			}

			if r := do(t, "DELETE", itemURL, ""); r.Status != 204 || r.Body != "" {
				t.Errorf("DELETE = %d %q, want 204 and no body", r.Status, r.Body)
			}
			for _, method := range []string{"GET", "DELETE"} {
				if r := do(t, method, itemURL, ""); r.Status != 404 || r.JSON(t)["error"] != "item not found" {
					t.Errorf("%s after DELETE = %d %q, want 404", method, r.Status, r.Body)
				}
			}
		})
	}
}

func TestItemIDs(t *testing.T) {
	a := startReadyApp(t)
	for _, tc := range []struct {
		id     string
		status int
	}{
		{"999999", 404},
		{"0", 404},
		{"-1", 404},
		{"abc", 400},
		{"1.5", 400},
		{"1e3", 400},
		{"99999999999999999999", 400}, // beyond bigint
		{"1%3BDROP%20TABLE%20items", 400},
	} {
		for _, method := range []string{"GET", "DELETE"} {
			r := do(t, method, a.URL+"/prod/items/"+tc.id, "")
			if r.Status != tc.status || r.JSON(t)["error"] == nil {
				t.Errorf("%s /prod/items/%s = %d %q, want %d with an error", method, tc.id, r.Status, r.Body, tc.status)
			}
		}
	}
}

func TestCreateItemValidation(t *testing.T) {
	a := startReadyApp(t)
	longest := strings.Repeat("é", maxNameChars) // 200 characters, 400 bytes
	for _, tc := range []struct {
		body   string
		status int
		error  string
	}{
		{`{"name": "` + longest + `"}`, 201, ""},
		{`{"name": "` + longest + `x"}`, 400, `"name" must be at most 200 characters`},
		{`{"name": ""}`, 400, `"name" must not be empty`},
		{`{"name": " \t\n"}`, 400, `"name" must not be empty`},
		{`{"name": null}`, 400, `"name" is required`},
		{`{}`, 400, `"name" is required`},
		{`{"name": 5}`, 400, `"name" must be a string`},
		{`{"name": ["a"]}`, 400, `"name" must be a string`},
		{`{"name": "a\u0000b"}`, 400, `"name" must not contain NUL characters`},
		{`{"name": "a", "id": 7}`, 400, `unknown field "id"`},
		{`{"Name": "a"}`, 400, `unknown field "Name"`},
		{`{"name": "a"} {"name": "b"}`, 400, "body must be a single JSON object"},
		{`{"name": "a"`, 400, "malformed JSON"},
		{`{name: "a"}`, 400, "malformed JSON"},
		{``, 400, `body must be a JSON object like {"name": "..."}`},
		{`null`, 400, `body must be a JSON object like {"name": "..."}`},
		{`["a"]`, 400, `body must be a JSON object like {"name": "..."}`},
		{`"a"`, 400, `body must be a JSON object like {"name": "..."}`},
		{`{"name": "` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, "body larger than 4096 bytes"},
	} {
		r := do(t, "POST", a.URL+"/items", tc.body)
		if r.Status != tc.status {
			t.Errorf("POST %.60q = %d %q, want %d", tc.body, r.Status, r.Body, tc.status)
			continue
		}
		if tc.error != "" && r.JSON(t)["error"] != tc.error {
			t.Errorf("POST %.60q: error %q, want %q", tc.body, r.JSON(t)["error"], tc.error)
		}
	}
	list := do(t, "GET", a.URL+"/items", "")
	if items := list.JSON(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != longest {
		t.Errorf("only the valid item should exist: %.200s", list.Body)
	}
}

// TestSQLInInput: what a client sends is data, never SQL.
func TestSQLInInput(t *testing.T) {
	a := startReadyApp(t)
	names := []string{
		`'); DROP TABLE items; --`,
		`Robert'); DELETE FROM items WHERE ('1'='1`,
		`$1 $$ \' " ; -- /* */`,
	}
	for _, name := range names {
		body := fmt.Sprintf(`{"name": %q}`, name)
		r := do(t, "POST", a.URL+"/items", body)
		if r.Status != 201 || r.JSON(t)["name"] != name {
			t.Fatalf("POST %s = %d %q", body, r.Status, r.Body)
		}
		if got := do(t, "GET", fmt.Sprintf("%s/items/%v", a.URL, r.JSON(t)["id"]), ""); got.JSON(t)["name"] != name {
			t.Errorf("stored %q, read back %q", name, got.JSON(t)["name"])
		}
	}
	if r := do(t, "GET", a.URL+"/items?limit=1;DROP%20TABLE%20items", ""); r.Status != 400 {
		t.Errorf("limit with SQL = %d, want 400", r.Status)
	}
	list := do(t, "GET", a.URL+"/items", "")
	if items := list.JSON(t)["items"].([]any); list.Status != 200 || len(items) != len(names) {
		t.Errorf("after SQL-looking input: %d %q", list.Status, list.Body)
	}
}

func TestListItems(t *testing.T) {
	a := startReadyApp(t)
	const n = 55
	for i := 1; i <= n; i++ {
		if r := do(t, "POST", a.URL+"/items", fmt.Sprintf(`{"name": "item %d"}`, i)); r.Status != 201 {
			t.Fatalf("POST = %d %q", r.Status, r.Body)
		}
	}
	names := func(query string) []string {
		r := do(t, "GET", a.URL+"/prod/items"+query, "")
		if r.Status != 200 {
			t.Fatalf("GET /prod/items%s = %d %q", query, r.Status, r.Body)
		}
		var out []string
		for _, it := range r.JSON(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return out
	}
	if got := names(""); len(got) != defaultLimit || got[0] != "item 55" || got[49] != "item 6" {
		t.Errorf("default list: %d items, %q ... %q; want 50, newest first", len(got), got[0], got[len(got)-1])
	}
	if got := names("?limit=1"); len(got) != 1 || got[0] != "item 55" {
		t.Errorf("limit=1: %q", got)
	}
	if got := names("?limit=200"); len(got) != n || got[n-1] != "item 1" {
		t.Errorf("limit=200: %d items", len(got))
	}
	for _, bad := range []string{"0", "201", "-1", "abc", "1.5", ""} {
		r := do(t, "GET", a.URL+"/items?limit="+bad, "")
		if bad == "" {
			if r.Status != 200 {
				t.Errorf("limit= (empty) = %d, want the default", r.Status)
			}
			continue
		}
		if r.Status != 400 || r.JSON(t)["error"] != `"limit" must be an integer from 1 to 200` {
			t.Errorf("limit=%s = %d %q, want 400", bad, r.Status, r.Body)
		}
	}
}

func TestEmptyList(t *testing.T) {
	a := startReadyApp(t)
	if r := do(t, "GET", a.URL+"/items", ""); r.Status != 200 || strings.TrimSpace(r.Body) != `{"items":[]}` {
		t.Errorf("GET /items on an empty table = %d %q, want {\"items\":[]}", r.Status, r.Body)
	}
}

// TestUnknownRoutes: every answer is JSON, also the router's own 404 and 405; the stage
// prefix is stripped once and only as a whole path segment.
func TestUnknownRoutes(t *testing.T) {
	a := startReadyApp(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 404},
		{"GET", "/prod", 404},
		{"GET", "/prod/", 404},
		{"GET", "/nothing", 404},
		{"GET", "/prodx/items", 404},
		{"GET", "/prod/prod/items", 404},
		{"GET", "/staging/items", 404},
		{"GET", "/items/", 404},
		{"GET", "/items/1/more", 404},
		{"PUT", "/items", 405},
		{"PATCH", "/prod/items/1", 405},
		{"POST", "/healthz", 405},
		{"DELETE", "/items", 405},
	} {
		r := do(t, tc.method, a.URL+tc.path, "")
		if r.Status != tc.status || r.Header.Get("Content-Type") != "application/json" || r.JSON(t)["error"] == nil {
			t.Errorf("%s %s = %d %s %q, want %d JSON", tc.method, tc.path, r.Status, r.Header.Get("Content-Type"), r.Body, tc.status)
		}
		if tc.status == 405 && r.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
}

// TestNoStage: without API_STAGE, /prod/... is just an unknown path.
func TestNoStage(t *testing.T) {
	vars := taskEnv(newDatabase(t))
	delete(vars, "API_STAGE")
	a := startApp(t, vars)
	waitFor(t, 10*time.Second, "the schema", func() bool { return a.schemaReady.Load() })
	if r := do(t, "GET", a.URL+"/items", ""); r.Status != 200 {
		t.Errorf("GET /items = %d", r.Status)
	}
	if r := do(t, "GET", a.URL+"/prod/items", ""); r.Status != 404 {
		t.Errorf("GET /prod/items without API_STAGE = %d, want 404", r.Status)
	}
}

// TestRequestLog: one JSON line per request with method, path as received, status and
// duration.
func TestRequestLog(t *testing.T) {
	a := startReadyApp(t)
	do(t, "POST", a.URL+"/prod/items?x=secret-query", `{"name": "logged"}`)
	do(t, "GET", a.URL+"/items/abc", "")
	var requests []map[string]any
	for _, l := range logLines(t, a.logs.String()) {
		if l["msg"] == "request" {
			requests = append(requests, l)
		}
	}
	if len(requests) != 2 {
		t.Fatalf("%d request lines, want 2:\n%s", len(requests), a.logs.String())
	}
	for i, want := range []struct {
		method, path string
		status       float64
	}{{"POST", "/prod/items", 201}, {"GET", "/items/abc", 400}} {
		l := requests[i]
		d, ok := l["duration_ms"].(float64)
		if l["method"] != want.method || l["path"] != want.path || l["status"] != want.status || !ok || d < 0 || l["level"] != "INFO" {
			t.Errorf("log line %v, want %s %s %v with duration_ms", l, want.method, want.path, want.status)
		}
	}
	if strings.Contains(a.logs.String(), "secret-query") || strings.Contains(a.logs.String(), `"logged"`) {
		t.Errorf("the log holds the query string or the body:\n%s", a.logs.String())
	}
}

// TestPanicAnswers500 checks the recovery middleware with a handler that panics.
func TestPanicAnswers500(t *testing.T) {
	a := startReadyApp(t)
	h := a.logRequests(a.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "internal error") {
		t.Errorf("panic answered %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(a.logs.String(), `"msg":"panic"`) {
		t.Errorf("no panic log:\n%s", a.logs.String())
	}
}
