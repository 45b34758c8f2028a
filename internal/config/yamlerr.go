package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	wrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!\\w+ (?:`.*` )?into (\\S+)$")
)

// yamlError turns the YAML library's errors into one line per problem,
// without Go type names or the offending value (which may be a secret).
func yamlError(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config: %s %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		lines[i] = path + " " + yamlProblem(e)
	}
	return errors.New("config: " + strings.Join(lines, "; "))
}

func yamlProblem(e string) string {
	if m := unknownField.FindStringSubmatch(e); m != nil {
		return fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
	}
	if m := wrongType.FindStringSubmatch(e); m != nil {
		return fmt.Sprintf("line %s: want %s", m[1], kindOf(m[2]))
	}
	return e
}

// kindOf names a Go type the way the YAML file's author thinks of it.
func kindOf(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration (e.g. 30s, 5m)"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	default:
		return "a mapping of keys"
	}
}
