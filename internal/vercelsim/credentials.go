package vercelsim

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"slices"
)

// Installation tokens: rotateInstallationCredential issues a new one and
// keeps the old one live; revokeInstallationCredential kills a token for
// good (a call with it is then answered 401 and counted), but never the
// last live one.

// clientOK checks the integration's credentials in a rotate or revoke body.
func (s *Sim) clientOK(w http.ResponseWriter, body map[string]any) bool {
	secret, _ := body["client_secret"].(string)
	id, hasID := body["client_id"].(string)
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 || (hasID && id != s.opts.ClientID) {
		writeError(w, http.StatusForbidden, "forbidden", "invalid client credentials")
		return false
	}
	return true
}

func (s *Sim) handleRotateCredential(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, rotateCredentialBody)
	if !ok || !s.clientOK(w, body) {
		return
	}
	token := "vsim_" + rand.Text()
	s.mu.Lock()
	if len(in.OldTokens) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "conflict", "a rotation is under way: revoke the superseded token first")
		return
	}
	in.OldTokens = append(in.OldTokens, in.AccessToken)
	in.AccessToken = token
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "expires_in": 0, "scope": "read-write:integration-resource",
		"token_type": "oauth2-token"})
}

func (s *Sim) handleRevokeCredential(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, revokeCredentialBody)
	if !ok || !s.clientOK(w, body) {
		return
	}
	token := body["token"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case slices.Contains(in.RevokedTokens, token):
		writeJSON(w, http.StatusOK, map[string]any{"revoked": false, "already_revoked": true})
	case slices.Contains(in.OldTokens, token):
		in.OldTokens = slices.DeleteFunc(in.OldTokens, func(t string) bool { return t == token })
		in.RevokedTokens = append(in.RevokedTokens, token)
		writeJSON(w, http.StatusOK, map[string]any{"revoked": true, "already_revoked": false})
	case token == in.AccessToken && len(in.OldTokens) > 0:
		in.RevokedTokens = append(in.RevokedTokens, token)
		in.AccessToken, in.OldTokens = in.OldTokens[len(in.OldTokens)-1], in.OldTokens[:len(in.OldTokens)-1]
		writeJSON(w, http.StatusOK, map[string]any{"revoked": true, "already_revoked": false})
	case token == in.AccessToken:
		writeError(w, http.StatusConflict, "conflict", "the last live token of an installation cannot be revoked")
	default:
		writeError(w, http.StatusNotFound, "not_found", "no such token for this installation")
	}
}

// TokenRevoked reports whether token was revoked for the installation.
func (s *Sim) TokenRevoked(installationID, token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.inst(installationID).RevokedTokens, token)
}
