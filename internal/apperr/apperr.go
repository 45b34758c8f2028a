// Package apperr is the one error story of the server: a few kinds, each
// mapped to one HTTP status in one place (handlers.StatusOf).
package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Kind classifies an error for the caller.
type Kind int

// The kinds of error the server reports. handlers.StatusOf maps each to
// one HTTP status.
const (
	Internal      Kind = iota // a bug or a broken dependency; details are logged, not shown
	Invalid                   // the input is malformed or breaks a rule (Fields name the keys)
	TooLarge                  // the input is over a size limit
	Unauthorized              // no valid credentials
	Forbidden                 // valid credentials that may not do this
	NotFound                  // no such thing
	Conflict                  // the request clashes with the current state
	Unprocessable             // well-formed but refused on its meaning (Vercel's 422)
	Unavailable               // a dependency is busy or unreachable; try again later
	Upstream                  // a dependency answered wrongly or refused our credentials
)

// Field names one invalid input key.
type Field struct {
	Key     string `json:"key"`
	Message string `json:"message,omitempty"`
}

// Error is an error with a kind, a short code and a message safe to show.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []Field
	// Vercel carries Vercel's status and body when Vercel refused a
	// forwarded write (code vercel_rejected); shown as error.vercel.
	Vercel json.RawMessage
	// UserMessage, when set, is shown to the person (error.user.message).
	UserMessage string
	Err         error // cause, logged but never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind with a code and message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// InvalidFields returns a validation error naming the bad fields.
func InvalidFields(message string, fields ...Field) *Error {
	return &Error{Kind: Invalid, Code: "validation_error", Message: message, Fields: fields}
}

// NotFoundf returns a not-found error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: NotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// ErrNotFound is the plain not-found sentinel for stores.
var ErrNotFound = &Error{Kind: NotFound, Code: "not_found", Message: "not found"}
