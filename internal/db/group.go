package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// SQLite has one writer: every write transaction queues for the one
// connection, and each commit appends its pages to the WAL and takes and
// drops the file locks. group is group commit: one goroutine owns the
// writes, takes every transaction waiting when it starts, runs each inside
// a savepoint of one SQLite transaction and commits them together. Each
// caller still returns only after the commit that holds its data, and one
// caller's failure rolls back only its own savepoint.
type group struct {
	d    *DB
	jobs chan *job
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

// maxGroup bounds how many transactions share one commit.
const maxGroup = 64

// job is one caller's transaction.
type job struct {
	ctx   context.Context
	fn    func(*sqlx.Tx) error
	err   error
	panic any
	done  chan struct{}
}

var errClosed = errors.New("db: closed")

func newGroup(d *DB) *group {
	g := &group{d: d, jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// close stops the committer after the batch it is running.
func (g *group) close() {
	g.once.Do(func() { close(g.quit) })
	<-g.done
}

// tx runs fn in the next group and returns its outcome once committed.
func (g *group) tx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case g.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errClosed
	}
	<-j.done
	if j.panic != nil {
		panic(j.panic)
	}
	return j.err
}

func (g *group) run() {
	defer close(g.done)
	for {
		select {
		case j := <-g.jobs:
			g.commit(g.collect(j))
		case <-g.quit:
			return
		}
	}
}

// collect takes first and every transaction already waiting, up to maxGroup.
func (g *group) collect(first *job) []*job {
	batch := []*job{first}
	for len(batch) < maxGroup {
		select {
		case j := <-g.jobs:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction and answers every caller.
func (g *group) commit(batch []*job) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	x, err := g.d.DB.BeginTxx(context.Background(), nil)
	if err != nil {
		failAll(batch, fmt.Errorf("db: begin: %w", unavailable(err)))
		return
	}
	ok := 0
	for _, j := range batch {
		if err := g.runOne(x, j, len(batch) > 1); err != nil {
			x.Rollback()
			failAll(batch, err)
			return
		}
		if j.err == nil {
			ok++
		}
	}
	if ok == 0 {
		x.Rollback()
		return
	}
	if err := x.Commit(); err != nil {
		failAll(batch, fmt.Errorf("db: commit: %w", unavailable(err)))
	}
}

// runOne runs j's fn, inside a savepoint when others share the
// transaction. An error returned here means the transaction itself broke
// (a savepoint could not be set or undone): nothing in it can commit.
func (g *group) runOne(x *sqlx.Tx, j *job, shared bool) (broken error) {
	if err := j.ctx.Err(); err != nil {
		j.err = err
		return nil
	}
	if !shared {
		j.err = call(x, j)
		return nil
	}
	if _, err := x.Exec(`SAVEPOINT grp`); err != nil {
		return fmt.Errorf("db: savepoint: %w", unavailable(err))
	}
	if j.err = call(x, j); j.err != nil {
		if _, err := x.Exec(`ROLLBACK TO grp`); err != nil {
			return fmt.Errorf("db: rollback to savepoint: %w", unavailable(err))
		}
	}
	if _, err := x.Exec(`RELEASE grp`); err != nil {
		return fmt.Errorf("db: release savepoint: %w", unavailable(err))
	}
	return nil
}

// call runs j.fn, handing a panic back to j's own goroutine.
func call(x *sqlx.Tx, j *job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panic = p
			err = fmt.Errorf("db: transaction panicked")
		}
	}()
	return j.fn(x)
}

// failAll gives err to every job that has no error of its own; a job
// whose fn failed keeps that error, since its work was undone either way.
func failAll(batch []*job, err error) {
	for _, j := range batch {
		if j.err == nil {
			j.err = err
		}
	}
}

// exec runs one statement as a transaction of the group.
func (g *group) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := g.tx(ctx, func(x *sqlx.Tx) error {
		var err error
		res, err = x.ExecContext(ctx, q, args...)
		return err
	})
	return res, err
}
