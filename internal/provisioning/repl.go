package provisioning

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
	raw, err := c.postBody(ctx, req.Type, body)
	if err != nil {
		return nil, err
	}
	blocks, err := CheckBlocks(raw)
	if err != nil {
		return nil, fmt.Errorf("provisioning: %s: %w", req.Type, err)
	}
	return blocks, nil
}

// postBody signs and sends body, each call with a new webhook-id (a REPL
// input is not an operation to deduplicate), and returns the body of a
// 2xx answer. Redirects are not followed: a redirect is a failure.
func (c *Client) postBody(ctx context.Context, typ string, body []byte) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("provisioning: %w", err)
	}
	id, ts := "msg_"+rand.Text(), c.now().Unix()
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("webhook-id", id)
	hr.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	hr.Header.Set("webhook-signature", Sign(c.key, id, ts, body))
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("provisioning: %s: hook unreachable: %w", typ, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("provisioning: %s: read answer: %w", typ, err)
	case resp.StatusCode/100 == 3:
		return nil, fmt.Errorf("provisioning: %s: hook answered %d: redirects are not followed", typ, resp.StatusCode)
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("provisioning: %s: hook answered %d", typ, resp.StatusCode)
	case len(raw) > MaxResponse:
		return nil, errors.New("provisioning: " + typ + ": answer too large")
	}
	return raw, nil
}
