package installations

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// Webhook event types that have an effect; every other type is kept and
// put on the feed unchanged.
const (
	WebhookConfigurationRemoved = "integration-configuration.removed"
	WebhookInvoiceCreated       = "marketplace.invoice.created"
	WebhookInvoicePaid          = "marketplace.invoice.paid"
	WebhookInvoiceNotPaid       = "marketplace.invoice.notpaid"
	WebhookInvoiceOverdue       = "marketplace.invoice.overdue"
	WebhookInvoiceRefunded      = "marketplace.invoice.refunded"
	WebhookMemberChanged        = "marketplace.member.changed"
	WebhookProjectConnected     = "integration-resource.project-connected"
	WebhookProjectDisconnected  = "integration-resource.project-disconnected"
	WebhookTransferred          = "integration-configuration.transferred"
	WebhookScopeChangeConfirmed = "integration-configuration.scope-change-confirmed"
	WebhookPermissionUpgraded   = "integration-configuration.permission-upgraded"
)

// MaxWebhookID bounds the id and type of a stored webhook event.
const MaxWebhookID = 255

// WebhookEvent is one event Vercel sent to our Webhook URL, as stored.
type WebhookEvent struct {
	ID             string
	Type           string
	InstallationID string    // from the payload; "" when it names none
	SentAt         time.Time // Vercel's createdAt; zero when absent
	Payload        json.RawMessage
	Body           []byte // the body as received, with text no database stores replaced (StorableJSON)
}

// WebhookStore keeps webhook events once per id.
type WebhookStore interface {
	// RecordWebhook stores ev unless an event with its id is stored
	// already. Only when it stores it does it run effect and put the
	// event on the feed, all in one transaction. stored reports which.
	RecordWebhook(ctx context.Context, ev WebhookEvent, effect LocalChange) (stored bool, err error)
}

var errNotEvent = apperr.New(apperr.Invalid, "invalid_event", "the body is not a webhook event")

// ParseWebhook reads Vercel's envelope: a JSON object with a string id and
// type and an object payload. The signature is checked before: text a
// database cannot store is replaced here (StorableJSON), in what is kept
// and in what the event's effects read.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	body = StorableJSON(body)
	var env struct {
		ID        *string         `json:"id"`
		Type      *string         `json:"type"`
		CreatedAt json.Number     `json:"createdAt"`
		Payload   json.RawMessage `json:"payload"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&env) != nil || dec.More() || env.ID == nil || env.Type == nil {
		return WebhookEvent{}, errNotEvent
	}
	if *env.ID == "" || *env.Type == "" || len(*env.ID) > MaxWebhookID || len(*env.Type) > MaxWebhookID ||
		!bytes.HasPrefix(bytes.TrimSpace(env.Payload), []byte("{")) {
		return WebhookEvent{}, errNotEvent
	}
	ev := WebhookEvent{ID: *env.ID, Type: *env.Type, Payload: env.Payload, Body: body}
	if ms, err := env.CreatedAt.Int64(); err == nil && ms > 0 {
		ev.SentAt = time.UnixMilli(ms).UTC()
	}
	var ids struct {
		InstallationID string `json:"installationId"`
		Configuration  struct {
			ID string `json:"id"`
		} `json:"configuration"`
		CheckRun struct { // deployment.checkrun.* name it only here
			Source struct {
				IntegrationConfigurationID string `json:"integrationConfigurationId"`
			} `json:"source"`
		} `json:"checkRun"`
	}
	json.Unmarshal(env.Payload, &ids)
	ev.InstallationID = cmp.Or(ids.InstallationID, ids.Configuration.ID, ids.CheckRun.Source.IntegrationConfigurationID)
	return ev, nil
}

// FeedEvent is the feed entry announcing ev: its Vercel type, with the
// Vercel id and the payload unchanged.
func (ev WebhookEvent) FeedEvent() NewEvent {
	return NewEvent{Type: ev.Type, InstallationID: ev.InstallationID, Subject: ev.ID,
		Data: map[string]any{"vercelEventId": ev.ID, "payload": ev.Payload}}
}

// InvoiceWebhook is the payload of the marketplace.invoice.* events.
type InvoiceWebhook struct {
	InvoiceID         string `json:"invoiceId"`
	ExternalInvoiceID string `json:"externalInvoiceId"` // null reads as ""
	Period            struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"period"`
	InvoiceDate  string `json:"invoiceDate"`
	InvoiceTotal string `json:"invoiceTotal"`
	Amount       string `json:"amount"` // refunded only
	Reason       string `json:"reason"` // refunded only
}

