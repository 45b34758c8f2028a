package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// JSONValue is a JSON value written in YAML (an enum member, a default, an
// option value), kept as JSON text so that numbers stay exactly as written.
type JSONValue []byte

// UnmarshalYAML converts a YAML node into JSON text, refusing what JSON
// cannot say (hex integers, .inf, non-string keys).
func (v *JSONValue) UnmarshalYAML(n *yaml.Node) error {
	var buf bytes.Buffer
	if err := writeJSON(&buf, n, 0); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*v = buf.Bytes()
	return nil
}

func (v JSONValue) value() installations.Value { return installations.Value(v) }

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

const maxValueDepth = 32

func writeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > maxValueDepth {
		return fmt.Errorf("value nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("empty value")
		}
		return writeJSON(buf, n.Content[0], depth)
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias, depth+1)
	case yaml.ScalarNode:
		return writeScalar(buf, n)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		return writeMapping(buf, n, depth)
	}
	return fmt.Errorf("unsupported YAML value")
}

func writeMapping(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	buf.WriteByte('{')
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return fmt.Errorf("object keys must be strings")
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(k.Value)
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeJSON(buf, n.Content[i+1], depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str":
		s, _ := json.Marshal(n.Value)
		buf.Write(s)
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return err
		}
		fmt.Fprint(buf, b)
	case "!!null":
		buf.WriteString("null")
	case "!!int", "!!float":
		if !jsonNumberRE.MatchString(n.Value) {
			return fmt.Errorf("%q is not a JSON number", n.Value)
		}
		buf.WriteString(n.Value)
	default:
		return fmt.Errorf("unsupported YAML scalar %s", n.ShortTag())
	}
	return nil
}
