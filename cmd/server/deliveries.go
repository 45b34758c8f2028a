package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
)

// deliveriesCmd is the operator's retry/cancel of a pending delivery,
// straight on the database (the running servers pick the change up).
func deliveriesCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "retry" && args[0] != "cancel") {
		return errors.New("usage: server deliveries retry|cancel -config FILE DELIVERY_ID")
	}
	action := args[0]
	cfg, fs, err := parseConfig("deliveries "+action, args[1:], getenv, stdout)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: server deliveries retry|cancel -config FILE DELIVERY_ID")
	}
	d, err := db.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	store, id, now := db.NewDeliveries(d), fs.Arg(0), time.Now()
	if action == "retry" {
		dl, err := store.RetryDelivery(ctx, id, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is due now (%s, %d attempts)\n", dl.ID, dl.Status, dl.Attempts)
		return nil
	}
	dl, err := store.CancelDelivery(ctx, id, "cancelled by an operator", now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is %s\n", dl.ID, dl.Status)
	return nil
}
