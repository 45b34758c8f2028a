package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/server"
)

// configFlags is the -config flag every configured command takes.
func configFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return fs, fs.String("config", "", "YAML configuration file")
}

// parseArgs parses args into fs and checks the count of positional ones.
func parseArgs(fs *flag.FlagSet, args []string, positional int) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > positional {
		return fmt.Errorf("%s: unexpected argument %q (run \"server help\" for usage)", fs.Name(), fs.Arg(positional))
	}
	return nil
}

func serve(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, path := configFlags("serve")
	if err := parseArgs(fs, args, 0); err != nil {
		if m := misplacedCommand(args); m != nil {
			return m
		}
		return err
	}
	cfg, err := config.Load(*path, server.LookupEnv(environ))
	if err != nil {
		return err
	}
	log := server.NewLogger(stdout, cfg.LogLevel)
	server.WarnUnknownEnv(log, environ)
	server.WarnPlaceholders(log, cfg)
	srv, err := server.Start(ctx, cfg, log, Version())
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return srv.Serve(ctx, ln)
}

func migrate(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, path := configFlags("migrate")
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	cfg, err := config.LoadDatabase(*path, server.LookupEnv(environ))
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, true, stdout)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
