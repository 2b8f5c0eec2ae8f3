package main

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaLockKey is the PostgreSQL advisory lock taken while the schema is created, so
// that tasks starting together do not race on CREATE TABLE IF NOT EXISTS (which can fail
// with a unique violation in the catalog when two sessions run it at once).
const schemaLockKey int64 = 0x6974656d73 // "items"

// schema is idempotent: every task runs it at start-up.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS items (
		id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
		created_at timestamptz NOT NULL DEFAULT now()
	)`,
	`CREATE INDEX IF NOT EXISTS items_created_at_id_idx ON items (created_at DESC, id DESC)`,
}

// item is a row of items, as the API shows it.
type item struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// errNotFound is returned for an id that has no item.
var errNotFound = errors.New("not found")

// store runs the service's SQL. Every statement takes its values as parameters: nothing
// a client sends is ever part of SQL text.
type store struct{ pool *pgxpool.Pool }

// createSchema creates the schema in one transaction under a transaction-scoped advisory
// lock: a second task waits for the first, then finds everything there. The lock goes
// with the transaction, also when the connection dies.
func (s store) createSchema(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockKey); err != nil {
			return err
		}
		for _, stmt := range schema {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s store) ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one)
}

func (s store) create(ctx context.Context, name string) (item, error) {
	var it item
	err := s.pool.QueryRow(ctx,
		`INSERT INTO items (name) VALUES ($1) RETURNING id, name, created_at`, name,
	).Scan(&it.ID, &it.Name, &it.CreatedAt)
	return it, err
}

func (s store) get(ctx context.Context, id int64) (item, error) {
	var it item
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM items WHERE id = $1`, id).
		Scan(&it.ID, &it.Name, &it.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return it, errNotFound
	}
	return it, err
}

// list returns the newest items first.
func (s store) list(ctx context.Context, limit int) ([]item, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, name, created_at FROM items ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (item, error) {
		var it item
		err := row.Scan(&it.ID, &it.Name, &it.CreatedAt)
		return it, err
	})
	if items == nil {
		items = []item{}
	}
	return items, err
}

func (s store) delete(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM items WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return errNotFound
	}
	return err
}

// unavailable tells whether a database error means "try again later" (503) rather than
// a fault of this service (500): no connection, a timeout, the server starting or
// shutting down, too many connections.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return true // could not talk to the server at all
	}
	if len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", // connection exception
		"28", // invalid authorization (a password rotated under the task)
		"53", // insufficient resources (too many connections, out of memory or disk)
		"57": // operator intervention (shutdown, cannot connect now, query canceled)
		return true
	}
	return false
}
