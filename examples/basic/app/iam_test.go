package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed07617466/privaterdsapi/examples/basic/app/pgtest"
)

// iamUser is the role the IAM tests log in as. On RDS it would have the rds_iam role
// and no password; here its password is set to each "token" as it is handed out.
const iamUser = "iam_user"

// iamEnv is the environment of a task with IAM authentication on db: what the library
// injects with DatabaseIamAuth (no DB_PASSWORD), plus AWS_REGION as ECS sets it.
func iamEnv(db string) map[string]string {
	vars := taskEnv(db)
	delete(vars, "DB_PASSWORD")
	vars["DB_USER"] = iamUser
	vars["DB_IAM_AUTH"] = "true"
	vars["AWS_REGION"] = "us-east-1"
	return vars
}

// rotatingTokens is a token source whose every token is a new password of the role, set
// (ALTER ROLE) before the token is handed out: the previous token stops working at that
// moment, as an expired IAM token does. A connection made with anything but the newest
// token fails authentication.
type rotatingTokens struct {
	mu        sync.Mutex
	calls     int
	endpoints map[string]bool
	fail      error // when set, Token returns it
}

func (r *rotatingTokens) Token(ctx context.Context, endpoint, user string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return "", r.fail
	}
	r.calls++
	if r.endpoints == nil {
		r.endpoints = map[string]bool{}
	}
	r.endpoints[endpoint+" "+user] = true
	// Shaped like a real token: a presigned URL, with the characters a connection string
	// built by hand would break on.
	token := fmt.Sprintf("%s/?Action=connect&DBUser=%s&X-Amz-Expires=900&X-Amz-Signature=%d%%2F%s",
		endpoint, url.QueryEscape(user), r.calls, strings.Repeat("x", 700))
	if err := pg.Exec(fmt.Sprintf("ALTER ROLE %s PASSWORD %s", pgtest.QuoteIdent(user), pgtest.QuoteLiteral(token))); err != nil {
		return "", err
	}
	return token, nil
}

