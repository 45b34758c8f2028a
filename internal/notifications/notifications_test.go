package notifications_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/notifications"
	"github.com/vercel-partner/partner-server/internal/vault"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst  = "icfg_notifications0000000001"
	token = "vsim_token_for_notifications"
	res   = "db_1"
)

type env struct {
	sim   *vercelsim.Sim
	queue *deliveries.Service
	svc   *notifications.Service
	insts *db.Installations
	res   *db.Resources
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := t.Context()
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	v, _ := vault.New(make([]byte, 32))
	e := &env{sim: sim, insts: db.NewInstallations(d, v), res: db.NewResources(d)}
	if _, err := e.insts.Upsert(ctx, installations.Upsert{ID: inst, Credentials: installations.Credentials{AccessToken: token, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.PutResource(ctx, installations.Resource{ID: res, InstallationID: inst, ProductID: "postgres", Name: "main", Status: "ready"}); err != nil {
		t.Fatal(err)
	}
	sim.RegisterInstallation(inst, token)
	sim.SetResource(inst, res, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	client, _ := vercelapi.NewClient(sim.URL())
	e.queue = deliveries.New(deliveries.Deps{Store: db.NewDeliveries(d), Vault: v, Vercel: vercelcall.New(client, e.insts, 10*time.Second)},
		deliveries.Options{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond,
			FirstAttemptTimeout: 5 * time.Second, AttemptTimeout: 30 * time.Second})
	t.Cleanup(e.queue.Close)
	e.svc = notifications.New(e.queue)
	return e
}

// run starts the delivery worker until the test ends.
func (e *env) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.queue.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (e *env) await(t *testing.T, id string) deliveries.Delivery {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		d, err := e.queue.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != deliveries.StatusPending {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s still pending: %+v", id, d)
		}
	}
}

// updates is what Vercel took of updateInstallation or updateResource.
func updates(sim *vercelsim.Sim, route string) []string {
	var out []string
	for _, r := range sim.RequestsTo(route) {
		if r.Status/100 == 2 {
			out = append(out, string(r.Body))
		}
	}
	return out
}

func note(title string) installations.Notification {
	return installations.Notification{Level: installations.LevelWarn, Title: title, Message: "m", Href: "sso:https://partner.example/dashboard"}
}

// TestNotificationSetReplacedTwiceAndClearedWhileVercelIsDown: with Vercel
// down, the installation's notification is set, replaced twice and
// cleared; once Vercel is back it gets exactly the newest state (null,
// on the wire) and none of the superseded ones.
func TestNotificationSetReplacedTwiceAndClearedWhileVercelIsDown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := t.Context()
		e.sim.SetDown(true)
		var ids []string
		for _, title := range []string{"first", "second", "third"} {
			in, dl, err := e.svc.SetInstallation(ctx, "", inst, note(title))
			if err != nil || !strings.Contains(string(in.Notification), title) {
				t.Fatalf("set %s: %s %v", title, in.Notification, err)
			}
			ids = append(ids, dl.ID)
		}
		in, last, err := e.svc.ClearInstallation(ctx, "", inst)
		if err != nil || in.Notification != nil || last.Status != deliveries.StatusPending {
			t.Fatalf("clear: %s %+v %v", in.Notification, last, err)
		}
		e.sim.SetDown(false)
		e.run(t)
		if got := e.await(t, last.ID); got.Status != deliveries.StatusDelivered {
			t.Fatalf("the clearing: %+v", got)
		}
		for _, id := range ids {
			if got, _ := e.queue.Get(ctx, id); got.Status != deliveries.StatusSuperseded {
				t.Errorf("an older change is %s, want superseded", got.Status)
			}
		}
		if got := updates(e.sim, vercelsim.RouteUpdateInstallation); len(got) != 1 || got[0] != `{"notification":null}` {
			t.Errorf("Vercel took %q, want exactly one {\"notification\":null}", got)
		}
		if st, _ := e.sim.Installation(inst); string(st.Notification) != "null" {
			t.Errorf("Vercel shows %s, want the notification cleared", st.Notification)
		}
		if stored, _ := e.insts.Get(ctx, inst); stored.Notification != nil {
			t.Errorf("we keep %s, want none", stored.Notification)
		}
	})
}

// TestResourceNotificationIsKeptAndDelivered: a resource's notification
// is kept with the resource and sent with updateResource.
func TestResourceNotificationIsKeptAndDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	r, dl, err := e.svc.SetResource(t.Context(), "", inst, res, note("Disk almost full"))
	if err != nil || dl.Status != deliveries.StatusDelivered || !strings.Contains(string(r.Notification), "Disk almost full") {
		t.Fatalf("set: %+v %+v %v", r, dl, err)
	}
	got, _ := e.sim.Resource(inst, res)
	if !strings.Contains(string(got.Notification), `"title":"Disk almost full"`) {
		t.Errorf("Vercel shows %s", got.Notification)
	}
	if _, _, err := e.svc.SetResource(t.Context(), "", inst, "db_none", note("x")); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("a notification of an unknown resource: %v, want NotFound", err)
	}
	if _, _, err := e.svc.ClearResource(t.Context(), "", inst, res); err != nil {
		t.Fatal(err)
	}
	if got := updates(e.sim, vercelsim.RouteUpdateResource); len(got) != 2 || got[1] != `{"notification":null}` {
		t.Errorf("Vercel took %q", got)
	}
}

// TestBadNotificationsAreRefusedWithFields: nothing is kept or queued.
func TestBadNotificationsAreRefusedWithFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	for _, tc := range []struct {
		name string
		n    installations.Notification
		key  string
	}{
		{"a title over 100 characters", installations.Notification{Level: "info", Title: strings.Repeat("é", 101)}, "title"},
		{"no title", installations.Notification{Level: "info"}, "title"},
		{"an unknown level", installations.Notification{Level: "warning", Title: "t"}, "level"},
		{"a javascript: href", installations.Notification{Level: "info", Title: "t", Href: "javascript:alert(1)"}, "href"},
		{"an sso: javascript href", installations.Notification{Level: "info", Title: "t", Href: "sso:javascript:alert(1)"}, "href"},
		{"a plain http href", installations.Notification{Level: "info", Title: "t", Href: "http://partner.example/"}, "href"},
		{"a NUL in the title", installations.Notification{Level: "info", Title: "a\x00b"}, "title"},
		{"a message over 500 characters", installations.Notification{Level: "info", Title: "t", Message: strings.Repeat("m", 501)}, "message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.SetInstallation(t.Context(), "", inst, tc.n)
			ae, ok := err.(*apperr.Error)
			if !ok || ae.Kind != apperr.Invalid || len(ae.Fields) == 0 || ae.Fields[0].Key != tc.key {
				t.Errorf("%v, want 400 naming %s", err, tc.key)
			}
		})
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateInstallation)); n != 0 {
		t.Errorf("Vercel got %d calls for bad notifications", n)
	}
	if in, _ := e.insts.Get(t.Context(), inst); in.Notification != nil {
		t.Errorf("a bad notification was kept: %s", in.Notification)
	}
	for _, href := range []string{"https://partner.example/x", "sso:https://partner.example/x", "sso:http://localhost:8080/dashboard", "sso:/checks/1"} {
		if err := (installations.Notification{Level: "info", Title: "t", Href: href}).Check(); err != nil {
			t.Errorf("href %q refused: %v", href, err)
		}
	}
}
