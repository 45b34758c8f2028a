package provisioning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Block is one block of a REPL answer, as Vercel's store page renders it:
// a paragraph of texts, or a table of texts.
type Block struct {
	Type     string   `json:"type"` // "paragraph" or "table"
	Children []Text   `json:"children,omitempty"`
	Header   []Text   `json:"header,omitempty"`
	Rows     [][]Text `json:"rows,omitempty"`
}

// Text is a run of text in a block.
type Text struct {
	Type   string `json:"type"` // "text"
	Text   string `json:"text"`
	Color  string `json:"color,omitempty"`
	Bold   bool   `json:"bold,omitempty"`
	Italic bool   `json:"italic,omitempty"`
	Href   string `json:"href,omitempty"`
}

// Paragraph is a block of one text.
func Paragraph(t Text) Block {
	t.Type = "text"
	return Block{Type: "paragraph", Children: []Text{t}}
}

// Bounds on a REPL answer.
const (
	maxBlocks    = 200
	maxChildren  = 100
	maxRows      = 500
	maxCells     = 50
	maxText      = 8 << 10
	maxTextTotal = 512 << 10
)

// color is a CSS color name or a #rgb / #rrggbb value.
var color = regexp.MustCompile(`^([a-z]{1,20}|#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6})$`)

// CheckBlocks decodes and checks a hook's REPL answer: a JSON array of
// blocks, or an object {"blocks": [...]}. Unknown keys, unknown block or
// text types, text that is not UTF-8 or holds control characters, hrefs
// that are not https, and answers past the bounds above are refused whole.
func CheckBlocks(raw []byte) ([]Block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var wrapped struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := strict(raw, &wrapped); err != nil || wrapped.Blocks == nil {
			return nil, errors.New("answer is not an array of blocks")
		}
		raw = wrapped.Blocks
	}
	var blocks []Block
	if err := strict(raw, &blocks); err != nil || blocks == nil {
		return nil, errors.New("answer is not an array of blocks")
	}
	c := &checker{}
	if len(blocks) > maxBlocks {
		return nil, fmt.Errorf("answer has more than %d blocks", maxBlocks)
	}
	for i, b := range blocks {
		if err := c.block(b); err != nil {
			return nil, fmt.Errorf("blocks[%d]: %w", i, err)
		}
	}
	return blocks, nil
}

// strict decodes exactly one JSON value with no unknown keys.
func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the answer")
	}
	return nil
}

type checker struct{ total int }

func (c *checker) block(b Block) error {
	switch b.Type {
	case "paragraph":
		if b.Header != nil || b.Rows != nil {
			return errors.New("a paragraph has only children")
		}
		if len(b.Children) == 0 || len(b.Children) > maxChildren {
			return fmt.Errorf("a paragraph has 1 to %d children", maxChildren)
		}
		return c.texts("children", b.Children)
	case "table":
		if b.Children != nil {
			return errors.New("a table has a header and rows, no children")
		}
		if len(b.Header) > maxCells || len(b.Rows) > maxRows {
			return fmt.Errorf("a table has at most %d columns and %d rows", maxCells, maxRows)
		}
		if err := c.texts("header", b.Header); err != nil {
			return err
		}
		for i, row := range b.Rows {
			if len(row) > maxCells {
				return fmt.Errorf("rows[%d]: at most %d cells", i, maxCells)
			}
			if err := c.texts(fmt.Sprintf("rows[%d]", i), row); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown block type %q", b.Type)
}

func (c *checker) texts(key string, ts []Text) error {
	for i, t := range ts {
		if err := c.text(t); err != nil {
			return fmt.Errorf("%s[%d]: %w", key, i, err)
		}
	}
	return nil
}

func (c *checker) text(t Text) error {
	c.total += len(t.Text)
	switch {
	case t.Type != "text":
		return errors.New(`type must be "text"`)
	case len(t.Text) > maxText || c.total > maxTextTotal:
		return errors.New("text too long")
	case !utf8.ValidString(t.Text) || strings.ContainsFunc(t.Text, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		return errors.New("text must be UTF-8 without control characters")
	case t.Color != "" && !color.MatchString(t.Color):
		return errors.New("color must be a color name or #rgb / #rrggbb")
	}
	if t.Href != "" {
		u, err := url.Parse(t.Href)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(t.Href) > 2048 {
			return errors.New("href must be an https URL")
		}
	}
	return nil
}

// MarshalJSON writes a block in Vercel's shape: a paragraph's children, a
// table's rows (always present) and header (when it has one).
func (b Block) MarshalJSON() ([]byte, error) {
	if b.Type == "table" {
		rows := b.Rows
		if rows == nil {
			rows = [][]Text{}
		}
		return json.Marshal(struct {
			Type   string   `json:"type"`
			Header []Text   `json:"header,omitempty"`
			Rows   [][]Text `json:"rows"`
		}{b.Type, b.Header, rows})
	}
	return json.Marshal(struct {
		Type     string `json:"type"`
		Children []Text `json:"children"`
	}{b.Type, b.Children})
}
