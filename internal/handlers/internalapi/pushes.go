package internalapi

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// operator is what the delivery routes do with one id: a delivery to
// Vercel, or a push of a feed event (id "push_...").
type operator interface {
	Get(ctx context.Context, id string) (deliveries.Delivery, error)
	Retry(ctx context.Context, id string) (deliveries.Delivery, error)
	Cancel(ctx context.Context, id string) (deliveries.Delivery, error)
}

func (a *API) operate(id string) operator {
	if eventpush.IsID(id) && a.Pushes != nil {
		return pushOperator{a.Pushes}
	}
	return a.Deliveries
}

// pushOperator shows pushes as deliveries: operation pushEvent, the
// event's id as target.
type pushOperator struct{ p Pushes }

func (o pushOperator) Get(ctx context.Context, id string) (deliveries.Delivery, error) {
	return asDelivery(o.p.Get(ctx, id))
}

func (o pushOperator) Retry(ctx context.Context, id string) (deliveries.Delivery, error) {
	return asDelivery(o.p.Retry(ctx, id))
}

func (o pushOperator) Cancel(ctx context.Context, id string) (deliveries.Delivery, error) {
	return asDelivery(o.p.Cancel(ctx, id))
}

func asDelivery(p installations.Push, err error) (deliveries.Delivery, error) {
	if err != nil {
		return deliveries.Delivery{}, err
	}
	return deliveries.Delivery{ID: p.ID, InstallationID: p.InstallationID, Operation: eventpush.Operation,
		Target: p.EventID, Status: p.Status, Attempts: p.Attempts, NextAttemptAt: p.NextAttemptAt,
		LastError: p.LastError, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, FinishedAt: p.FinishedAt}, nil
}
