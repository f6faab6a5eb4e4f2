package parse

import (
	"errors"
	"fmt"
	"time"

	"vigil/internal/datafile"
)

// timeFromMillis reads epoch milliseconds, or seconds when the number is
// too small to be milliseconds of this century.
func timeFromMillis(n int64) time.Time {
	if n < 1e11 {
		return time.Unix(n, 0).UTC()
	}
	return time.UnixMilli(n).UTC()
}

// fieldError blames one field of a record; the readers copy the field
// name into the datafile.Error they count.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func errField(field string, format string, args ...any) error {
	return &fieldError{field: field, err: fmt.Errorf(format, args...)}
}

// recordError builds the error a reader counts for a skipped record.
func recordError(source string, line int64, err error) *datafile.Error {
	re := &datafile.Error{File: source, Line: int(line), Err: err}
	var fe *fieldError
	if errors.As(err, &fe) {
		re.Field = fe.field
	}
	return re
}
