// Command server runs the partner-side backend of a Vercel Marketplace
// native integration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vercel-partner/partner-server/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `usage: server [COMMAND] [FLAGS]

Flags go after the command: "server migrate -config c.yaml", not "server -config c.yaml migrate".

Commands:
  serve (the default)    serve with the configuration
      -config FILE           YAML configuration file; PARTNER_* environment variables override it
  migrate                apply database migrations and exit (needs only database.driver and database.dsn)
      -config FILE           YAML configuration file; PARTNER_* environment variables override it
  deliveries retry|cancel [-config FILE] DELIVERY_ID
                         retry a pending delivery now, or give it up (needs only the database;
                         never creates one)
  credentials rotate [-config FILE] (INSTALLATION_ID | --all)
                         replace an installation's Vercel access token (or every one's) and revoke
                         the old one; first finishes rotations a crash left half-done
  migrate, deliveries and credentials print the database they use; without -config and
  PARTNER_DATABASE_DSN it is data/partner.db.
  version                print the version
  help                   print this help (also -h, --help)

The demo (this server beside a simulated Vercel) is its own command: go run ./cmd/demo`

// commands are the words run dispatches on.
var commands = []string{"serve", "migrate", "deliveries", "credentials", "version", "help"}

// errDemoMoved answers "server demo": the simulator is not in this binary.
var errDemoMoved = errors.New(`the demo is no longer a server command: run "go run ./cmd/demo" (same flags)`)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Version names this build (see server.Version).
func Version() string { return server.Version(version) }

// run is the whole program; main only supplies the process's environment
// ("NAME=value" pairs, as os.Environ gives them).
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	err := dispatch(ctx, cmd, args, environ, stdout)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return err
}

func dispatch(ctx context.Context, cmd string, args, environ []string, stdout io.Writer) error {
	switch cmd {
	case "serve":
		return serve(ctx, args, environ, stdout)
	case "migrate":
		return migrate(ctx, args, environ, stdout)
	case "deliveries":
		return deliveriesCmd(ctx, args, environ, stdout)
	case "credentials":
		return credentialsCmd(ctx, args, environ, stdout)
	case "version":
		fmt.Fprintln(stdout, Version())
		return nil
	case "demo":
		return errDemoMoved
	case "help":
		return flag.ErrHelp
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// parseFlags parses args into fs; -h and --help come back as flag.ErrHelp,
// which run answers with the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%s: %w (run \"server help\" for usage)", fs.Name(), err)
}

// misplacedCommand spots a command given after flags ("server -config X
// migrate") and names the form that works.
func misplacedCommand(args []string) error {
	for i, a := range args {
		if a == "demo" {
			return errDemoMoved
		}
		for _, c := range commands {
			if a != c {
				continue
			}
			form := append([]string{"server", c}, args[:i]...)
			form = append(form, args[i+1:]...)
			return fmt.Errorf("flags go after the command: run %q (see \"server help\")", strings.Join(form, " "))
		}
	}
	return nil
}
