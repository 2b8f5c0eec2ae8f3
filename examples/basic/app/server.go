package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Limits of the API.
const (
	maxBodyBytes = 4 << 10 // a POST /items body
	maxNameChars = 200
	defaultLimit = 50
	maxLimit     = 200
)

// Timeouts of the database work.
const (
	// queryTimeout bounds the database work of one request: while the database is
	// unreachable, requests get 503 within this time rather than hanging.
	queryTimeout = 3 * time.Second
	// readyTimeout bounds GET /readyz's SELECT 1.
	readyTimeout = 2 * time.Second
	// Schema creation is retried with a backoff from minBackoff doubling up to
	// maxBackoff until the database answers; each attempt is bounded by schemaTimeout.
	minBackoff    = 250 * time.Millisecond
	maxBackoff    = 10 * time.Second
	schemaTimeout = 30 * time.Second
)

// server is the items API: its routes, its connection pool and its state.
type server struct {
	log   *slog.Logger
	pool  *pgxpool.Pool
	db    store
	stage string
	// schemaReady is set once the schema exists; database routes answer 503 before.
	schemaReady atomic.Bool
	// draining is set at shutdown: GET /readyz answers 503 from then on.
	draining atomic.Bool
}

// newServer creates the server and its pool. The pool connects lazily: nothing here
// needs the database to be up. tokens gives the password of each new connection with IAM
// authentication (cfg.DB.IAMAuth), and is not used otherwise.
func newServer(cfg config, log *slog.Logger, tokens tokenSource) (*server, error) {
	pc, err := cfg.DB.poolConfig(tokens)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	return &server{log: log, pool: pool, db: store{pool}, stage: cfg.Stage}, nil
}

// prepareSchema creates the schema, retrying with a bounded backoff until it succeeds or
// ctx ends.
func (s *server) prepareSchema(ctx context.Context) {
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, schemaTimeout)
		err := s.db.createSchema(actx)
		cancel()
		if err == nil {
			s.schemaReady.Store(true)
			s.log.Info("schema ready", "attempts", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("database not ready, retrying", "error", err.Error(), "attempt", attempt, "retry_in_ms", backoff.Milliseconds())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// handler returns the routes with request logging, panic recovery and the stage prefix.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("POST /items", s.createItem)
	mux.HandleFunc("GET /items", s.listItems)
	mux.HandleFunc("GET /items/{id}", s.getItem)
	mux.HandleFunc("DELETE /items/{id}", s.deleteItem)
	return s.logRequests(s.recoverPanics(s.stripStage(jsonMuxErrors(mux))))
}

// healthz is the load balancer's health check: 200 while the process runs, without a
// database call, so that a database outage never makes the load balancer replace every
// task.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz tells whether this task can serve database requests now.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.draining.Load():
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	case !s.schemaReady.Load():
		writeError(w, http.StatusServiceUnavailable, "database not ready")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.db.ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *server) createItem(w http.ResponseWriter, r *http.Request) {
	name, msg, status := decodeItem(w, r)
	if msg != "" {
		writeError(w, status, msg)
		return
	}
	s.withDB(w, r, "create item", func(ctx context.Context) error {
		it, err := s.db.create(ctx, name)
		if err == nil {
			writeJSON(w, http.StatusCreated, it)
		}
		return err
	})
}

func (s *server) getItem(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "get item", func(ctx context.Context, id int64) error {
		it, err := s.db.get(ctx, id)
		if err == nil {
			writeJSON(w, http.StatusOK, it)
		}
		return err
	})
}

func (s *server) deleteItem(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "delete item", func(ctx context.Context, id int64) error {
		err := s.db.delete(ctx, id)
		if err == nil {
			w.WriteHeader(http.StatusNoContent)
		}
		return err
	})
}

// withID runs f with the {id} of /items/{id}, as withDB does. It answers 400 when {id}
// is not an integer (an id that cannot exist, 0 or negative, is simply not found).
func (s *server) withID(w http.ResponseWriter, r *http.Request, op string, f func(ctx context.Context, id int64) error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, `"id" must be an integer`)
		return
	}
	s.withDB(w, r, op, func(ctx context.Context) error { return f(ctx, id) })
}

