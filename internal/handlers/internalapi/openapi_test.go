package internalapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	err := chi.Walk((&API{Deps: Deps{Idempotency: &handlers.Idempotency{}}}).routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(documented)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("openapi.json documents %s, which is not served", r)
		}
	}
	if len(served) < 14 {
		t.Errorf("only %d routes served", len(served))
	}
}

var operationIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// Generated clients name their methods after operationId: every operation
// needs one, camelCase and unique.
func TestOpenAPIOperationIDs(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	methods := []string{"get", "put", "post", "patch", "delete", "head", "options", "trace"}
	seen := map[string]string{}
	for path, item := range doc.Paths {
		for method, op := range item {
			if !slices.Contains(methods, method) {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			switch id := op.OperationID; {
			case id == "":
				t.Errorf("%s has no operationId", where)
			case !operationIDPattern.MatchString(id):
				t.Errorf("%s: operationId %q is not camelCase", where, id)
			case seen[id] != "":
				t.Errorf("operationId %q names both %s and %s", id, seen[id], where)
			default:
				seen[id] = where
			}
		}
	}
	if len(seen) < 14 {
		t.Errorf("only %d operations have an operationId", len(seen))
	}
}
