// Command demo is the newcomer's path: the partner server beside an
// in-process Vercel simulator, on an embedded SQLite file, with generated
// secrets and a demo installation. The simulator lives here so that the
// production binary (cmd/server) carries none of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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

const usage = `usage: go run ./cmd/demo [FLAGS]

Serves the partner server beside an in-process Vercel simulator, with
generated secrets; installs a demo installation the way Vercel would and
prints the URL to open. PARTNER_* environment variables override the
demo's configuration (PARTNER_LOG_LEVEL=debug).

Flags:
  -addr ADDR          address of the partner server (default 127.0.0.1:8080)
  -vercel-addr ADDR   address of the simulated Vercel (default 127.0.0.1:8090)
  -data DIR           directory for the SQLite file, the simulator's state and generated secrets (default data)
  -reset              start afresh: delete the demo database and the simulator's state`

// run is the whole program; main only supplies the process's environment
// ("NAME=value" pairs, as os.Environ gives them). The database and the
// simulator's state are kept between runs (-reset starts afresh).
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, addr, simAddr, dataDir, reset := demoFlags()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp), err == nil && fs.NArg() == 1 && fs.Arg(0) == "help":
		fmt.Fprintln(stdout, usage)
		return nil
	case err != nil:
		return fmt.Errorf("demo: %w (-h lists the flags)", err)
	case fs.NArg() > 0:
		return fmt.Errorf("demo: unexpected argument %q (-h lists the flags)", fs.Arg(0))
	}
	server.WarnUnknownEnv(server.NewLogger(stdout, "info"), environ)
	files := demoPaths(*dataDir)
	if *reset {
		if err := resetDemo(files); err != nil {
			return err
		}
	}
	d, err := startDemo(ctx, files, *addr, *simAddr, server.LookupEnv(environ), stdout)
	if err != nil {
		return err
	}
	defer d.close()
	printDemo(stdout, d)
	err = <-d.served
	if serr := d.sim.Save(files.sim); serr != nil && err == nil {
		err = serr
	}
	return err
}
