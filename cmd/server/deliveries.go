package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/server"
)

// deliveriesCmd is the operator's retry/cancel of a pending delivery (or
// of a push of the event feed, id "push_...", which may be retried when
// dead too), straight on the database (the running servers pick the
// change up).
func deliveriesCmd(ctx context.Context, args, environ []string, stdout io.Writer) error {
	const use = "usage: server deliveries retry|cancel [-config FILE] DELIVERY_ID"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "retry" && args[0] != "cancel") {
		return errors.New(use)
	}
	action := args[0]
	fs, path := configFlags("deliveries " + action)
	if err := parseArgs(fs, args[1:], 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(use)
	}
	cfg, err := config.LoadDatabase(*path, server.LookupEnv(environ))
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, false, stdout)
	if err != nil {
		return err
	}
	defer d.Close()
	id, now := fs.Arg(0), time.Now()
	if eventpush.IsID(id) {
		return pushCmd(ctx, db.NewPushes(d), action, id, now, stdout)
	}
	store := db.NewDeliveries(d)
	if action == "retry" {
		dl, err := store.RetryDelivery(ctx, id, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is due now (%s, %d attempts)\n", dl.ID, dl.Status, dl.Attempts)
		return nil
	}
	dl, err := store.CancelDelivery(ctx, id, deliveries.CancelReason, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is %s\n", dl.ID, dl.Status)
	return nil
}

// pushCmd retries or cancels a push of the event feed.
func pushCmd(ctx context.Context, store *db.Pushes, action, id string, now time.Time, stdout io.Writer) error {
	if action == "retry" {
		p, err := store.RetryPush(ctx, id, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is due now (%s, %d attempts)\n", p.ID, p.Status, p.Attempts)
		return nil
	}
	p, err := store.CancelPush(ctx, id, eventpush.CancelReason, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is %s\n", p.ID, p.Status)
	return nil
}
