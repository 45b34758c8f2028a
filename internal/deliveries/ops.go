package deliveries

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Operations: the Vercel call a delivery makes, as stored and shown.
const (
	OpCreateEvent        = "createEvent"
	OpUpdateSecrets      = "updateResourceSecretsById"
	OpSubmitBillingData  = "submitBillingData"
	OpSubmitInvoice      = "submitInvoice"
	OpUpdateInvoice      = "updateInvoice"
	OpSubmitBalances     = "submitPrepaymentBalances"
	OpFinalize           = "finalizeInstallation"
	OpUpdateInstallation = "updateInstallation"
	OpUpdateResource     = "updateResource"
	OpImportResource     = "importResource"
	OpDeleteResource     = "deleteIntegrationResource"
	// Deployments: the status of an action or check run (deployments.go).
	OpUpdateDeploymentAction = "updateIntegrationDeploymentAction"
	OpUpdateCheckRun         = "updateCheckRun"
	// Experimentation items and the global config of one resource.
	OpCreateItems     = "createExperimentationItems"
	OpUpdateItem      = "updateExperimentationItem"
	OpDeleteItem      = "deleteExperimentationItem"
	OpPutGlobalConfig = "replaceExperimentationGlobalConfig"
)

// op is everything the queue knows about one operation. Adding an
// operation is one row in ops and one constructor in write.go.
type op struct {
	// key is the ordering key: deliveries that share it reach Vercel in
	// the order they were accepted.
	key func(d Delivery) string
	// send makes the call with the stored body and returns Vercel's
	// success body (nil when it has none).
	send func(ctx context.Context, v vercelcall.Installation, d Delivery, body []byte) (json.RawMessage, error)
	// created: Vercel creates something; our answer is 201, else 200.
	created bool
	// conflictIsDone: a 409 after an attempt whose outcome is unknown
	// (leased without a recorded answer) is our own earlier write, so
	// the delivery counts as delivered. True where Vercel refuses a
	// repeat with 409: an invoice's externalId is unique, and a refund is
	// refused while one is under way.
	conflictIsDone bool
	// notFoundIsDone: a 404 after an attempt whose outcome is unknown is
	// our own earlier write (a deletion that landed), so the delivery
	// counts as delivered.
	notFoundIsDone bool
	// sealed: the body holds secret values; it is sealed at rest and
	// wiped once the delivery is final.
	sealed bool
	// latestWins: only the newest of the pending writes that change the
	// same thing (the write's latest key: one notification, one status)
	// is worth sending; recording it supersedes the older ones no
	// attempt holds.
	latestWins bool
	// delivered, when set, is what a delivered write changes here; it
	// runs in the transaction that records the outcome.
	delivered func(ctx context.Context, tx installations.Tx, d Delivery, body []byte) error
	// refused, when set, is what a write Vercel refused (or that went
	// dead) changes here, in the transaction that records it.
	refused func(ctx context.Context, tx installations.Tx, d Delivery, body []byte) error
}

var ops = map[string]op{
	OpCreateEvent: {key: eventKey, send: call(func(ctx context.Context, v vercelcall.Installation, _ Delivery, req *vercelapi.EventRequest) error {
		return v.CreateEvent(ctx, req.Event)
	})},
	OpUpdateSecrets: {key: byTarget("secrets"), sealed: true, send: call(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.SecretsUpdate) error {
		return v.UpdateResourceSecrets(ctx, d.Target, req)
	})},
	OpSubmitBillingData: {key: billingKey, send: call(func(ctx context.Context, v vercelcall.Installation, _ Delivery, req *vercelapi.BillingData) error {
		return v.SubmitBillingData(ctx, req)
	})},
	OpSubmitInvoice: {key: ownKey, created: true, conflictIsDone: true, delivered: recordInvoice,
		send: answer(func(ctx context.Context, v vercelcall.Installation, _ Delivery, req *vercelapi.InvoiceRequest) (*vercelapi.SubmitInvoiceResult, error) {
			return v.SubmitInvoice(ctx, req)
		})},
	OpUpdateInvoice: {key: byTarget("invoice"), conflictIsDone: true, send: call(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.InvoiceAction) error {
		return v.UpdateInvoice(ctx, d.Target, req)
	})},
	OpSubmitBalances: {key: billingKey, send: call(func(ctx context.Context, v vercelcall.Installation, _ Delivery, req *vercelapi.PrepaymentBalances) error {
		return v.SubmitPrepaymentBalances(ctx, req)
	})},
	OpUpdateInstallation: {key: eventKey, latestWins: true, send: call(func(ctx context.Context, v vercelcall.Installation, _ Delivery, req *vercelapi.InstallationUpdate) error {
		return v.UpdateInstallation(ctx, req)
	})},
	OpUpdateResource: {key: eventKey, latestWins: true, send: answer(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.UpdateResourceRequest) (*vercelapi.ResourceWriteResult, error) {
		return v.UpdateResource(ctx, d.Target, req)
	})},
	OpCreateItems: {key: experimentationKey, send: call(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.ExperimentationItems) error {
		return v.CreateExperimentationItems(ctx, d.Target, req)
	})},
	OpUpdateItem: {key: experimentationKey, send: call(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.ExperimentationItemUpdate) error {
		rid, item := itemTarget(d.Target)
		return v.UpdateExperimentationItem(ctx, rid, item, req)
	})},
	OpDeleteItem: {key: experimentationKey, send: func(ctx context.Context, v vercelcall.Installation, d Delivery, _ []byte) (json.RawMessage, error) {
		rid, item := itemTarget(d.Target)
		return nil, v.DeleteExperimentationItem(ctx, rid, item)
	}},
	OpPutGlobalConfig: {key: experimentationKey, send: answer(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.GlobalConfigRequest) (*vercelapi.GlobalConfig, error) {
		return v.PutGlobalConfig(ctx, d.Target, req)
	})},
	// Vercel expects nothing more: the token goes with the same commit.
	OpFinalize: {key: billingKey, delivered: finalized, send: func(ctx context.Context, v vercelcall.Installation, _ Delivery, _ []byte) (json.RawMessage, error) {
		return nil, v.FinalizeInstallation(ctx)
	}},
	// A repeat of a status Vercel took may be refused with 409.
	OpUpdateDeploymentAction: {key: byTarget("deployment"), sealed: true, conflictIsDone: true,
		delivered: deploymentReported, refused: deploymentRefused, send: call(sendDeploymentAction)},
	OpUpdateCheckRun: {key: byTarget("deployment"), conflictIsDone: true,
		delivered: deploymentReported, refused: deploymentRefused, send: call(sendCheckRun)},
	// A resource the partner created: ordered with the resource's events.
	OpImportResource: {key: byTarget("resource"), sealed: true,
		send: answer(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *vercelapi.ImportResourceRequest) (*vercelapi.ResourceWriteResult, error) {
			return v.ImportResource(ctx, d.Target, req)
		})},
	// Our copy goes once Vercel took the deletion.
	OpDeleteResource: {key: byTarget("resource"), notFoundIsDone: true, delivered: resourceDeleted,
		send: func(ctx context.Context, v vercelcall.Installation, d Delivery, _ []byte) (json.RawMessage, error) {
			return nil, v.DeleteIntegrationResource(ctx, d.Target)
		}},
}

