// Package errs holds Vigil's small set of application error codes. Services
// return *errs.Error; the web layer maps codes to HTTP status in one place,
// so handlers never guess status codes.
package errs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Codes, after WTF Dial.
const (
	EINVALID      = "invalid"      // 400: bad input; Field names what
	EUNAUTHORIZED = "unauthorized" // 401: who are you?
	EFORBIDDEN    = "forbidden"    // 403: known caller, not allowed
	ENOTFOUND     = "not_found"    // 404: absent or out of the caller's scope
	ECONFLICT     = "conflict"     // 409: duplicate or stale
	ETOOLARGE     = "too_large"    // 413
	ETOOMANY      = "too_many"     // 429: throttled
	EINTERNAL     = "internal"     // 500
	EUNAVAILABLE  = "unavailable"  // 503
)

// Error is an application error with a code, a message a user can act on and,
// for bad input, the field it concerns.
//
// Message is English (the API's language). Format and Args are the same
// message before formatting: the UI looks Format up in its translations
// (internal/i18n, keyed by the English format) to say it in the reader's
// language. An *Error among Args is shown by its message alone.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter tells a throttled (ETOOMANY) or busy (EUNAVAILABLE)
	// caller when to try again; the web layer sends it as Retry-After.
	RetryAfter time.Duration
	Format     string
	Args       []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// New returns an *Error with code, field and a formatted message; the
// constructors below are shorthands of it.
func New(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: Sprintf(format, args...), Format: format, Args: args}
}

// Sprintf is fmt.Sprintf with every *Error among args shown by its message
// alone (without its field), so that "finding 12: %v" reads
// "finding 12: must be at most 4000 bytes".
func Sprintf(format string, args ...any) string {
	shown := args
	for i, a := range args {
		if e, ok := a.(*Error); ok {
			if &shown[0] == &args[0] {
				shown = append([]any(nil), args...)
			}
			shown[i] = e.Message
		}
	}
	return fmt.Sprintf(format, shown...)
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return New(code, "", format, args...)
}

// Invalid returns an EINVALID error about field.
func Invalid(field, format string, args ...any) *Error {
	return New(EINVALID, field, format, args...)
}

// NotFound is the error for objects that are absent or outside the caller's
// scope: the two must be indistinguishable.
func NotFound(what string) *Error {
	return &Error{Code: ENOTFOUND, Message: what + " not found", Format: "%s not found", Args: []any{what}}
}

// Conflict is returned when the request clashes with what is stored: a
// duplicate, or a change based on a state that is no longer current.
func Conflict(field, format string, args ...any) *Error {
	return New(ECONFLICT, field, format, args...)
}

// Forbidden is returned when the caller may see an object but not do this.
func Forbidden(format string, args ...any) *Error {
	return New(EFORBIDDEN, "", format, args...)
}

// Code returns the code of err, EINTERNAL for foreign errors, "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// As returns err's *Error, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// OneOf is a code, or the list of choices an "is not one of %s" error
// names: the API's English message lists the codes; a page names each by
// its label, the message key Prefix+code in the reader's language
// ("intel.tlp.", "severity.", "finding.").
type OneOf struct {
	Prefix string
	Codes  []string
}

func (o OneOf) String() string { return strings.Join(o.Codes, ", ") }
