package provisioning

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckBlocks(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxText+1)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"type":"paragraph","children":[{"type":"text","text":"a"}]},`, maxBlocks+1), ",") + "]"
	cases := []struct {
		name, answer string
		ok           bool
	}{
		{"a paragraph", `[{"type":"paragraph","children":[{"type":"text","text":"hi","bold":true,"color":"red"}]}]`, true},
		{"a table", `[{"type":"table","header":[{"type":"text","text":"id"}],"rows":[[{"type":"text","text":"1"}]]}]`, true},
		{"a table without header", `[{"type":"table","rows":[]}]`, true},
		{"wrapped in an object", `{"blocks":[{"type":"paragraph","children":[{"type":"text","text":"hi"}]}]}`, true},
		{"an https link", `[{"type":"paragraph","children":[{"type":"text","text":"docs","href":"https://docs.example/x"}]}]`, true},
		{"a hex color", `[{"type":"paragraph","children":[{"type":"text","text":"x","color":"#c00"}]}]`, true},
		{"nothing", ``, false},
		{"not an array", `{"type":"paragraph"}`, false},
		{"null", `null`, false},
		{"unknown key", `[{"type":"paragraph","children":[{"type":"text","text":"hi","script":"x"}]}]`, false},
		{"unknown block type", `[{"type":"image","children":[{"type":"text","text":"hi"}]}]`, false},
		{"unknown text type", `[{"type":"paragraph","children":[{"type":"html","text":"<b>"}]}]`, false},
		{"empty paragraph", `[{"type":"paragraph","children":[]}]`, false},
		{"paragraph with rows", `[{"type":"paragraph","children":[{"type":"text","text":"a"}],"rows":[]}]`, false},
		{"http link", `[{"type":"paragraph","children":[{"type":"text","text":"x","href":"http://docs.example"}]}]`, false},
		{"javascript link", `[{"type":"paragraph","children":[{"type":"text","text":"x","href":"javascript:alert(1)"}]}]`, false},
		{"css in a color", `[{"type":"paragraph","children":[{"type":"text","text":"x","color":"red;background:url(x)"}]}]`, false},
		{"control character", `[{"type":"paragraph","children":[{"type":"text","text":"a\u0000b"}]}]`, false},
		{"bold not a boolean", `[{"type":"paragraph","children":[{"type":"text","text":"a","bold":"yes"}]}]`, false},
		{"text too long", `[{"type":"paragraph","children":[{"type":"text","text":"` + long + `"}]}]`, false},
		{"too many blocks", many, false},
		{"data after", `[] []`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blocks, err := CheckBlocks([]byte(tc.answer))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && blocks != nil {
				t.Error("blocks returned with an error")
			}
		})
	}
}

// A block is written in Vercel's shape: a table always has rows.
func TestBlocksAreWrittenInVercelsShape(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal([]Block{{Type: "table"}, Paragraph(Text{Text: "x"})})
	want := `[{"type":"table","rows":[]},{"type":"paragraph","children":[{"type":"text","text":"x"}]}]`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
