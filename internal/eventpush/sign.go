package eventpush

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// SecretKey decodes a Standard Webhooks secret: "whsec_" + base64.
func SecretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if !ok || err != nil || len(key) == 0 {
		return nil, errors.New("eventpush: the push secret must be whsec_ followed by base64")
	}
	return key, nil
}

// sign sets the Standard Webhooks headers of one push: webhook-id (the
// event's id, the same on every attempt), webhook-timestamp (the
// attempt's, in seconds) and webhook-signature over both and the body.
func sign(h http.Header, key []byte, id string, ts int64, body []byte) {
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", provisioning.Sign(key, id, ts, body))
}
