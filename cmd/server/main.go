// Command server runs the partner-side backend of a Vercel Marketplace
// native integration.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `usage:
  server [-config FILE]        serve with that config (YAML; PARTNER_* env vars override)
  server demo [-addr ADDR]     serve with an in-process Vercel simulator and generated secrets
  server migrate -config FILE  apply database migrations and exit
  server deliveries retry|cancel -config FILE DELIVERY_ID
                               retry a pending delivery now, or give it up
  server version               print the version`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "", "serve":
		return serve(ctx, args, getenv, stdout)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "deliveries":
		return deliveriesCmd(ctx, args, getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, Version())
		return nil
	case "demo":
		return demo(ctx, args, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