func (r *rotatingTokens) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// newIAMDatabase creates the IAM role (with a password nobody knows: only a token works)
// and a database it owns.
func newIAMDatabase(t *testing.T) string {
	t.Helper()
	if err := pg.Exec(fmt.Sprintf(`DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %s) THEN CREATE ROLE %s LOGIN; END IF;
	END $$`, pgtest.QuoteLiteral(iamUser), pgtest.QuoteIdent(iamUser))); err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(fmt.Sprintf("ALTER ROLE %s PASSWORD %s", pgtest.QuoteIdent(iamUser), pgtest.QuoteLiteral(randomString()))); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("items_iam_%d", dbCounter.Add(1))
	if err := pg.CreateDatabase(name, iamUser); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.DropDatabase(name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

func randomString() string { return fmt.Sprintf("unknown-%d", time.Now().UnixNano()) }

// TestIAMTokenPerConnection: with DB_IAM_AUTH=true every connection the pool opens asks
// for a fresh token and authenticates with it, a token is never reused for a later
// connection (each one has replaced the password, so a reused token would fail), queries
// on open connections ask for none, and an open connection keeps working after its token
// is no longer valid (why maxConnLifetime need not follow the token's 15 minutes).
func TestIAMTokenPerConnection(t *testing.T) {
	db := newIAMDatabase(t)
	vars := iamEnv(db)
	vars["DB_MAX_CONNS"] = "3"
	tokens := &rotatingTokens{}
	a := startAppWithTokens(t, vars, tokens)
	waitFor(t, 10*time.Second, "the schema", func() bool { return a.schemaReady.Load() })

	newConns := func() int { return int(a.pool.Stat().NewConnsCount()) }
	if got, want := tokens.count(), newConns(); got != want || got == 0 {
		t.Fatalf("%d tokens for %d new connections, want one per connection", got, want)
	}
	endpoint := fmt.Sprintf("%s:%d %s", pg.Host, pg.Port, iamUser)
	if len(tokens.endpoints) != 1 || !tokens.endpoints[endpoint] {
		t.Errorf("tokens were asked for %v, want only %q (DB_HOST:DB_PORT and DB_USER)", tokens.endpoints, endpoint)
	}

	// Queries on the open connections: a token only for a connection opened meanwhile.
	before, connsBefore := tokens.count(), newConns()
	for i := 0; i < 20; i++ {
		if r := do(t, "POST", a.URL+"/items", fmt.Sprintf(`{"name": "item %d"}`, i)); r.Status != 201 {
			t.Fatalf("POST /items = %d %q", r.Status, r.Body)
		}
	}
	if got, want := tokens.count()-before, newConns()-connsBefore; got != want || got >= 20 {
		t.Errorf("20 requests asked for %d tokens and opened %d connections, want a token per new connection only", got, want)
	}

	// The pool at its size: three connections held at once, each new one with a new
	// token that invalidated the one before; all three work, also those whose token is
	// no longer valid.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.pool.Reset() // closes every idle connection: what the pool opens next is new
	var held []*pgxpool.Conn
	for i := 0; i < 3; i++ {
		c, err := a.pool.Acquire(ctx)
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		held = append(held, c)
	}
	for i, c := range held {
		var user string
		if err := c.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != iamUser {
			t.Errorf("connection %d after later tokens replaced its own: user %q, %v", i+1, user, err)
		}
		c.Release()
	}
	if got, want := tokens.count(), newConns(); got != want {
		t.Errorf("%d tokens for %d new connections, want one per connection", got, want)
	}

	// After the pool drops its connections (lifetime, failover, Reset), the next request
	// needs a new connection: it gets a new token and succeeds, the previous token being
	// expired.
	if err := pg.Exec(fmt.Sprintf("ALTER ROLE %s PASSWORD %s", pgtest.QuoteIdent(iamUser), pgtest.QuoteLiteral(randomString()))); err != nil {
		t.Fatal(err)
	}
	a.pool.Reset()
	before = tokens.count()
	r := do(t, "GET", a.URL+"/items?limit=200", "")
	if r.Status != 200 || len(r.JSON(t)["items"].([]any)) != 20 {
		t.Errorf("GET /items after every token expired = %d %q", r.Status, r.Body)
	}
	if tokens.count() != before+1 {
		t.Errorf("the request after Reset asked for %d tokens, want 1", tokens.count()-before)
	}
	checkNoToken(t, a.logs.String())
}

// checkNoToken fails when a token (the fake ones of rotatingTokens) is in the logs.
func checkNoToken(t *testing.T, logs string) {
	t.Helper()
	if strings.Contains(logs, "X-Amz-Signature") {
		t.Errorf("a token is in the logs:\n%s", logs)
	}
}

// TestIAMTokenError: when no token can be made (no credentials, the credentials endpoint
// unreachable), the app keeps running: /healthz 200, database routes 503, the error logged
// clearly; once tokens come again, it recovers by itself.
func TestIAMTokenError(t *testing.T) {
	db := newIAMDatabase(t)
	tokens := &rotatingTokens{fail: errors.New("failed to refresh cached credentials: no credentials endpoint")}
	a := startAppWithTokens(t, iamEnv(db), tokens)
	waitFor(t, 5*time.Second, "a failed attempt", func() bool {
		return strings.Contains(a.logs.String(), "IAM authentication token for "+iamUser+" at ")
	})
	if !strings.Contains(a.logs.String(), "no credentials endpoint") {
		t.Errorf("the log does not give the token source's error:\n%s", a.logs.String())
	}
	if r := do(t, "GET", a.URL+"/healthz", ""); r.Status != 200 {
		t.Errorf("/healthz = %d", r.Status)
	}
	for _, path := range []string{"/readyz", "/items"} {
		if r := do(t, "GET", a.URL+path, ""); r.Status != 503 {
			t.Errorf("GET %s without tokens = %d %q, want 503", path, r.Status, r.Body)
		}
	}

	// The schema is there, the token source fails again: a request answers 503 within
	// the query timeout, and the error is logged.
	tokens.mu.Lock()
	tokens.fail = nil
	tokens.mu.Unlock()
	waitFor(t, 15*time.Second, "recovery", func() bool { return a.schemaReady.Load() })
	tokens.mu.Lock()
	tokens.fail = errors.New("credentials endpoint timed out")
	tokens.mu.Unlock()
	a.pool.Reset()
	start := time.Now()
	r := do(t, "GET", a.URL+"/items", "")
	if r.Status != 503 || r.JSON(t)["error"] != "database unavailable" || time.Since(start) > queryTimeout+time.Second {
		t.Errorf("GET /items when tokens fail = %d %q after %v, want 503 within %v", r.Status, r.Body, time.Since(start), queryTimeout)
	}
	if !strings.Contains(a.logs.String(), "credentials endpoint timed out") {
		t.Errorf("the request's error is not logged:\n%s", a.logs.String())
	}
	checkNoToken(t, a.logs.String())
}

// TestRDSTokens builds a real token with aws-sdk-go-v2's feature/rds/auth from static
// credentials (no network): a presigned rds-db:connect URL for the endpoint and user,
// valid 15 minutes, for the Region.
func TestRDSTokens(t *testing.T) {
	src := &rdsTokens{region: "eu-west-1", creds: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret-never-shown", "")}
	tok, err := src.Token(context.Background(), "db.proxy-abc.eu-west-1.rds.amazonaws.com:5432", "app_user")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse("https://" + tok)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "db.proxy-abc.eu-west-1.rds.amazonaws.com:5432" || q.Get("Action") != "connect" || q.Get("DBUser") != "app_user" ||
		q.Get("X-Amz-Expires") != "900" || !strings.Contains(q.Get("X-Amz-Credential"), "/eu-west-1/rds-db/aws4_request") ||
		q.Get("X-Amz-Signature") == "" || strings.Contains(tok, "secret-never-shown") {
		t.Errorf("token %q is not a 15-minute rds-db connect token for app_user in eu-west-1", tok)
	}
	if _, err := (&rdsTokens{region: "eu-west-1"}).Token(context.Background(), "h:5432", "u"); err == nil {
		t.Error("no error without credentials")
	}
}

// TestBundleOfSeveralCAs: DB_SSLROOTCERT may hold several CAs (the image's holds the RDS
// bundle and the Amazon Trust Services roots): verify-full succeeds when any of them
// signed the server's certificate, wherever it is in the file.
func TestBundleOfSeveralCAs(t *testing.T) {
	ca, err := os.ReadFile(pg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := os.ReadFile(pg.WrongCAFile)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(bundle, append(append(wrong, '\n'), ca...), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := taskEnv(newDatabase(t))
	vars["DB_SSLROOTCERT"] = bundle
	a := startApp(t, vars)
	waitFor(t, 10*time.Second, "the schema", func() bool { return a.schemaReady.Load() })
	if r := do(t, "GET", a.URL+"/readyz", ""); r.Status != 200 {
		t.Errorf("/readyz with a bundle of two CAs = %d %q", r.Status, r.Body)
	}
}

// TestIAMProcessUsesContainerCredentials runs the app binary with DB_IAM_AUTH=true and the
// SDK's default credential chain pointed at a credentials endpoint on loopback, as ECS
// points it at 169.254.170.2 (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; FULL_URI here, which
// the same provider reads): the app fetches the task role's credentials there, signs a
// token and presents it to the database, which refuses it (a test server is no RDS). The
// app keeps running and answers 503, and neither the token nor the secret key is logged.
func TestIAMProcessUsesContainerCredentials(t *testing.T) {
	var requests atomic.Int64
	creds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		writeJSON(w, http.StatusOK, map[string]string{
			"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret-never-shown", "Token": "session-never-shown",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	defer creds.Close()
	vars := iamEnv(newIAMDatabase(t))
	vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = creds.URL + "/v2/credentials/task-role"
	vars["AWS_EC2_METADATA_DISABLED"] = "true"
	p := startProcess(t, vars)
	waitFor(t, 10*time.Second, "a refused token", func() bool {
		return strings.Contains(p.Output(), `password authentication failed for user \"`+iamUser+`\"`)
	})
	if requests.Load() == 0 {
		t.Error("the credentials endpoint was not asked")
	}
	if r := do(t, "GET", p.URL+"/healthz", ""); r.Status != 200 {
		t.Errorf("/healthz = %d", r.Status)
	}
	if r := do(t, "GET", p.URL+"/items", ""); r.Status != 503 {
		t.Errorf("GET /items = %d, want 503", r.Status)
	}
	for _, secret := range []string{"X-Amz-Signature", "secret-never-shown", "session-never-shown"} {
		if strings.Contains(p.Output(), secret) {
			t.Errorf("%s is in the app's output:\n%s", secret, p.Output())
		}
	}
}