// invoiceStates maps invoice event types to the state they record.
var invoiceStates = map[string]string{
	WebhookInvoiceCreated:  "pending",
	WebhookInvoicePaid:     "paid",
	WebhookInvoiceNotPaid:  "notpaid",
	WebhookInvoiceOverdue:  "overdue",
	WebhookInvoiceRefunded: "refunded",
}

// InvoiceState is the state an invoice event moves our record to, and
// whether typ is an invoice event at all.
func InvoiceState(typ string) (string, bool) {
	s, ok := invoiceStates[typ]
	return s, ok
}

// Invoice is our record as the event describes it; fields the event does
// not carry stay empty, so storing it keeps what we know already.
func (p InvoiceWebhook) Invoice(installationID, state string) Invoice {
	inv := Invoice{InstallationID: installationID, ID: p.InvoiceID, ExternalID: p.ExternalInvoiceID,
		Total: p.InvoiceTotal, State: state, PeriodStart: parseTime(p.Period.Start), PeriodEnd: parseTime(p.Period.End),
		InvoiceDate: parseTime(p.InvoiceDate)}
	if state == "refunded" {
		inv.RefundTotal, inv.RefundReason = p.Amount, p.Reason
	}
	return inv
}

// MemberWebhook is the payload of marketplace.member.changed.
type MemberWebhook struct {
	MemberID string `json:"memberId"`
	Role     string `json:"role"`
}

// ProjectWebhook is the payload of integration-resource.project-*.
type ProjectWebhook struct {
	ResourceID string `json:"resourceId"`
	ProjectID  string `json:"projectId"`
	Project    struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"project"`
	Targets []string `json:"targets"`
}

// ResourceProject is a Vercel project a resource is connected to.
type ResourceProject struct {
	InstallationID string    `json:"installationId"`
	ResourceID     string    `json:"resourceId"`
	ProjectID      string    `json:"projectId"`
	Name           string    `json:"name,omitempty"`
	Targets        []string  `json:"targets"`
	ConnectedAt    time.Time `json:"connectedAt"`
}

// Connection is the connection the event describes (ConnectedAt unset).
func (p ProjectWebhook) Connection(installationID string) ResourceProject {
	targets := p.Targets
	if targets == nil {
		targets = []string{}
	}
	return ResourceProject{InstallationID: installationID, ResourceID: p.ResourceID,
		ProjectID: cmp.Or(p.ProjectID, p.Project.ID), Name: p.Project.Name, Targets: targets}
}

// parseTime reads an ISO date-time; anything else is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// TransferWebhook is the payload of integration-configuration.transferred.
type TransferWebhook struct {
	PreviousTeamID    string `json:"previousTeamId"`
	PreviousAccountID string `json:"previousAccountId"`
	NewTeamID         string `json:"newTeamId"`
	NewAccountID      string `json:"newAccountId"`
}

// ScopeWebhook is the payload of
// integration-configuration.scope-change-confirmed.
type ScopeWebhook struct {
	Configuration struct {
		Scopes *[]string `json:"scopes"`
	} `json:"configuration"`
}

// PermissionWebhook is the payload of
// integration-configuration.permission-upgraded.
type PermissionWebhook struct {
	Configuration struct {
		ProjectSelection string `json:"projectSelection"`
	} `json:"configuration"`
	Projects struct {
		Added   []string `json:"added"`
		Removed []string `json:"removed"`
	} `json:"projects"`
}

// MaxProjects bounds the projects recorded of one installation.
const MaxProjects = 1000

// Check names what the payload carries that we cannot record: project
// ids must be ids, at most MaxProjects of each list.
func (p PermissionWebhook) Check() []apperr.Field {
	var fields []apperr.Field
	if s := p.Configuration.ProjectSelection; s != "" && s != "all" && s != "selected" {
		fields = append(fields, apperr.Field{Key: "configuration.projectSelection", Message: "must be all or selected"})
	}
	for key, list := range map[string][]string{"projects.added": p.Projects.Added, "projects.removed": p.Projects.Removed} {
		if len(list) > MaxProjects {
			fields = append(fields, apperr.Field{Key: key, Message: "too many projects"})
			continue
		}
		for _, id := range list {
			if CheckID(key, id) != nil {
				fields = append(fields, apperr.Field{Key: key, Message: "holds an id that is not an id"})
				break
			}
		}
	}
	return fields
}
