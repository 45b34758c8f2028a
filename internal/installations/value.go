package installations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Value is a JSON value written in the YAML catalog (an enum member, a
// default, an option value). It is kept as JSON text so that numbers stay
// exactly as written.
type Value json.RawMessage

// MarshalJSON writes the value as it was given.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return v, nil
}

// UnmarshalJSON keeps the JSON text.
func (v *Value) UnmarshalJSON(b []byte) error {
	if !json.Valid(b) {
		return fmt.Errorf("not valid JSON")
	}
	*v = append((*v)[:0], b...)
	return nil
}

// UnmarshalYAML converts a YAML node into JSON text, refusing what JSON
// cannot say (hex integers, .inf, non-string keys).
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	var buf bytes.Buffer
	if err := writeJSON(&buf, n, 0); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*v = buf.Bytes()
	return nil
}

// MarshalYAML turns the JSON text back into a YAML node.
func (v Value) MarshalYAML() (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return toNode(x), nil
}

// decode returns the value as Go data, numbers as json.Number.
func (v Value) decode() (any, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	err := dec.Decode(&x)
	return x, err
}

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

func toNode(x any) *yaml.Node {
	switch t := x.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range t {
			n.Content = append(n.Content, toNode(c))
		}
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, toNode(k), toNode(t[k]))
		}
		return n
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}
