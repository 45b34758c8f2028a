package vercelsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The store page's REPL: Vercel sends what a member types to the
// partner's POST .../resources/{rid}/repl and renders the blocks it
// answers. The console shows the last exchange of each resource.

// REPLBlock is one block of a REPL answer as the store page renders it.
type REPLBlock struct {
	Type     string       `json:"type"`
	Children []REPLText   `json:"children"`
	Header   []REPLText   `json:"header"`
	Rows     [][]REPLText `json:"rows"`
}

// REPLText is a run of text in a block.
type REPLText struct {
	Text   string `json:"text"`
	Color  string `json:"color"`
	Bold   bool   `json:"bold"`
	Italic bool   `json:"italic"`
	Href   string `json:"href"`
}

// replExchange is the last REPL input of a resource and what came back.
type replExchange struct {
	Input, As string
	Blocks    []REPLBlock
	Problem   string
}

// REPL sends POST {partner}/v1/installations/{id}/resources/{rid}/repl
// with {"input", "readOnly"} and decodes the blocks of a 200 answer.
func (s *Sim) REPL(ctx context.Context, partnerBaseURL, installationID, resourceID, input string, readOnly bool, opts ...CallOption) (PartnerResponse, []REPLBlock, error) {
	resp, err := s.CallPartner(ctx, http.MethodPost, resourceURL(partnerBaseURL, installationID, resourceID)+"/repl",
		installationID, map[string]any{"input": input, "readOnly": readOnly}, opts...)
	if err != nil || resp.Status != http.StatusOK {
		return resp, nil, err
	}
	var blocks []REPLBlock
	if err := json.Unmarshal(resp.Body, &blocks); err != nil {
		return resp, nil, fmt.Errorf("vercelsim: the REPL answer is not an array of blocks: %v", err)
	}
	return resp, blocks, nil
}

// postREPL runs the console's Query box as the admin or the read-only
// member, and keeps the exchange for the resource's card.
func (s *Sim) postREPL(r *http.Request) (flash, string) {
	inst, rid := r.PathValue("id"), r.PathValue("rid")
	input := strings.TrimSpace(r.PostFormValue("input"))
	base, err := s.partner()
	if err != nil {
		return problem("Could not query %s: %v.", s.resourceName(inst, rid), err), "resources"
	}
	ex := replExchange{Input: input, As: "admin"}
	opts := []CallOption{}
	if member := r.PostFormValue("member"); member != "" {
		opts = append(opts, AsUser(member, "USER"))
		ex.As = s.memberName(inst, member) + " (read-only)"
	}
	resp, blocks, err := s.REPL(r.Context(), base, inst, rid, input, false, opts...)
	f := partnerFlash("Queried "+s.resourceName(inst, rid), "Could not query "+s.resourceName(inst, rid), resp, err)
	if f.Failed {
		ex.Problem = f.Text
	}
	ex.Blocks = blocks
	s.mu.Lock()
	if s.repl == nil {
		s.repl = map[string]replExchange{}
	}
	s.repl[inst+"/"+rid] = ex
	s.mu.Unlock()
	return f, "resources"
}

func (s *Sim) lastREPL(installationID, resourceID string) *replExchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ex, ok := s.repl[installationID+"/"+resourceID]; ok {
		return &ex
	}
	return nil
}
