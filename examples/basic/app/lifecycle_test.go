package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// adminConn connects to db as the superuser over TLS (verify-full), for a test to act on
// the database behind the app's back.
func adminConn(t *testing.T, db string) *pgx.Conn {
	t.Helper()
	c := dbConfig{Host: pg.Host, Port: strconv.Itoa(pg.Port), Name: db, User: pg.SuperUser,
		Password: pg.SuperPassword, SSLMode: "verify-full", SSLRootCert: pg.CAFile}
	pc, err := c.poolConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// TestTLS: the default verify-full connects with the right CA (every other test does
// too), refuses a server whose certificate another CA signed, and the test server, like
// RDS with rds.force_ssl, refuses connections without TLS.
func TestTLS(t *testing.T) {
	db := newDatabase(t)
	connect := func(mode, ca string) error {
		vars := taskEnv(db)
		vars["DB_SSLMODE"], vars["DB_SSLROOTCERT"] = mode, ca
		pc := poolConfigOf(t, vars)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig)
		if err == nil {
			var ssl bool
			err = conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl)
			if err == nil && !ssl {
				err = fmt.Errorf("connected without TLS")
			}
			_ = conn.Close(ctx)
		}
		return err
	}
	if err := connect("verify-full", pg.CAFile); err != nil {
		t.Errorf("verify-full with the server's CA: %v", err)
	}
	err := connect("verify-full", pg.WrongCAFile)
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("verify-full with another CA: err = %v, want an unknown authority", err)
	}
	checkNoPassword(t, "error", fmt.Sprint(err))
	if err := connect("disable", ""); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Errorf("without TLS: err = %v, want the server's refusal", err)
	}

	// The app with the wrong CA: it runs, /healthz answers, the database routes answer 503.
	vars := taskEnv(db)
	vars["DB_SSLROOTCERT"] = pg.WrongCAFile
	a := startApp(t, vars)
	waitFor(t, 5*time.Second, "a failed attempt", func() bool {
		return strings.Contains(a.logs.String(), "certificate signed by unknown authority")
	})
	if r := do(t, "GET", a.URL+"/healthz", ""); r.Status != 200 {
		t.Errorf("/healthz = %d", r.Status)
	}
	for _, path := range []string{"/readyz", "/items"} {
		if r := do(t, "GET", a.URL+path, ""); r.Status != 503 {
			t.Errorf("GET %s with the wrong CA = %d %q, want 503", path, r.Status, r.Body)
		}
	}
}

// TestWrongPassword: authentication failures are retried and logged without the password.
func TestWrongPassword(t *testing.T) {
	vars := taskEnv(newDatabase(t))
	vars["DB_PASSWORD"] = "wrong-never-shown"
	a := startApp(t, vars)
	waitFor(t, 5*time.Second, "a failed attempt", func() bool {
		return strings.Contains(a.logs.String(), "password authentication failed")
	})
	if r := do(t, "POST", a.URL+"/items", `{"name": "x"}`); r.Status != 503 || r.JSON(t)["error"] != "database not ready" {
		t.Errorf("POST /items = %d %q, want 503", r.Status, r.Body)
	}
}

// TestConcurrentSchemaCreation starts several app instances at once on one empty
// database, as tasks of a new service do: each creates the schema, none fails.
func TestConcurrentSchemaCreation(t *testing.T) {
	for round := 0; round < 3; round++ {
		db := newDatabase(t)
		const n = 6
		var apps []*server
		for i := 0; i < n; i++ {
			c, err := loadConfig(getenv(taskEnv(db)))
			if err != nil {
				t.Fatal(err)
			}
			s, err := newServer(c, slog.New(slog.DiscardHandler), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.pool.Close()
			apps = append(apps, s)
		}
		start := make(chan struct{})
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, s := range apps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				errs[i] = s.db.createSchema(ctx)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, instance %d: %v", round, i, err)
			}
		}
	}
}

