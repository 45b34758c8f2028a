package vercelsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// flash is the message shown after a console action: one sentence, and
// optionally the answer it came from, shown folded under it.
type flash struct {
	Text   string
	Detail string // pretty-printed answer; "" for none
	Failed bool
}

// maxFlashes bounds the kept flash messages.
const maxFlashes = 50

// saveFlash keeps f and returns its key for the redirect.
func (s *Sim) saveFlash(f flash) string {
	c := &s.console
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flashes == nil {
		c.flashes = map[string]flash{}
	}
	key := strings.ToLower(newID(""))
	c.flashes[key] = f
	c.order = append(c.order, key)
	if len(c.order) > maxFlashes {
		delete(c.flashes, c.order[0])
		c.order = c.order[1:]
	}
	return key
}

func (s *Sim) flashFor(key string) (flash, bool) {
	s.console.mu.Lock()
	defer s.console.mu.Unlock()
	f, ok := s.console.flashes[key]
	return f, ok
}

func note(format string, args ...any) flash { return flash{Text: fmt.Sprintf(format, args...)} }

func problem(format string, args ...any) flash {
	return flash{Text: fmt.Sprintf(format, args...), Failed: true}
}

// partnerFlash reports a call to the partner: done (a sentence saying
// what happened) when it answered 2xx, else why it failed, with the
// answer's body folded under the sentence.
func partnerFlash(done, failed string, resp PartnerResponse, err error) flash {
	if err != nil {
		return problem("%s: the partner did not answer (%v).", failed, err)
	}
	answered := fmt.Sprintf("the partner answered %d %s", resp.Status, http.StatusText(resp.Status))
	f := flash{Detail: prettyBody(resp.Body)}
	if resp.Status/100 == 2 {
		f.Text = done + ": " + answered + "."
		return f
	}
	f.Text, f.Failed = failed+": "+answered+why(resp.JSON)+".", true
	return f
}

// why is the reason in a partner's error envelope, after a colon; "" when
// the body has none.
func why(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	if e == nil {
		return ""
	}
	msg, _ := e["message"].(string)
	if user, ok := e["user"].(map[string]any); ok {
		if m, ok := user["message"].(string); ok && m != "" {
			msg = m
		}
	}
	var fields []string
	list, _ := e["fields"].([]any)
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			fields = append(fields, fmt.Sprintf("%v: %v", m["key"], m["message"]))
		}
	}
	if len(fields) > 0 {
		msg = strings.TrimSpace(msg + " (" + strings.Join(fields, "; ") + ")")
	}
	msg = strings.TrimRight(strings.TrimSpace(msg), ".")
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// splitAnswer separates a JSON object or array at the end of msg (as
// extra actions report answers) from the sentence before it.
func splitAnswer(msg string) (text, detail string) {
	for i := 0; i < len(msg); i++ {
		if msg[i] != '{' && msg[i] != '[' {
			continue
		}
		if tail := bytes.TrimSpace([]byte(msg[i:])); json.Valid(tail) {
			return strings.TrimRight(strings.TrimSpace(msg[:i]), ":"), prettyBody(tail)
		}
	}
	return msg, ""
}

// quote puts a name in typographic quotes, as the page shows names.
func quote(name string) string { return "“" + name + "”" }

// prettyBody indents a JSON body; other bodies are shown as sent.
func prettyBody(body []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err == nil {
		return buf.String()
	}
	return string(body)
}
