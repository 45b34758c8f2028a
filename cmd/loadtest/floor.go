package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// The floors: the database work of a verified upsert run straight
// against the same database, with the same concurrency, in the same run,
// so the server's figure can be read as a ratio to what the database
// itself allows on this machine at this moment.
//
//   - "store": the installation store's Upsert (the token sealed, the row
//     and its event written exactly as the server writes them), without
//     HTTP, token verification or JSON;
//   - "transaction" (PostgreSQL): BEGIN; the same INSERT ... ON CONFLICT
//     DO UPDATE; an INSERT of the event row; COMMIT, four round trips, the
//     shape the server used before it wrote both in one statement.

// floorRows names the floor rows and the server row each is the floor of.
var floorRows = map[string]string{
	floorStoreRow:    upsertRow,
	floorTxRow:       upsertRow,
	floorDeliveryRow: internalRow,
}

const (
	upsertRow        = "PUT /v1/installations/{id} (verified upsert)"
	internalRow      = "POST /internal/v1/.../events (accepted)"
	floorStoreRow    = "floor: installation store Upsert, direct"
	floorTxRow       = "floor: upsert + event transaction, direct"
	floorDeliveryRow = "floor: delivery recorded, then its outcome, direct"
)

// floorID spreads the floor over as many rows as the upserts touch, apart
// from them, so the installations under load keep their tokens.
func (sv *server) floorID(i int) string { return fmt.Sprintf("icfg_floor%06d", i%len(sv.ids)) }

func (sv *server) floorStore(ctx context.Context, _, i int) error {
	_, err := sv.app.Installations.Upsert(ctx, floorUpsert(sv.floorID(i), sv.access[i%len(sv.access)]))
	return err
}

func floorUpsert(id, token string) installations.Upsert {
	return installations.Upsert{ID: id, Scopes: []string{"read-write:integration-resource"},
		AcceptedPolicies: map[string]string{"toc": "2024-02-28T10:00:00Z"},
		Account:          installations.Account{Name: "Acme", URL: "https://vercel.com/acme", ContactEmail: "ada@acme.dev", ContactName: "Ada"},
		Credentials:      installations.Credentials{AccessToken: token, TokenType: "Bearer"}}
}

const floorUpsertSQL = `INSERT INTO installations (id, scopes, accepted_policies, account_name, account_url,
	contact_email, contact_name, status, token_type, token_ciphertext, token_key_id, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
	ON CONFLICT (id) DO UPDATE SET scopes = excluded.scopes, accepted_policies = excluded.accepted_policies,
	account_name = excluded.account_name, account_url = excluded.account_url,
	contact_email = excluded.contact_email, contact_name = excluded.contact_name,
	status = excluded.status, token_type = excluded.token_type,
	token_ciphertext = excluded.token_ciphertext, token_key_id = excluded.token_key_id,
	updated_at = excluded.updated_at, deleted_at = NULL
	RETURNING id, created_at`

// floorEvents is the events table as the server has it since it stopped
// numbering events with a counter row, apart from the server's own so the
// floor runs the same against every version of the server.
const floorEvents = `CREATE TABLE IF NOT EXISTS floor_events (id BIGSERIAL PRIMARY KEY, type TEXT NOT NULL,
	installation_id TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL, created_at BIGINT NOT NULL,
	xid xid8 NOT NULL DEFAULT pg_current_xact_id())`

const floorEventSQL = `INSERT INTO floor_events (type, installation_id, subject, data, created_at) VALUES ($1, $2, $2, $3, $4)`

// floorCiphertext is as long as a sealed token of the simulator's.
var floorCiphertext = fmt.Sprintf("%0120d", 0)

func (sv *server) floorTx(ctx context.Context, _, i int) error {
	id, now := sv.floorID(i), int64(i)
	return sv.app.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			ID        string `db:"id"`
			CreatedAt int64  `db:"created_at"`
		}
		if err := tx.GetContext(ctx, &row, floorUpsertSQL, id, `["read-write:integration-resource"]`, `{"toc":"2024-02-28T10:00:00Z"}`,
			"Acme", "https://vercel.com/acme", "ada@acme.dev", "Ada", installations.StatusActive, "Bearer",
			floorCiphertext, "k1", now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, floorEventSQL, installations.EventInstallationUpdated, id, `{"reason":"upsert"}`, now)
		return err
	})
}

// floorDelivery is the database work of an accepted internal write: the
// delivery store records it as the queue does (the installation checked
// and its sealed token read in the same transaction), then records the
// outcome of its first attempt. No HTTP, no call to Vercel.
func (sv *server) floorDelivery(ctx context.Context, _, i int) error {
	// Once begun it finishes, as a request's would: a delivery left leased
	// at the deadline would hold its ordering key (and the drain) for the
	// lease.
	ctx = context.WithoutCancel(ctx)
	id := sv.ids[i%len(sv.ids)]
	now := time.Now()
	d := installations.Delivery{ID: "dlv_floor" + rand.Text(), InstallationID: id, Operation: deliveries.OpCreateEvent,
		OrderKey: id + "|installation", Body: string(eventBody), Status: installations.DeliveryPending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	local := func(ctx context.Context, tx installations.Tx) error {
		in, err := tx.Installation(ctx, id)
		if err != nil {
			return err
		}
		if err := in.TakesMore(); err != nil {
			return err
		}
		if tt, ok := tx.(sealedTokens); ok {
			_, _, err = tt.SealedToken(ctx, id)
		}
		return err
	}
	owner := "floor_" + rand.Text()
	d, leased, err := sv.app.Deliveries.Store.InsertDelivery(ctx, d, owner, now.Add(time.Minute), local)
	if err != nil {
		return err
	}
	if !leased {
		owner = "" // an earlier one of the key is pending: finish it all the same
	}
	done := time.Now()
	d.Status, d.Attempts, d.ResultStatus, d.Result, d.UpdatedAt, d.FinishedAt = installations.DeliveryDelivered, 1, 200,
		[]byte("null"), done, &done
	_, err = sv.app.Deliveries.Store.FinishDelivery(ctx, d, owner, nil)
	return err
}

// sealedTokens is installations.TokenTx, named here so this command also
// builds against versions of the server without it (for before/after runs).
type sealedTokens interface {
	SealedToken(ctx context.Context, id string) (ciphertext, keyID string, err error)
}

// floors runs the floors of t's driver for -duration each.
func floors(ctx context.Context, sv *server, s settings) ([]result, error) {
	rows := []result{loop(ctx, floorStoreRow, s.conns, bounds{d: s.duration}, sv.floorStore)}
	if sv.app.DB.Driver == "postgres" {
		if _, err := sv.app.DB.ExecContext(ctx, floorEvents); err != nil {
			return nil, err
		}
		rows = append(rows, loop(ctx, floorTxRow, s.conns, bounds{d: s.duration}, sv.floorTx))
	}
	rows = append(rows, loop(ctx, floorDeliveryRow, s.conns, bounds{d: s.duration}, sv.floorDelivery))
	return rows, nil
}
