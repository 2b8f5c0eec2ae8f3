package main

import (
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

	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of the optional variables.
const (
	defaultPort     = "8080" // privaterdsapi's ContainerPort default
	defaultSSLMode  = "verify-full"
	defaultMaxConns = 10
	// defaultSSLRootCert is where the Dockerfile puts the RDS global CA bundle.
	defaultSSLRootCert = "/etc/ssl/certs/rds-global-bundle.pem"
)

// Connection pool settings. The pool connects lazily; a connection that cannot be made
// within connectTimeout fails, and requests never wait longer than queryTimeout anyway.
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
	Host, Port, Name, User, Password string
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

// loadConfig reads the configuration through getenv (os.Getenv in production). The
// error names every variable that is missing or invalid, and never shows DB_PASSWORD.
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
		Password:    required("DB_PASSWORD"),
		SSLMode:     get("DB_SSLMODE", defaultSSLMode),
		SSLRootCert: get("DB_SSLROOTCERT", defaultSSLRootCert),
		MaxConns:    defaultMaxConns,
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
// that any character works.
func (c dbConfig) poolConfig() (*pgxpool.Config, error) {
	q := url.Values{}
	q.Set("sslmode", c.SSLMode)
	if c.SSLMode != "disable" {
		q.Set("sslrootcert", c.SSLRootCert)
	}
	q.Set("connect_timeout", strconv.Itoa(int(connectTimeout.Seconds())))
	q.Set("application_name", "items-api")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(c.User, c.Password),
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
	return pc, nil
}
