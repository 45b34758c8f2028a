package installations

import "context"

// Tx is a unit of work in one database transaction: what is changed
// through it commits together with the write that caused it, or not at all.
type Tx interface {
	Resource(ctx context.Context, installationID, id string) (Resource, error)
	PutResource(ctx context.Context, r Resource) (Resource, error)
	PutInvoice(ctx context.Context, inv Invoice) error
	AppendEvent(ctx context.Context, e NewEvent) error
}

// LocalChange runs inside the transaction that records a delivery.
type LocalChange func(ctx context.Context, tx Tx) error
