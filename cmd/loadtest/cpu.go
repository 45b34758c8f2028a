package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU time per request is steadier than requests per second on a shared
// machine: other processes take cores away from a run, but not the work
// each request costs. Each row reports the CPU this process (load
// generator, simulator and server together) and, on PostgreSQL, the
// server's database backends used per request.

// cpuTimes is CPU used so far: db by each backend, by process id.
type cpuTimes struct {
	self    time.Duration
	db      time.Duration // between two samples (sub)
	dbKnown bool
	pids    map[int]time.Duration
}

// cpuSampler reads the current target's CPU; set by measure.
var cpuSampler = func() cpuTimes { return cpuTimes{self: selfCPU()} }

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat's times.
const clockTick = 10 * time.Millisecond

// backendCPU adds up the CPU of the PostgreSQL backends serving app (by
// application_name), read from /proc: the load test runs on the
// database's machine.
// A backend whose connection closed during a scenario (a request cut off
// at the deadline closes its connection) takes its last CPU with it, so
// the figure is a slight undercount.
func (sv *server) backendCPU(app string) (map[int]time.Duration, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pids []int
	if err := sv.app.DB.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
		return nil, false
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone since, or not on this machine
		}
		// Fields after the command name (which may hold spaces): utime
		// and stime are the 12th and 13th.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			return nil, false
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+s) * clockTick
	}
	return out, len(out) > 0
}

// perRequest formats the CPU used between two samples per request.
func perRequest(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fµs", float64(d.Microseconds())/float64(n))
}

func (r result) cpuColumns() (self, db string) {
	self, db = perRequest(r.cpu.self, r.n), "-"
	if r.cpu.dbKnown {
		db = perRequest(r.cpu.db, r.n)
	}
	return self, db
}

// sub is what was used from b to a: for backends, the growth of those in
// both samples and all of those new in a.
func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	out := cpuTimes{self: a.self - b.self, dbKnown: a.dbKnown && b.dbKnown}
	for pid, t := range a.pids {
		out.db += t - b.pids[pid]
	}
	return out
}
