// Package checks holds the custom scorecard tests of singleton-operator: each one checks a
// promise of the operator on a live cluster where the operator runs, and returns a scorecard
// v1alpha3 TestResult. cmd/scorecard-tests runs one by name; test/bundle runs those that need
// no kubelet against a real API server.
package checks
