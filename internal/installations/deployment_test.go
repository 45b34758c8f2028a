package installations

import (
	"errors"
	"testing"
	"time"
)

func TestACheckRunEventNamesItsInstallation(t *testing.T) {
	t.Parallel()
	ev, err := ParseWebhook([]byte(`{"id":"evt_1","type":"deployment.checkrun.start","payload":{"checkRun":{"id":"chkrun_1",
		"source":{"kind":"integration","integrationConfigurationId":"icfg_1"}},"deployment":{"id":"dpl_1"}}}`))
	if err != nil || ev.InstallationID != "icfg_1" {
		t.Errorf("installation %q, %v", ev.InstallationID, err)
	}
}

func TestDeploymentJobRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	action := DeploymentJob{Kind: JobAction, State: JobRequested}
	running, err := action.Report(JobRunning, "", now)
	if err != nil || running.Final() || running.FinishedAt != nil {
		t.Errorf("running: %+v %v", running, err)
	}
	done, err := running.Report(JobSucceeded, "", now)
	if err != nil || !done.Final() || done.FinishedAt == nil {
		t.Errorf("succeeded: %+v %v", done, err)
	}
	if _, err := done.Report(JobFailed, "", now); !errors.Is(err, ErrJobFinal) {
		t.Errorf("a status after the end: %v, want ErrJobFinal", err)
	}
	if _, ok := done.Cancel(now); ok {
		t.Error("an ended job was canceled")
	}
	if c, ok := running.Cancel(now); !ok || c.State != JobCanceled || !c.Final() {
		t.Errorf("cancel: %+v %v", c, ok)
	}
	if f := action.Fail("timed out", "timeout", now); f.State != JobFailed || f.StatusText != "timed out" || f.Conclusion != "" {
		t.Errorf("an action times out as %+v", f)
	}
	run := DeploymentJob{Kind: JobCheckRun, State: JobRunning}
	if f := run.Fail("timed out", "timeout", now); f.State != JobCompleted || f.Conclusion != "timeout" || !f.Final() {
		t.Errorf("a check run times out as %+v", f)
	}
}
