// Command loadtest measures the server on this machine: it starts a Vercel
// simulator and the server on loopback, drives each scenario with a
// bounded closed-loop load, and prints every figure beside /healthz
// measured in the same run, the ceiling of the machine's HTTP stack.
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
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// settings are the command's flags.
type settings struct {
	duration      time.Duration
	conns         int
	installations int
	backlog       int
	sessions      int
	postgres      string
}

func parseFlags(args []string, out io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.DurationVar(&s.duration, "duration", 5*time.Second, "how long each timed scenario runs")
	fs.IntVar(&s.conns, "conns", 16, "concurrent connections (closed loop: one request in flight each)")
	fs.IntVar(&s.installations, "installations", 1000, "installations created before the scenarios")
	fs.IntVar(&s.backlog, "backlog", 5000, "writes accepted while Vercel is down, then drained")
	fs.IntVar(&s.sessions, "sessions", 0, "sessions stored before the SSO scenario")
	fs.StringVar(&s.postgres, "postgres", "", "also measure PostgreSQL at this URL (a fresh schema is created and dropped)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case fs.NArg() > 0:
		return s, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case s.duration <= 0 || s.conns < 1 || s.installations < 1 || s.backlog < 1 || s.sessions < 0:
		return s, errors.New("-duration, -conns, -installations and -backlog must be positive, -sessions not negative")
	}
	return s, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	s, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s, GOMAXPROCS %d, load average at start %s\n", goVersion(), gomaxprocs(), loadAverage())
	fmt.Fprintf(out, "settings: -duration %s -conns %d -installations %d -backlog %d -sessions %d\n\n",
		s.duration, s.conns, s.installations, s.backlog, s.sessions)
	targets := []string{"sqlite"}
	if s.postgres != "" {
		targets = append(targets, "postgres")
	}
	for _, driver := range targets {
		rep, err := measure(ctx, s, driver)
		if err != nil {
			return fmt.Errorf("%s: %w", driver, err)
		}
		rep.print(out)
	}
	fmt.Fprintf(out, "load average at end %s, peak RSS %s (simulator included)\n", loadAverage(), peakRSS())
	return nil
}
