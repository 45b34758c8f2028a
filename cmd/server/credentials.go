package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/vercel-partner/partner-server/internal/app"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/server"
)

const credentialsUse = "usage: server credentials rotate [-config FILE] (INSTALLATION_ID | --all)"

// credentialsCmd rotates installation tokens: it first carries on the
// rotations a crash or an unreachable Vercel left unfinished, then
// rotates the one named, or every installation's.
func credentialsCmd(ctx context.Context, args, environ []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New(credentialsUse)
	}
	fs, path := configFlags("credentials rotate")
	all := fs.Bool("all", false, "rotate the token of every installation")
	if err := parseArgs(fs, args[1:], 1); err != nil {
		return err
	}
	if *all == (fs.NArg() == 1) {
		return errors.New(credentialsUse)
	}
	cfg, err := config.Load(*path, server.LookupEnv(environ))
	if err != nil {
		return err
	}
	if err := nameDatabase(cfg, false, stdout); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Version: Version()})
	if err != nil {
		return err
	}
	defer a.Close()
	var outs []credentials.Outcome
	if *all {
		if outs, err = a.Credentials.RotateAll(ctx); err != nil {
			return err
		}
	} else {
		if _, err := a.Credentials.Resume(ctx); err != nil {
			return err
		}
		r, err := a.Credentials.Rotate(ctx, fs.Arg(0))
		r.InstallationID = fs.Arg(0)
		outs = []credentials.Outcome{{Result: r, Err: err}}
	}
	return report(stdout, outs)
}

// report prints one line per installation (never a token) and fails if
// any rotation did.
func report(w io.Writer, outs []credentials.Outcome) error {
	failed := 0
	for _, o := range outs {
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(w, "%s: not rotated: %v\n", o.InstallationID, o.Err)
		case o.Revoked:
			fmt.Fprintf(w, "%s: new token in use since %s; the old one is revoked\n", o.InstallationID, o.RotatedAt.UTC().Format(time.RFC3339))
		default:
			fmt.Fprintf(w, "%s: new token in use since %s; the old one is not revoked yet (the server, or this command again, revokes it)\n",
				o.InstallationID, o.RotatedAt.UTC().Format(time.RFC3339))
		}
	}
	if len(outs) == 0 {
		fmt.Fprintln(w, "no installation has a token to rotate")
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d rotations failed", failed, len(outs))
	}
	return nil
}
