package deliveries

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Write is one write to forward to Vercel. Only the constructors below
// make one; each validates and encodes its body once, so a body Vercel
// would refuse never reaches the queue (Enqueue answers its 400).
type Write struct {
	op             string
	installationID string
	target         string
	body           []byte
	err            error
	// latest names what the write changes, for operations whose newest
	// pending write supersedes older ones ("" for none).
	latest string

	// IdemKey is the Idempotency-Key (scoped to its surface and
	// installation) of the request that asks for the write, "" for none:
	// one delivery per key, so a retry that takes over an abandoned
	// request finds the first delivery instead of making a second.
	IdemKey string
	// Local, when set, runs in the transaction that records the
	// delivery, so a local change and the write it causes commit
	// together.
	Local Local
	// Background records the write for the worker without a first
	// attempt in the caller's time (bulk senders such as the billing
	// autopilot).
	Background bool
}

// Local is a change made in the transaction that records a delivery;
// deliveryID is the id of that delivery.
type Local func(ctx context.Context, tx installations.Tx, deliveryID string) error

// Operation is the write's operation (Op*).
func (w Write) Operation() string { return w.op }

// InstallationID is the installation the write is for.
func (w Write) InstallationID() string { return w.installationID }

// CreateEvent is createEvent; events about one resource are ordered, and
// so are the installation's own.
func CreateEvent(installationID string, req *vercelapi.EventRequest) Write {
	w := newWrite(OpCreateEvent, installationID, "", req)
	if w.err == nil {
		w.target = req.Event.ResourceID
	}
	return w
}

// UpdateSecrets is updateResourceSecretsById; the values are sealed at
// rest until delivered.
func UpdateSecrets(installationID, resourceID string, req *vercelapi.SecretsUpdate) Write {
	return newWrite(OpUpdateSecrets, installationID, resourceID, req)
}

// SubmitBillingData is submitBillingData.
func SubmitBillingData(installationID string, req *vercelapi.BillingData) Write {
	return newWrite(OpSubmitBillingData, installationID, "", req)
}

// SubmitInvoice is submitInvoice; its target is our externalId.
func SubmitInvoice(installationID string, req *vercelapi.InvoiceRequest) Write {
	return newWrite(OpSubmitInvoice, installationID, req.ExternalID, req)
}

// RefundInvoice is updateInvoice with action refund; total and reason
// are checked by installations.Refund before.
func RefundInvoice(installationID, invoiceID, reason, total string) Write {
	return newWrite(OpUpdateInvoice, installationID, invoiceID,
		&vercelapi.InvoiceAction{Action: vercelapi.ActionRefund, Reason: reason, Total: vercelapi.Money(total)})
}

// SubmitBalances is submitPrepaymentBalances.
func SubmitBalances(installationID string, req *vercelapi.PrepaymentBalances) Write {
	return newWrite(OpSubmitBalances, installationID, "", req)
}

// Finalize is finalizeInstallation: no more invoices will come. Once
// Vercel accepts it the installation's token is wiped.
func Finalize(installationID string) Write {
	return newWrite(OpFinalize, installationID, "", finalizeBody{})
}

// UpdateInstallation is updateInstallation: the installation's status,
// plan or notification at Vercel. Of the pending writes that change the
// same keys, only the newest is sent.
func UpdateInstallation(installationID string, req *vercelapi.InstallationUpdate) Write {
	w := newWrite(OpUpdateInstallation, installationID, "", req)
	if w.err == nil {
		w.latest = changedKeys(w.body)
	}
	return w
}

// UpdateResource is updateResource: a resource's status, notification or
// other fields at Vercel. Of the pending writes that change the same
// keys of one resource, only the newest is sent.
func UpdateResource(installationID, resourceID string, req *vercelapi.UpdateResourceRequest) Write {
	w := newWrite(OpUpdateResource, installationID, resourceID, req)
	if w.err == nil {
		w.latest = changedKeys(w.body)
	}
	return w
}

// changedKeys names the keys an encoded PATCH body sets, sorted: two
// writes with the same keys change the same thing, and the newer wins.
func changedKeys(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || len(m) == 0 {
		return ""
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

// ImportResource is importResource: a resource the partner created,
// upserted into Vercel. Secret values are sealed at rest until delivered.
func ImportResource(installationID, resourceID string, req *vercelapi.ImportResourceRequest) Write {
	return newWrite(OpImportResource, installationID, resourceID, req)
}

// DeleteResource is deleteIntegrationResource. Once Vercel accepts it,
// our copy of the resource is deleted.
func DeleteResource(installationID, resourceID string) Write {
	return newWrite(OpDeleteResource, installationID, resourceID, emptyBody{})
}

// CreateItems pushes flags and experiments of a resource to Vercel;
// the items and the global config of one resource are ordered.
func CreateItems(installationID, resourceID string, req *vercelapi.ExperimentationItems) Write {
	return newWrite(OpCreateItems, installationID, resourceID, req)
}

// UpdateItem replaces one experimentation item at Vercel.
func UpdateItem(installationID, resourceID, itemID string, req *vercelapi.ExperimentationItemUpdate) Write {
	return newWrite(OpUpdateItem, installationID, resourceID+"/"+itemID, req)
}

// DeleteItem removes one experimentation item from Vercel.
func DeleteItem(installationID, resourceID, itemID string) Write {
	return newWrite(OpDeleteItem, installationID, resourceID+"/"+itemID, emptyBody{})
}

// PutGlobalConfig replaces a resource's experimentation global config.
func PutGlobalConfig(installationID, resourceID string, req *vercelapi.GlobalConfigRequest) Write {
	return newWrite(OpPutGlobalConfig, installationID, resourceID, req)
}

// finalizeBody is finalizeInstallation's (empty) body.
type finalizeBody struct{}

func (finalizeBody) Validate() error { return nil }

// emptyBody is the stored body of a call that sends none.
type emptyBody = finalizeBody

// newWrite validates body the way Vercel would and encodes it.
func newWrite(op, installationID, target string, body interface{ Validate() error }) Write {
	w := Write{op: op, installationID: installationID, target: target}
	if err := body.Validate(); err != nil {
		w.err = vercelcall.ValidationFields(err)
		return w
	}
	if w.body, w.err = json.Marshal(body); w.err != nil {
		w.err = fmt.Errorf("encode %s body: %w", op, w.err)
	}
	return w
}
