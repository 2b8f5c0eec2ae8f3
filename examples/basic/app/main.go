// Command app is the example's container: a small JSON API over a table of items in
// PostgreSQL, shaped like a production service behind privaterdsapi.
//
//	GET    /healthz      200 while the process runs (the load balancer's check; no database call)
//	GET    /readyz       200 when SELECT 1 answers within 2 s, else 503
//	POST   /items        {"name": "..."} (1 to 200 characters) -> 201 the item
//	GET    /items        {"items": [...]}, newest first; ?limit=1..200 (default 50)
//	GET    /items/{id}   the item, 404 unknown, 400 not an integer
//	DELETE /items/{id}   204, 404 unknown
//
// Every route is also served under /<API_STAGE>/ (API Gateway may put the stage name in
// the path it sends to a private integration). Errors are {"error": "..."}; while the
// database is unreachable, database routes answer 503 within a few seconds and the
// service recovers by itself when it returns.
//
// Configuration, from the environment (privaterdsapi injects the DB_* variables):
//
//	DB_HOST, DB_PORT, DB_NAME   the database, or its RDS Proxy (required)
//	DB_USER                     the database user (required)
//	DB_PASSWORD                 its password, from the RDS secret (required, unless DB_IAM_AUTH=true, where it is an error)
//	DB_IAM_AUTH                 true: IAM database authentication, a fresh 15-minute token for each new connection,
//	                            signed with the task role's credentials (default false)
//	AWS_REGION                  the Region tokens are signed for (required with DB_IAM_AUTH=true; ECS sets it;
//	                            AWS_DEFAULT_REGION is read when it is not set)
//	DB_SSLMODE                  libpq sslmode (default verify-full; require, verify-ca or verify-full with DB_IAM_AUTH)
//	DB_SSLROOTCERT              CA bundle (default /etc/ssl/certs/rds-and-amazon-roots.pem, put in the image by the
//	                            Dockerfile: the RDS CAs and the Amazon Trust Services roots of RDS Proxy), or "system"
//	DB_MAX_CONNS                connection pool size (default 10)
//	API_STAGE                   the API Gateway stage name (default none)
//	PORT                        HTTP port (default 8080)
//	HOST                        HTTP listen address (default all interfaces)
//
// At start-up it creates its table if needed, under an advisory lock, retrying until the
// database answers; it serves /healthz meanwhile. On SIGTERM it stops accepting
// connections, lets the requests in flight finish (at most 20 s, within ECS's 30 s stop
// timeout) and exits. It logs JSON lines to stdout, one per request; never the password nor a token.
package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// HTTP server limits.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	// idleTimeout closes keep-alive connections idle this long.
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 64 << 10
	// shutdownTimeout is how long requests in flight may take to finish after SIGTERM.
	// ECS sends SIGKILL 30 s after SIGTERM by default (the container's stopTimeout), and
	// sends SIGTERM only once the load balancer has drained the task (the target group's
	// deregistration delay, 30 s in privaterdsapi).
	shutdownTimeout = 20 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Getenv, os.Stdout))
}

// run runs the service until ctx ends (SIGTERM), then shuts it down gracefully. It
// returns the process's exit code: 0 after a clean shutdown, 1 when the server failed or
// the shutdown timed out, 2 for an invalid configuration.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	cfg, err := loadConfig(getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 2
	}
	var tokens tokenSource
	if cfg.DB.IAMAuth {
		if tokens, err = newRDSTokens(ctx, cfg.DB.Region); err != nil {
			log.Error("invalid configuration", "error", err.Error())
			return 2
		}
	}
	s, err := newServer(cfg, log, tokens)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 2
	}
	defer s.pool.Close()

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, cfg.Port))
	if err != nil {
		log.Error("cannot listen", "error", err.Error())
		return 1
	}
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "stage", cfg.Stage,
		"db_host", cfg.DB.Host, "db_port", cfg.DB.Port, "db_name", cfg.DB.Name, "db_user", cfg.DB.User, "db_iam_auth", cfg.DB.IAMAuth,
		"db_sslmode", cfg.DB.SSLMode, "db_sslrootcert", cfg.DB.SSLRootCert, "db_max_conns", cfg.DB.MaxConns)
	if !cfg.DB.verifies() {
		log.Warn("DB_SSLMODE does not verify the database server's certificate and name; use verify-full",
			"db_sslmode", cfg.DB.SSLMode)
	}

	// The schema is created in the background: /healthz answers meanwhile.
	background, stopBackground := context.WithCancel(context.Background())
	schemaDone := make(chan struct{})
	go func() { defer close(schemaDone); s.prepareSchema(background) }()
	defer func() { stopBackground(); <-schemaDone }()

	select {
	case err := <-served:
		log.Error("server failed", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout_s", shutdownTimeout.Seconds())
	s.draining.Store(true)
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Error("shutdown timed out; closing the remaining connections", "error", err.Error())
		_ = srv.Close()
		return 1
	}
	log.Info("stopped")
	return 0
}