// TestSchemaWaitsForTheLock: schema creation waits while another session holds the
// schema's advisory lock, and goes on when it is released.
func TestSchemaWaitsForTheLock(t *testing.T) {
	db := newDatabase(t)
	admin := adminConn(t, db)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, schemaLockKey); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, taskEnv(db))
	waitFor(t, 5*time.Second, "the app to wait for the advisory lock", func() bool {
		var waiting int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	time.Sleep(100 * time.Millisecond)
	if a.schemaReady.Load() {
		t.Fatal("the schema was created while another session held the lock")
	}
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_unlock($1)`, schemaLockKey); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the schema after the lock was released", func() bool { return a.schemaReady.Load() })
}

// interruptDatabase interrupts the test server with stop (pg.Stop, pg.Freeze). The
// function it returns ends the interruption with restore (pg.Resume, pg.Thaw); it also
// runs at the end of the test, for a test that ended early.
func interruptDatabase(t *testing.T, stop, restore func() error) (end func()) {
	t.Helper()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	end = func() {
		once.Do(func() {
			if err := restore(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(end)
	return end
}

// TestDatabaseRestart stops the database under the running app binary: database routes
// answer 503 quickly, /healthz stays 200, the process keeps running, and it recovers by
// itself when the database is back.
func TestDatabaseRestart(t *testing.T) {
	db := newDatabase(t)
	p := startProcess(t, taskEnv(db))
	waitFor(t, 10*time.Second, "ready", func() bool { return do(t, "GET", p.URL+"/readyz", "").Status == 200 })
	before := do(t, "POST", p.URL+"/items", `{"name": "before the restart"}`)
	if before.Status != 201 {
		t.Fatalf("POST = %d %q", before.Status, before.Body)
	}

	resume := interruptDatabase(t, pg.Stop, pg.Resume)
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/items", ""}, {"POST", "/items", `{"name": "during"}`}, {"GET", "/prod/items/1", ""},
		{"DELETE", "/items/1", ""}, {"GET", "/readyz", ""},
	} {
		start := time.Now()
		r := do(t, req.method, p.URL+req.path, req.body)
		took := time.Since(start)
		if r.Status != 503 || r.JSON(t)["error"] == nil {
			t.Errorf("%s %s with the database down = %d %q, want 503", req.method, req.path, r.Status, r.Body)
		}
		if took > queryTimeout+500*time.Millisecond {
			t.Errorf("%s %s took %v with the database down, want at most %v", req.method, req.path, took, queryTimeout)
		}
	}
	if r := do(t, "GET", p.URL+"/healthz", ""); r.Status != 200 {
		t.Errorf("/healthz with the database down = %d", r.Status)
	}
	time.Sleep(300 * time.Millisecond)
	if p.Exited() {
		t.Fatalf("the app exited when the database went away")
	}

	resume()
	start := time.Now()
	waitFor(t, 15*time.Second, "recovery", func() bool { return do(t, "GET", p.URL+"/readyz", "").Status == 200 })
	t.Logf("ready again %v after the database came back", time.Since(start).Round(time.Millisecond))
	list := do(t, "GET", p.URL+"/items", "")
	if list.Status != 200 || !strings.Contains(list.Body, "before the restart") {
		t.Errorf("GET /items after the restart = %d %q", list.Status, list.Body)
	}
	if r := do(t, "POST", p.URL+"/items", `{"name": "after the restart"}`); r.Status != 201 {
		t.Errorf("POST after the restart = %d %q", r.Status, r.Body)
	}
}

// TestDatabaseUnresponsive freezes the database (it accepts nothing and answers nothing,
// as in a failover or a network cut): every database request still gets its 503 within
// its timeout, /healthz stays instant, and the app recovers when the database thaws.
func TestDatabaseUnresponsive(t *testing.T) {
	a := startReadyApp(t)
	if r := do(t, "POST", a.URL+"/items", `{"name": "before"}`); r.Status != 201 {
		t.Fatalf("POST = %d %q", r.Status, r.Body)
	}
	time.Sleep(1100 * time.Millisecond) // idle long enough for the pool to ping before reuse
	thaw := interruptDatabase(t, pg.Freeze, pg.Thaw)

	// All at once: each waits out its own timeout.
	var wg sync.WaitGroup
	for _, c := range []struct {
		method, path, body string
		status             int
		within             time.Duration
	}{
		{"GET", "/healthz", "", 200, 500 * time.Millisecond},
		{"GET", "/readyz", "", 503, readyTimeout + time.Second},
		{"GET", "/items", "", 503, queryTimeout + time.Second},
		{"GET", "/items/1", "", 503, queryTimeout + time.Second},
		{"POST", "/prod/items", `{"name": "frozen"}`, 503, queryTimeout + time.Second},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			r, err := tryDo(c.method, a.URL+c.path, c.body)
			took := time.Since(start)
			if err != nil || r.Status != c.status || took > c.within {
				t.Errorf("%s %s with the database frozen = %d %v after %v, want %d within %v",
					c.method, c.path, r.Status, err, took.Round(time.Millisecond), c.status, c.within)
			}
			t.Logf("%s %s with the database frozen: %d after %v", c.method, c.path, r.Status, took.Round(time.Millisecond))
		}()
	}
	wg.Wait()

	thaw()
	waitFor(t, 10*time.Second, "recovery", func() bool { return do(t, "GET", a.URL+"/readyz", "").Status == 200 })
	if r := do(t, "GET", a.URL+"/items", ""); r.Status != 200 || !strings.Contains(r.Body, "before") {
		t.Errorf("GET /items after the thaw = %d %q", r.Status, r.Body)
	}
}

// TestStartBeforeTheDatabase: a task that starts while the database is down serves
// /healthz at once, answers 503 on database routes, and creates the schema when the
// database comes up.
func TestStartBeforeTheDatabase(t *testing.T) {
	db := newDatabase(t)
	resume := interruptDatabase(t, pg.Stop, pg.Resume)
	p := startProcess(t, taskEnv(db))
	if r := do(t, "GET", p.URL+"/healthz", ""); r.Status != 200 {
		t.Errorf("/healthz = %d", r.Status)
	}
	for _, path := range []string{"/readyz", "/items"} {
		if r := do(t, "GET", p.URL+path, ""); r.Status != 503 || r.JSON(t)["error"] != "database not ready" {
			t.Errorf("GET %s = %d %q, want 503 database not ready", path, r.Status, r.Body)
		}
	}
	waitFor(t, 5*time.Second, "a retry", func() bool { return p.Logged("database not ready, retrying") })
	resume()
	waitFor(t, 15*time.Second, "the schema", func() bool { return p.Logged("schema ready") })
	if r := do(t, "POST", p.URL+"/items", `{"name": "x"}`); r.Status != 201 {
		t.Errorf("POST = %d %q", r.Status, r.Body)
	}
}

// TestSigtermDrains sends SIGTERM to the app binary while requests wait on a table lock:
// it stops accepting connections at once, finishes the requests in flight, and exits 0.
func TestSigtermDrains(t *testing.T) {
	db := newDatabase(t)
	p := startProcess(t, taskEnv(db))
	waitFor(t, 10*time.Second, "ready", func() bool { return do(t, "GET", p.URL+"/readyz", "").Status == 200 })

	admin, watcher := adminConn(t, db), adminConn(t, db)
	ctx := context.Background()
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE items IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const inFlight = 5
	results := make(chan response, inFlight)
	for i := 0; i < inFlight; i++ {
		go func() {
			r, err := tryDo("POST", p.URL+"/items", fmt.Sprintf(`{"name": "in flight %d"}`, i))
			if err != nil {
				r.Body = err.Error()
			}
			results <- r
		}()
	}
	waitFor(t, 5*time.Second, "the requests to wait on the lock", func() bool {
		// Not on admin: inside its transaction, pg_stat_activity is a snapshot.
		var n int
		err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND application_name = 'items-api' AND wait_event_type = 'Lock'`, db).Scan(&n)
		return err == nil && n == inFlight
	})

	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "new connections to be refused", func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.URL, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	time.Sleep(200 * time.Millisecond)
	if p.Exited() {
		t.Fatal("the app exited with requests in flight")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < inFlight; i++ {
		if r := <-results; r.Status != 201 {
			t.Errorf("a request in flight at SIGTERM got %d %q, want 201", r.Status, r.Body)
		}
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the app did not exit after its requests finished")
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	for _, msg := range []string{"shutting down", "stopped"} {
		if !p.Logged(msg) {
			t.Errorf("no %q log line", msg)
		}
	}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil || n != inFlight {
		t.Errorf("%d items stored (%v), want %d", n, err, inFlight)
	}
}

// TestLoad sends 2,000 requests from 50 concurrent clients over loopback (POST, GET of
// the new item, list) and expects no error at all. The rate is logged, not asserted:
// speed goals belong in benchmarks.
func TestLoad(t *testing.T) {
	a := startReadyApp(t)
	const total, workers = 2000, 50
	var next, failures atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last item
			for i := next.Add(1); i <= total; i = next.Add(1) {
				var r response
				var err error
				switch {
				case i%3 == 0 || last.ID == 0:
					r, err = tryDo("POST", a.URL+"/prod/items", fmt.Sprintf(`{"name": "load %d"}`, i))
					if err == nil && r.Status == 201 {
						err = json.Unmarshal([]byte(r.Body), &last)
						if err == nil {
							continue
						}
					}
				case i%3 == 1:
					r, err = tryDo("GET", fmt.Sprintf("%s/items/%d", a.URL, last.ID), "")
				default:
					r, err = tryDo("GET", a.URL+"/items?limit=20", "")
				}
				if err != nil {
					fail(err)
				} else if r.Status != 200 {
					fail(fmt.Errorf("%d %s", r.Status, r.Body))
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", n, total, firstErr.Load())
	}
	t.Logf("%d requests, %d concurrent, no errors: %v, %.0f requests/s", total, workers, took.Round(time.Millisecond), total/took.Seconds())
}
