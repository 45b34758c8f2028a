package server

import "runtime/debug"

// Version names this build: ldflags (the version a command was given at
// build time, "" when none), else the module version, else the VCS
// revision (with "-dirty" for uncommitted changes).
func Version(ldflags string) string {
	info, ok := debug.ReadBuildInfo()
	return versionFrom(ldflags, info, ok)
}

func versionFrom(ldflags string, info *debug.BuildInfo, ok bool) string {
	if ldflags != "" {
		return ldflags
	}
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		return "dev"
	case dirty:
		return "dev-" + rev + "-dirty"
	default:
		return "dev-" + rev
	}
}