// opOf is the row of an operation; an unknown one (a row written by a
// newer version) fails every attempt.
func opOf(name string) op {
	if o, ok := ops[name]; ok {
		return o
	}
	return op{key: billingKey, send: func(context.Context, vercelcall.Installation, Delivery, []byte) (json.RawMessage, error) {
		return nil, fmt.Errorf("unknown operation %q", name)
	}}
}

// Ordering keys: the same resource's events, state (notification,
// status), import and deletion (byTarget("resource") is eventKey's key
// for a resource), the installation's own events and state, the same
// resource's secrets, the actions on one invoice, and the installation's
// billing data, balances and finalization. An invoice
// submission waits for nothing (its key is its own).
func eventKey(d Delivery) string {
	if d.Target == "" {
		return d.InstallationID + "|installation"
	}
	return d.InstallationID + "|resource|" + d.Target
}

func byTarget(kind string) func(Delivery) string {
	return func(d Delivery) string { return d.InstallationID + "|" + kind + "|" + d.Target }
}

func billingKey(d Delivery) string { return d.InstallationID + "|billing" }

// experimentationKey orders the items and the global config of one
// resource; an item's target is "<resourceId>/<itemId>".
func experimentationKey(d Delivery) string {
	rid, _ := itemTarget(d.Target)
	return d.InstallationID + "|experimentation|" + rid
}

func itemTarget(target string) (resourceID, itemID string) {
	resourceID, itemID, _ = strings.Cut(target, "/")
	return resourceID, itemID
}

func ownKey(d Delivery) string { return d.InstallationID + "|submission|" + d.ID }

// call adapts a typed call without an answer body to op.send.
func call[T any](fn func(ctx context.Context, v vercelcall.Installation, d Delivery, req *T) error) func(context.Context, vercelcall.Installation, Delivery, []byte) (json.RawMessage, error) {
	return answer(func(ctx context.Context, v vercelcall.Installation, d Delivery, req *T) (*struct{}, error) {
		return nil, fn(ctx, v, d, req)
	})
}

// answer adapts a typed call to op.send: it decodes the stored body into
// a new T and encodes Vercel's answer (nil stays nil).
func answer[T, R any](fn func(ctx context.Context, v vercelcall.Installation, d Delivery, req *T) (*R, error)) func(context.Context, vercelcall.Installation, Delivery, []byte) (json.RawMessage, error) {
	return func(ctx context.Context, v vercelcall.Installation, d Delivery, body []byte) (json.RawMessage, error) {
		req := new(T)
		if err := json.Unmarshal(body, req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		res, err := fn(ctx, v, d, req)
		if err != nil || res == nil {
			return nil, err
		}
		return json.Marshal(res)
	}
}

// finalized wipes the installation's token once Vercel took its
// finalization.
func finalized(ctx context.Context, tx installations.Tx, d Delivery, _ []byte) error {
	return tx.FinalizeInstallation(ctx, d.InstallationID)
}

// resourceDeleted forgets our copy of a resource once Vercel took its
// deletion, and says so on the feed; a copy already gone is fine.
func resourceDeleted(ctx context.Context, tx installations.Tx, d Delivery, _ []byte) error {
	err := tx.DeleteResource(ctx, d.InstallationID, d.Target)
	if apperr.KindOf(err) == apperr.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceDeleted,
		InstallationID: d.InstallationID, Subject: d.Target,
		Data: map[string]string{"resourceId": d.Target, "deliveryId": d.ID}})
}
