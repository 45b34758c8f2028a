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
	"slices"
	"strings"
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
	fresh         int
	sessions      int
	postgres      string
	replicas      int
	chosen        map[string]bool // scenario names to run
	cpuProfile    string          // write a CPU profile of the scenarios per target here
	memProfile    string          // write a heap profile after the scenarios per target here
	serverLog     io.Writer       // where the replicas log; io.Discard unless -serverlog
}

// target is one table: a database driver and how many server replicas
// share it.
type target struct {
	driver   string
	replicas int
}

func (t target) title() string {
	if t.replicas == 1 {
		return t.driver
	}
	return fmt.Sprintf("%s, %d replicas", t.driver, t.replicas)
}

func parseFlags(args []string, out io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.DurationVar(&s.duration, "duration", 5*time.Second, "how long each timed scenario runs")
	fs.IntVar(&s.conns, "conns", 16, "concurrent connections (closed loop: one request in flight each)")
	fs.IntVar(&s.installations, "installations", 1000, "installations created before the scenarios")
	fs.IntVar(&s.backlog, "backlog", 5000, "writes accepted while Vercel is down, then drained")
	fs.IntVar(&s.fresh, "fresh", 10000, "distinct tokens the upsert-fresh scenario signs before timing and sends once each")
	fs.IntVar(&s.sessions, "sessions", 0, "sessions stored before the SSO scenario")
	fs.StringVar(&s.postgres, "postgres", "", "also measure PostgreSQL at this URL (a fresh schema is created and dropped unless the URL names a search_path)")
	fs.IntVar(&s.replicas, "replicas", 1, "also measure this many server instances sharing one PostgreSQL schema, load spread round-robin (needs -postgres)")
	fs.StringVar(&s.cpuProfile, "cpuprofile", "", "write a CPU profile of the scenarios (server, simulator and load together) to FILE.<driver>")
	fs.StringVar(&s.memProfile, "memprofile", "", "write a heap profile after the scenarios (server, simulator and load together) to FILE.<driver>")
	logPath := fs.String("serverlog", "", "append the replicas' log lines (warnings and errors) to FILE")
	names := fs.String("scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case fs.NArg() > 0:
		return s, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case s.duration <= 0 || s.conns < 1 || s.installations < 1 || s.backlog < 1 || s.fresh < 1 || s.sessions < 0:
		return s, errors.New("-duration, -conns, -installations, -backlog and -fresh must be positive, -sessions not negative")
	case s.replicas < 1 || s.replicas > 1 && s.postgres == "":
		return s, errors.New("-replicas must be positive, and above 1 only with -postgres")
	}
	var err error
	if s.chosen, err = chooseScenarios(*names); err != nil {
		return s, err
	}
	s.serverLog = io.Discard
	if *logPath != "" {
		s.serverLog, err = os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	return s, err
}

// chooseScenarios parses -scenarios, refusing unknown or no names.
func chooseScenarios(list string) (map[string]bool, error) {
	known := scenarioNames()
	chosen := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("-scenarios: unknown %q (known: %s)", name, strings.Join(known, ","))
		}
		chosen[name] = true
	}
	return chosen, nil
}

// scenarioList is the chosen scenarios in running order.
func (s settings) scenarioList() string {
	var names []string
	for _, name := range scenarioNames() {
		if s.chosen[name] {
			names = append(names, name)
		}
	}
	return strings.Join(names, ",")
}

func run(ctx context.Context, args []string, out io.Writer) error {
	s, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s, GOMAXPROCS %d, load average at start %s\n", goVersion(), gomaxprocs(), loadAverage())
	fmt.Fprintf(out, "settings: -duration %s -conns %d -installations %d -backlog %d -sessions %d -replicas %d -scenarios %s\n\n",
		s.duration, s.conns, s.installations, s.backlog, s.sessions, s.replicas, s.scenarioList())
	// With several replicas, one replica on PostgreSQL is measured too, so
	// the two compare in one run.
	targets := []target{{"sqlite", 1}}
	if s.postgres != "" {
		targets = append(targets, target{"postgres", 1})
	}
	if s.replicas > 1 {
		targets = append(targets, target{"postgres", s.replicas})
	}
	for _, t := range targets {
		rep, err := measure(ctx, s, t)
		if err != nil {
			return fmt.Errorf("%s: %w", t.title(), err)
		}
		rep.print(out)
	}
	fmt.Fprintf(out, "load average at end %s, peak RSS %s (simulator included)\n", loadAverage(), peakRSS())
	return nil
}
