package server

import (
	"runtime/debug"
	"testing"
)

func TestVersionPrefersLdflagsThenModuleThenRevision(t *testing.T) {
	rev := "0123456789abcdef0123"
	build := func(mod string, settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: mod}, Settings: settings}
	}
	for _, tc := range []struct {
		ldflags string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"v1.2.3", build("v0.9.0"), true, "v1.2.3"},
		{"", build("v0.9.0"), true, "v0.9.0"},
		{"", build("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: rev}, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), true, "dev-0123456789ab"},
		{"", build("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: rev}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), true, "dev-0123456789ab-dirty"},
		{"", build("(devel)"), true, "dev"},
		{"", nil, false, "dev"},
	} {
		if got := versionFrom(tc.ldflags, tc.info, tc.ok); got != tc.want {
			t.Errorf("versionFrom(%q, %+v) = %q, want %q", tc.ldflags, tc.info, got, tc.want)
		}
	}
}
