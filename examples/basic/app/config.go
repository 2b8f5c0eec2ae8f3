package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of the optional variables.
const (
	defaultPort     = "8080" // privaterdsapi's ContainerPort default
	defaultSSLMode  = "verify-full"
	defaultMaxConns = 10
	// defaultSSLRootCert is where the Dockerfile puts the CAs of what the app may connect
	// to: the RDS global CA bundle (an RDS instance or Aurora cluster endpoint) followed by
	// the Amazon Trust Services roots (an RDS Proxy endpoint, whose certificate comes from
	// ACM and does not chain to the RDS bundle). See the Dockerfile.
	defaultSSLRootCert = "/etc/ssl/certs/rds-and-amazon-roots.pem"
)

// Connection pool settings. The pool connects lazily; a connection that cannot be made
// within connectTimeout fails, and requests never wait longer than queryTimeout anyway.
//
// With IAM authentication (DB_IAM_AUTH=true) every new connection gets a fresh token in
// BeforeConnect; the token is checked only when a connection starts (PostgreSQL and RDS
// Proxy authenticate a session once), so a pooled connection may outlive its token's 15
// minutes. maxConnLifetime therefore stays 30 minutes in both modes: it bounds how long a
// connection keeps a database or proxy endpoint after a failover or scaling event, not the
// token's lifetime.
const (
	connectTimeout  = 5 * time.Second
	maxConnLifetime = 30 * time.Minute
	maxConnIdleTime = 5 * time.Minute
	healthCheck     = 30 * time.Second
)

// config is the service's configuration, read from the environment.
type config struct {
	// Host and Port are where the HTTP server listens (HOST, default all interfaces;
	// PORT, default 8080).
	Host, Port string
	// Stage is the API Gateway stage name (API_STAGE): requests under /<Stage>/ are
	// served as if the prefix were not there. Empty: no prefix is stripped.
	Stage string
	DB    dbConfig
}

// dbConfig is how to reach PostgreSQL.
type dbConfig struct {
	// Password is DB_PASSWORD, empty with IAM authentication.
	Host, Port, Name, User, Password string
	// IAMAuth is DB_IAM_AUTH=true: each new connection authenticates with an IAM
	// authentication token signed with the task role's credentials, and no password exists.
	IAMAuth bool
	// Region is the AWS Region a token is signed for (AWS_REGION, which ECS sets, else
	// AWS_DEFAULT_REGION). Only read with IAMAuth.
	Region string
	// SSLMode is libpq's sslmode (DB_SSLMODE, default verify-full).
	SSLMode string
	// SSLRootCert is the PEM file of the CAs that may sign the server's certificate
	// (DB_SSLROOTCERT, default the RDS global bundle in the image), or "system".
	SSLRootCert string
	// MaxConns is the pool's size (DB_MAX_CONNS, default 10).
	MaxConns int32
}

// stagePattern is what API Gateway accepts as a stage name.
var stagePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// routeNames are the first path segments of the service's routes: a stage of the same name
// would make /<stage>/... ambiguous.
var routeNames = map[string]bool{"items": true, "healthz": true, "readyz": true}

var sslModes = map[string]bool{
	"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true,
}

// tlsModes are the sslmodes that never connect without TLS.
var tlsModes = map[string]bool{"require": true, "verify-ca": true, "verify-full": true}

