// Command app is the example's container: a small HTTP server on :8080 that shows what
// the task sees of its database configuration and whether it can reach the database.
//
//	GET /healthz  200 "ok", for the load balancer's health check
//	GET /db       a TCP dial to DB_HOST:DB_PORT (2 s timeout): reachable or the error
//	anything else the DB_* variables (never the password), the request path and query
//
// It uses the standard library only: no database driver.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// dialTimeout bounds the /db check.
const dialTimeout = 2 * time.Second

func main() {
	// The port privaterdsapi's ContainerPort defaults to.
	const addr = ":8080"
	srv := &http.Server{
		Addr:              addr,
		Handler:           newHandler(os.Getenv),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}

	// ECS stops a task with SIGTERM, then SIGKILL 30 s later: stop accepting
	// connections and let the requests in flight finish first.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	log.Printf("listening on %s", addr)

	select {
	case err := <-served:
		log.Fatal(err) // could not listen
	case <-ctx.Done():
	}
	log.Print("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Printf("shutdown: %v", err)
	}
}

// info is the answer of GET / (and every path but /healthz and /db).
type info struct {
	DBHost          string              `json:"db_host"`
	DBPort          string              `json:"db_port"`
	DBName          string              `json:"db_name"`
	DBUser          string              `json:"db_user"`
	DBPasswordSet   bool                `json:"db_password_set"`
	Method          string              `json:"method"`
	Path            string              `json:"path"`
	Query           string              `json:"query"`
	QueryParameters map[string][]string `json:"query_parameters"`
}

// dbCheck is the answer of GET /db.
type dbCheck struct {
	Address   string `json:"address"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	Millis    int64  `json:"elapsed_ms"`
}

// newHandler returns the server's routes, reading its configuration through getenv
// (os.Getenv in production) on every request.
func newHandler(getenv func(string) string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /db", func(w http.ResponseWriter, r *http.Request) {
		host, port := getenv("DB_HOST"), getenv("DB_PORT")
		if host == "" || port == "" {
			writeJSON(w, http.StatusServiceUnavailable, dbCheck{Error: "DB_HOST or DB_PORT is not set"})
			return
		}
		addr := net.JoinHostPort(host, port)
		ctx, cancel := context.WithTimeout(r.Context(), dialTimeout)
		defer cancel()
		start := time.Now()
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		res := dbCheck{Address: addr, Millis: time.Since(start).Milliseconds()}
		if err != nil {
			res.Error = err.Error()
			writeJSON(w, http.StatusServiceUnavailable, res)
			return
		}
		_ = conn.Close()
		res.Reachable = true
		writeJSON(w, http.StatusOK, res)
	})
	// "GET /" matches every GET path not matched above, so that /anything/here?x=1
	// shows which path and query reached the container.
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, info{
			DBHost:          getenv("DB_HOST"),
			DBPort:          getenv("DB_PORT"),
			DBName:          getenv("DB_NAME"),
			DBUser:          getenv("DB_USER"),
			DBPasswordSet:   getenv("DB_PASSWORD") != "",
			Method:          r.Method,
			Path:            r.URL.Path,
			Query:           r.URL.RawQuery,
			QueryParameters: r.URL.Query(),
		})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}
