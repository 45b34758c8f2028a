package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "PARTNER_"

// EnvName is the variable overriding a key path: database.dsn -> PARTNER_DATABASE_DSN.
func EnvName(keyPath string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(keyPath))
}

// Keys lists every key path the configuration knows, in declaration order.
func Keys() []string {
	var keys []string
	walk(reflect.ValueOf(&Config{}).Elem(), "", func(key string, _ reflect.Value, _ bool) error {
		keys = append(keys, key)
		return nil
	})
	return keys
}

// UnknownEnv lists the PARTNER_* variables in environ ("NAME=value" pairs,
// as os.Environ gives them) that override no key: most often a misspelling.
// PARTNER_TEST_* variables belong to the test suite and are not reported.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, k := range Keys() {
		known[EnvName(k)], known[EnvName(k)+"_FILE"] = true, true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !strings.HasPrefix(name, EnvPrefix+"TEST_") && !known[name] {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

func applyEnv(c *Config, getenv func(string) string) []string {
	var problems []string
	walk(reflect.ValueOf(c).Elem(), "", func(key string, v reflect.Value, _ bool) error {
		raw, ok, err := lookup(key, getenv)
		if err != nil {
			problems = append(problems, err.Error())
			return nil
		}
		if !ok {
			return nil
		}
		if err := setValue(v, raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s (%s): %v", key, EnvName(key), err))
		}
		return nil
	})
	return problems
}

// lookup returns the value from KEY or from the file named by KEY_FILE.
func lookup(key string, getenv func(string) string) (string, bool, error) {
	name := EnvName(key)
	if v := getenv(name); v != "" {
		return v, true, nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", false, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		reason := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err
		}
		return "", false, fmt.Errorf("%s (%s_FILE): cannot read %s: %v", key, name, file, reason)
	}
	return strings.TrimRight(string(data), "\r\n"), true, nil
}

// walk visits every leaf key (struct fields recurse; slices and maps are leaves).
func walk(v reflect.Value, prefix string, fn func(key string, v reflect.Value, secret bool) error) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			walk(fv, key, fn)
			continue
		}
		fn(key, fv, f.Tag.Get("secret") == "true")
	}
}

// envSetter is a key type that reads its environment form itself.
type envSetter interface{ setEnv(raw string) error }

func setValue(v reflect.Value, raw string) error {
	if s, ok := v.Addr().Interface().(envSetter); ok {
		return s.setEnv(raw)
	}
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration (e.g. 30s, 5m)")
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(raw)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		v.SetInt(n)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		v.SetBool(b)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String && !strings.HasPrefix(strings.TrimSpace(raw), "["):
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		// Lists of objects (products) are given as YAML or JSON.
		ptr := reflect.New(v.Type())
		if err := yaml.Unmarshal([]byte(raw), ptr.Interface()); err != nil {
			return fmt.Errorf("not valid YAML/JSON for this key")
		}
		v.Set(ptr.Elem())
	}
	return nil
}