func (s *server) listItems(w http.ResponseWriter, r *http.Request) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string")
		return
	}
	limit := defaultLimit
	if v := query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf(`"limit" must be an integer from 1 to %d`, maxLimit))
			return
		}
		limit = n
	}
	s.withDB(w, r, "list items", func(ctx context.Context) error {
		items, err := s.db.list(ctx, limit)
		if err == nil {
			writeJSON(w, http.StatusOK, map[string][]item{"items": items})
		}
		return err
	})
}

// withDB runs f, the database work op of a request, with a context bounded by
// queryTimeout. It answers 503 when the schema is not there yet (without running f), 404
// when f returns errNotFound, and 503 or 500 for a database error (dbError); f answers
// success.
func (s *server) withDB(w http.ResponseWriter, r *http.Request, op string, f func(ctx context.Context) error) {
	if !s.schemaReady.Load() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "database not ready")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	switch err := f(ctx); {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "item not found")
	case err != nil:
		s.dbError(w, op, err)
	}
}

// dbError logs a database error and answers 503 when the database is unavailable, 500
// otherwise. The client never sees the error's text.
func (s *server) dbError(w http.ResponseWriter, op string, err error) {
	if unavailable(err) {
		s.log.Warn("database unavailable", "op", op, "error", err.Error())
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	s.log.Error("database error", "op", op, "error", err.Error())
	writeError(w, http.StatusInternalServerError, "internal error")
}

// decodeItem reads the body of POST /items: one JSON object with exactly one field,
// "name", a string of 1 to 200 characters that is not only white space. It returns the
// name, or an error message and its status. Field names match exactly ("Name" is an
// unknown field), unlike encoding/json's default.
func decodeItem(w http.ResponseWriter, r *http.Request) (name, msg string, status int) {
	const shape = `body must be a JSON object like {"name": "..."}`
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var fields map[string]json.RawMessage
	err := dec.Decode(&fields)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		return "", "body must be a single JSON object", http.StatusBadRequest
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return "", fmt.Sprintf("body larger than %d bytes", maxBodyBytes), http.StatusRequestEntityTooLarge
	case errors.Is(err, io.EOF), errors.As(err, &typeErr), err == nil && fields == nil: // empty, not an object, null
		return "", shape, http.StatusBadRequest
	case err != nil:
		return "", "malformed JSON", http.StatusBadRequest
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "name" {
			return "", fmt.Sprintf("unknown field %q", k), http.StatusBadRequest
		}
	}
	var n *string
	if raw, ok := fields["name"]; !ok || string(raw) == "null" {
		return "", `"name" is required`, http.StatusBadRequest
	} else if json.Unmarshal(raw, &n) != nil {
		return "", `"name" must be a string`, http.StatusBadRequest
	}
	switch {
	case strings.TrimSpace(*n) == "":
		return "", `"name" must not be empty`, http.StatusBadRequest
	case utf8.RuneCountInString(*n) > maxNameChars:
		return "", fmt.Sprintf(`"name" must be at most %d characters`, maxNameChars), http.StatusBadRequest
	case strings.ContainsRune(*n, 0):
		// PostgreSQL's text cannot hold NUL.
		return "", `"name" must not contain NUL characters`, http.StatusBadRequest
	}
	return *n, "", 0
}

// stripStage serves /<stage>/... as /...: API Gateway may put the stage name in the
// path it sends to a private integration. Paths without the prefix are served as they
// are.
func (s *server) stripStage(next http.Handler) http.Handler {
	if s.stage == "" {
		return next
	}
	prefix := "/" + s.stage
	stripped := http.StripPrefix(prefix, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/") {
			stripped.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonMuxErrors makes the mux's own 404 and 405 answers JSON like every other answer.
func jsonMuxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &jsonErrorWriter{ResponseWriter: w}
		}
		mux.ServeHTTP(w, r)
	})
}

// jsonErrorWriter replaces the plain-text body of an error answer with {"error": ...}.
type jsonErrorWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *jsonErrorWriter) WriteHeader(status int) {
	if status < 400 {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	writeError(w.ResponseWriter, status, strings.ToLower(http.StatusText(status)))
}

func (w *jsonErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// recoverPanics answers 500 to a request whose handler panicked, and logs it.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "error", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one JSON log line per request: method, path (as received, with any
// stage prefix), status, bytes and duration. Never headers, bodies or query strings.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"bytes", rec.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status, bytes int
	wrote         bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
