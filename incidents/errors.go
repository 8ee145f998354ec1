package incidents

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned (wrapped) by Pipeline's and Admin's methods when
// no incident has the ID given. Accounts have their own
// (accounts.ErrNotFound): the two never mean the same thing.
var ErrNotFound = errors.New("no such incident")

// ValidationError is returned (wrapped) by Admin's methods when an input
// field is not acceptable; nothing was recorded. Field names the field as
// in a form or JSON ("title", "components[2].status", "source_url"),
// Message says what is wrong, in English.
type ValidationError struct {
	Field   string
	Message string
}

// Error reads "title: is 250 bytes long, at most 200".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalidf(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
