package summary

import "fmt"

// ReportError says which WEC's report cannot be summarized, and why. Summarize returns it for
// a status whose fields have the wrong shape; the caller can leave that WEC out and summarize
// the others.
type ReportError struct {
	WEC string
	Err error
}

// Error names the WEC and the field.
func (e *ReportError) Error() string {
	return fmt.Sprintf("WEC %q: %v", e.WEC, e.Err)
}

// Unwrap returns the reason.
func (e *ReportError) Unwrap() error {
	return e.Err
}
