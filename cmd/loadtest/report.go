package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"
)

// report is one target's table.
type report struct {
	title         string
	ready         []time.Duration // per replica
	installations int
	installTime   time.Duration
	rows          []result
}

func (r *report) print(out io.Writer) {
	ready := make([]string, len(r.ready))
	for i, d := range r.ready {
		ready[i] = d.Round(time.Millisecond).String()
	}
	fmt.Fprintf(out, "== %s: start-up to ready %s; %d installations stored in %s, load spread over %d of them\n",
		r.title, strings.Join(ready, ", "), r.installations, r.installTime.Round(time.Millisecond), min(r.installations, hotInstallations))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\terrors\tvs /healthz\tCPU/req here\tCPU/req db\t")
	ceiling := r.ceiling()
	for _, row := range r.rows {
		ratio := "-"
		if ceiling > 0 {
			ratio = fmt.Sprintf("%.2f", row.rate()/ceiling)
		}
		self, db := row.cpuColumns()
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t%s\t\n", row.name, row.rate(), ms(row, 0.50), ms(row, 0.99), row.errs, ratio, self, db)
	}
	tw.Flush()
	r.printFloors(out)
	for _, row := range r.rows {
		if row.firstErr != nil {
			fmt.Fprintf(out, "first error of %q: %v\n", row.name, row.firstErr)
		}
	}
	fmt.Fprintln(out)
}

// printFloors gives each server row measured beside a floor its ratio
// to that floor and how its p99 compares.
func (r *report) printFloors(out io.Writer) {
	for _, f := range r.rows {
		of, ok := floorRows[f.name]
		if !ok || f.rate() <= 0 {
			continue
		}
		for _, row := range r.rows {
			if row.name == of {
				fmt.Fprintf(out, "%s vs %q: %.2f\n", of, f.name, row.rate()/f.rate())
			}
		}
	}
}

// ceiling is the /healthz rate, 0 when that scenario was not run.
func (r *report) ceiling() float64 {
	for _, row := range r.rows {
		if row.name == healthzRow {
			return row.rate()
		}
	}
	return 0
}

func ms(r result, q float64) string {
	d, ok := r.quantile(q)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
}

func goVersion() string { return runtime.Version() }

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// peakRSS is this process's VmHWM from /proc/self/status.
func peakRSS() string {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "VmHWM:" {
			return f[1] + " " + f[2]
		}
	}
	return "unknown"
}

// startProfile starts a CPU profile to base.driver when base is set; the
// returned func stops it.
func startProfile(base, driver string) (func(), error) {
	if base == "" {
		return func() {}, nil
	}
	f, err := os.Create(base + "." + driver)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeHeap writes a heap profile to base.driver when base is set.
func writeHeap(base, driver string) error {
	if base == "" {
		return nil
	}
	f, err := os.Create(base + "." + driver)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}
