package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
)

// TypeREPL asks the hook to run one REPL input against a resource.
const TypeREPL = "resource.repl"

// REPLRequest is the body of a REPL call to the hook.
type REPLRequest struct {
	Type           string `json:"type"` // TypeREPL
	InstallationID string `json:"installationId"`
	ResourceID     string `json:"resourceId"`
	Input          string `json:"input"`
	// ReadOnly: the hook must refuse anything that changes state.
	ReadOnly bool `json:"readOnly"`
}

// REPL sends one input to the hook and returns its answer's blocks, each
// checked by CheckBlocks; nothing of an answer that fails a check is
// returned. Errors never carry the answer.
func (c *Client) REPL(ctx context.Context, req REPLRequest) ([]Block, error) {
	req.Type = TypeREPL
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("provisioning: encode: %w", err)
	}
	raw, err := c.Send(ctx, "", req.Type, body) // a REPL input is not an operation to deduplicate
	if err != nil {
		return nil, err
	}
	blocks, err := CheckBlocks(raw)
	if err != nil {
		return nil, fmt.Errorf("provisioning: %s: %w", req.Type, err)
	}
	return blocks, nil
}