// loadConfig reads the configuration through getenv (os.Getenv in production). The
// error names every variable that is missing or invalid, and never shows DB_PASSWORD.
// DB_PASSWORD is required unless DB_IAM_AUTH=true, where it is an error.
func loadConfig(getenv func(string) string) (config, error) {
	var problems []string
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	required := func(name string) string {
		v := getenv(name)
		if strings.TrimSpace(v) == "" {
			problems = append(problems, name+" is not set")
		}
		return v
	}
	port := func(name, v string) {
		if n, err := strconv.Atoi(v); v != "" && (err != nil || n < 1 || n > 65535) {
			problems = append(problems, fmt.Sprintf("%s=%q is not a TCP port (1-65535)", name, v))
		}
	}

	c := config{Host: get("HOST", ""), Port: get("PORT", defaultPort), Stage: get("API_STAGE", "")}
	port("PORT", c.Port)
	if c.Stage != "" && !stagePattern.MatchString(c.Stage) {
		problems = append(problems, fmt.Sprintf("API_STAGE=%q is not a stage name (letters, digits, - and _)", c.Stage))
	} else if routeNames[c.Stage] {
		problems = append(problems, fmt.Sprintf("API_STAGE=%q is also a route of this service; choose another stage name", c.Stage))
	}

	c.DB = dbConfig{
		Host:        strings.TrimSpace(required("DB_HOST")),
		Port:        strings.TrimSpace(required("DB_PORT")),
		Name:        required("DB_NAME"),
		User:        required("DB_USER"),
		SSLMode:     get("DB_SSLMODE", defaultSSLMode),
		SSLRootCert: get("DB_SSLROOTCERT", defaultSSLRootCert),
		MaxConns:    defaultMaxConns,
	}
	switch v := get("DB_IAM_AUTH", "false"); strings.ToLower(v) {
	case "true":
		c.DB.IAMAuth = true
	case "false":
	default:
		problems = append(problems, fmt.Sprintf("DB_IAM_AUTH=%q is neither true nor false", v))
	}
	if c.DB.IAMAuth {
		// The value is never shown, only that it is there.
		if getenv("DB_PASSWORD") != "" {
			problems = append(problems, "DB_PASSWORD is set although DB_IAM_AUTH=true: IAM authentication uses "+
				"a token for each connection and no password; remove DB_PASSWORD (or DB_IAM_AUTH)")
		}
		c.DB.Region = get("AWS_REGION", get("AWS_DEFAULT_REGION", ""))
		if c.DB.Region == "" {
			problems = append(problems, "AWS_REGION is not set (DB_IAM_AUTH=true signs tokens for a Region; ECS sets it)")
		}
		if !tlsModes[c.DB.SSLMode] && sslModes[c.DB.SSLMode] {
			problems = append(problems, fmt.Sprintf("DB_SSLMODE=%s with DB_IAM_AUTH=true could send the token without TLS; "+
				"use verify-full (or require, verify-ca)", c.DB.SSLMode))
		}
	} else {
		c.DB.Password = required("DB_PASSWORD")
	}
	port("DB_PORT", c.DB.Port)
	if !sslModes[c.DB.SSLMode] {
		problems = append(problems, fmt.Sprintf("DB_SSLMODE=%q is not one of disable, allow, prefer, require, verify-ca, verify-full", c.DB.SSLMode))
	} else if c.DB.SSLMode != "disable" && c.DB.SSLRootCert != "system" {
		if err := checkCAFile(c.DB.SSLRootCert); err != nil {
			problems = append(problems, fmt.Sprintf("DB_SSLROOTCERT=%s: %v", c.DB.SSLRootCert, err))
		}
	}
	if v := getenv("DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, fmt.Sprintf("DB_MAX_CONNS=%q is not a number from 1 to 1000", v))
		}
		c.DB.MaxConns = int32(n)
	}
	if len(problems) > 0 {
		return config{}, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

// checkCAFile tells whether a file holds at least one PEM certificate.
func checkCAFile(path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return errors.Unwrap(err) // "no such file or directory", without repeating the path
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return errors.New("no PEM certificate in the file")
	}
	return nil
}

// verifies tells whether the TLS mode checks the server's certificate and name.
func (c dbConfig) verifies() bool { return c.SSLMode == "verify-full" }

// poolConfig is the pgx pool configuration. The password goes into it URL-escaped, so
// that any character works. With IAMAuth, tokens (which must not be nil then) gives the
// password of every new connection, in the pool's BeforeConnect: a token is asked for
// each connection the pool opens, never reused for a later one, and not asked for per
// query.
func (c dbConfig) poolConfig(tokens tokenSource) (*pgxpool.Config, error) {
	if c.IAMAuth && tokens == nil {
		return nil, errors.New("database settings: IAM authentication without a token source")
	}
	q := url.Values{}
	q.Set("sslmode", c.SSLMode)
	if c.SSLMode != "disable" {
		q.Set("sslrootcert", c.SSLRootCert)
	}
	q.Set("connect_timeout", strconv.Itoa(int(connectTimeout.Seconds())))
	q.Set("application_name", "items-api")
	user := url.UserPassword(c.User, c.Password)
	if c.IAMAuth {
		user = url.User(c.User) // the password comes from BeforeConnect
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     user,
		Host:     net.JoinHostPort(c.Host, c.Port),
		Path:     "/" + c.Name,
		RawQuery: q.Encode(),
	}
	pc, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("database settings: %w", err)
	}
	pc.MaxConns = c.MaxConns
	pc.MaxConnLifetime = maxConnLifetime
	pc.MaxConnIdleTime = maxConnIdleTime
	pc.HealthCheckPeriod = healthCheck
	if c.IAMAuth {
		endpoint := net.JoinHostPort(c.Host, c.Port)
		pc.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			token, err := tokens.Token(ctx, endpoint, c.User)
			if err != nil {
				return fmt.Errorf("IAM authentication token for %s at %s: %w", c.User, endpoint, err)
			}
			cc.Password = token
			return nil
		}
	}
	return pc, nil
}
