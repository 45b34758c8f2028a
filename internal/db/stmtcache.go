package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"
)

// SQLite parses a statement on every call unless it is prepared; parsing
// was a third of a write's CPU. stmtCacheConnector gives each connection a
// cache of prepared statements, so each query text is parsed once per
// connection. database/sql never uses one connection from two goroutines
// at once; a statement whose rows are still open is not reused.
type stmtCacheConnector struct {
	dsn    string
	drv    driver.Driver
	detach bool // statements ignore their context's cancellation
}

// maxCachedStmts bounds each connection's cache.
const maxCachedStmts = 256

var sqliteDriver = sync.OnceValue(func() driver.Driver {
	d, _ := sql.Open("sqlite", "")
	defer d.Close()
	return d.Driver()
})

func openSQLite(dsn string) *sql.DB {
	return sql.OpenDB(&stmtCacheConnector{dsn: dsn, drv: sqliteDriver()})
}

// openSQLiteWriter opens the writer. Its statements are not interrupted
// when a caller's context ends: SQLite rolls back a whole transaction
// whose write statement is interrupted, and under group commit that
// transaction holds other callers' work too. Statements are short, and a
// wait for another process's lock is bounded by busy_timeout.
func openSQLiteWriter(dsn string) *sql.DB {
	return sql.OpenDB(&stmtCacheConnector{dsn: dsn, drv: sqliteDriver(), detach: true})
}

func (c *stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(fullConn)
	if !ok {
		return conn, nil
	}
	return &cachingConn{fullConn: full, stmts: map[string]*cachedStmt{}, detach: c.detach}, nil
}

func (c *stmtCacheConnector) Driver() driver.Driver { return c.drv }

// fullConn is what the SQLite driver's connection implements.
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // rows from it are open
}

type cachingConn struct {
	fullConn
	stmts  map[string]*cachedStmt
	detach bool
}

// cached returns a prepared statement for query, or nil when it cannot be
// cached (a script, a statement in use, a full cache).
func (c *cachingConn) cached(ctx context.Context, query string) *cachedStmt {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil
		}
		return s
	}
	if len(c.stmts) >= maxCachedStmts || strings.Contains(query, ";") {
		return nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	full, ok := st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		st.Close()
		return nil
	}
	s := &cachedStmt{stmt: full}
	c.stmts[query] = s
	return s
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.detach {
		ctx = context.WithoutCancel(ctx)
	}
	s := c.cached(ctx, query)
	if s == nil {
		res, err := c.fullConn.ExecContext(ctx, query, args)
		return res, unavailable(err)
	}
	res, err := s.stmt.ExecContext(ctx, args)
	return res, unavailable(err)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.detach {
		ctx = context.WithoutCancel(ctx)
	}
	s := c.cached(ctx, query)
	if s == nil {
		rows, err := c.fullConn.QueryContext(ctx, query, args)
		return rows, unavailable(err)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, unavailable(err)
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) Close() error {
	for _, s := range c.stmts {
		s.stmt.Close()
	}
	c.stmts = nil
	return c.fullConn.Close()
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}
