package provisioning

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Send POSTs body (a JSON object) to the hook, signed under the webhook-id
// id ("" sends a new one), and returns the 2xx answer's body (at most
// MaxResponse bytes). A caller that retries one logical operation passes
// the same id each time, so the partner's service can deduplicate.
// Redirects are not followed (New refuses them): a 3xx is a failure like
// any other non-2xx. Errors never carry the answer. Every call to the
// hook goes through here.
func (c *Client) Send(ctx context.Context, id, typ string, body []byte) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("provisioning: %w", err)
	}
	id, ts := cmp.Or(id, "msg_"+rand.Text()), c.now().Unix()
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("webhook-id", id)
	hr.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	hr.Header.Set("webhook-signature", Sign(c.key, id, ts, body))
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("provisioning: %s: hook unreachable: %w", typ, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	switch {
	case resp.StatusCode/100 == 3:
		return nil, fmt.Errorf("provisioning: %s: hook answered %d: %w", typ, resp.StatusCode, errRedirect)
	case err != nil:
		return nil, fmt.Errorf("provisioning: %s: read answer: %w", typ, err)
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("provisioning: %s: hook answered %d", typ, resp.StatusCode)
	case len(raw) > MaxResponse:
		return nil, fmt.Errorf("provisioning: %s: answer larger than %d bytes", typ, MaxResponse)
	}
	return raw, nil
}
