package vercelapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
)

// EnvironmentOverrides gives a secret a different value per environment.
type EnvironmentOverrides struct {
	Development string `json:"development,omitempty"`
	Preview     string `json:"preview,omitempty"`
	Production  string `json:"production,omitempty"`
}

// Secret is one resource secret; it becomes an environment variable in
// connected projects.
type Secret struct {
	Name                 string                `json:"name" vercel:"required"`
	Value                string                `json:"value" vercel:"required"`
	Prefix               string                `json:"prefix,omitempty"` // deprecated by Vercel
	EnvironmentOverrides *EnvironmentOverrides `json:"environmentOverrides,omitempty"`
}

func (s *Secret) validate(v *validator, path string) {
	v.required(join(path, "name"), s.Name)
	v.required(join(path, "value"), s.Value)
}

func validateSecrets(v *validator, path string, secrets []Secret) {
	for i := range secrets {
		secrets[i].validate(v, index(path, i))
	}
}

// SecretsUpdate is updateResourceSecrets' body. Without Partial the listed
// secrets replace the resource's whole set; with it only they are updated.
type SecretsUpdate struct {
	Secrets []Secret `json:"secrets" vercel:"required"`
	Partial bool     `json:"partial,omitempty"`
}

// Validate checks s against Vercel's schema.
func (s *SecretsUpdate) Validate() error {
	if s == nil {
		return nilBody()
	}
	v := &validator{}
	if s.Secrets == nil {
		v.add("secrets", "required")
	}
	validateSecrets(v, "secrets", s.Secrets)
	return v.err()
}

// UpdateResourceSecrets replaces (or, with Partial, updates) a resource's
// secrets. Connected projects get them without a redeploy. It also completes
// an asynchronous secrets rotation.
//
// PUT /v1/installations/{installationId}/resources/{resourceId}/secrets
func (c *Client) UpdateResourceSecrets(ctx context.Context, token, installationID, resourceID string, s *SecretsUpdate) error {
	if err := checkCall(token, []string{"installationId", installationID, "resourceId", resourceID}, s); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPut, pathf("/v1/installations/%s/resources/%s/secrets", installationID, resourceID), token, s, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// UpdateResourceSecretsByProduct is UpdateResourceSecrets on Vercel's
// deprecated path, which also names the product (ID or slug).
//
// PUT /v1/installations/{installationId}/products/{productIdOrSlug}/resources/{resourceId}/secrets
func (c *Client) UpdateResourceSecretsByProduct(ctx context.Context, token, installationID, productID, resourceID string, s *SecretsUpdate) error {
	if err := checkCall(token, []string{"installationId", installationID, "productIdOrSlug", productID, "resourceId", resourceID}, s); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPut, pathf("/v1/installations/%s/products/%s/resources/%s/secrets", installationID, productID, resourceID), token, s, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// ResourceSecrets is updateResource's "secrets" key: a Secret array, or an
// object {secrets, partial?}. Like Billing, it marshals back to the form it
// was decoded from; set Object (or Partial) for the object form.
type ResourceSecrets struct {
	Object  bool
	Secrets []Secret
	Partial *bool // object form only; nil: key absent
}

type resourceSecretsObject struct {
	Secrets []Secret `json:"secrets" vercel:"required"`
	Partial *bool    `json:"partial,omitempty"`
}

// MarshalJSON writes the array or object form.
func (r ResourceSecrets) MarshalJSON() ([]byte, error) {
	secrets := r.Secrets
	if secrets == nil {
		secrets = []Secret{}
	}
	if r.Object || r.Partial != nil {
		return json.Marshal(resourceSecretsObject{Secrets: secrets, Partial: r.Partial})
	}
	return json.Marshal(secrets)
}

// UnmarshalJSON strictly decodes either form, refusing unknown keys.
func (r *ResourceSecrets) UnmarshalJSON(data []byte) error {
	var list []Secret
	var obj resourceSecretsObject
	isObject, err := decodeUnion(data, &list, &obj, errSecretsShape)
	switch {
	case err != nil:
		return err
	case isObject:
		*r = ResourceSecrets{Object: true, Secrets: obj.Secrets, Partial: obj.Partial}
	default:
		*r = ResourceSecrets{Secrets: list}
	}
	return nil
}

var errSecretsShape = errors.New("must be an array of secrets or an object {secrets, partial}")

func (*ResourceSecrets) checkStrict(s *strictState, path string, val any) {
	checkUnion(s, path, val, reflect.TypeFor[[]Secret](), reflect.TypeFor[resourceSecretsObject](), errSecretsShape)
}

func (r *ResourceSecrets) validate(v *validator, path string) {
	if r.Object || r.Partial != nil {
		path = join(path, "secrets")
	}
	validateSecrets(v, path, r.Secrets)
}
