package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Env is what a check works with.
type Env struct {
	// Config and Client reach the cluster's API server.
	Config *rest.Config
	Client client.Client
	// Namespace is where a check creates its objects (scorecard's SCORECARD_NAMESPACE).
	Namespace string
	// WorkloadImage is the image of the workloads a check creates: the operator's own image
	// (relatedImages "gate" of the bundle), which holds /gate, so that no other image is needed.
	WorkloadImage string
	// MetricsURL is the manager's metrics endpoint.
	MetricsURL string
	// MetricsCA is the PEM CA the metrics certificate is verified with; empty when the check
	// could not read it (then the check still asks for authentication, and says so).
	MetricsCA []byte
	// Timeout bounds each wait of a check.
	Timeout time.Duration
}

// Check checks one promise and reports it.
type Check func(ctx context.Context, env Env, r *Result)

// Checks are the custom scorecard tests, by the name scorecard's entrypoint passes.
var Checks = map[string]Check{
	"statefulsingleton-ready":     StatefulSingletonReady,
	"webhook-gates-selected-pods": WebhookGatesSelectedPods,
	"metrics-require-auth":        MetricsRequireAuth,
}

// Names lists the checks, sorted.
func Names() []string {
	names := make([]string, 0, len(Checks))
	for n := range Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Result collects a check's log and errors into a scorecard TestResult.
type Result struct {
	name   string
	log    strings.Builder
	errors []string
	broken bool
}

// Logf adds a line to the result's log.
func (r *Result) Logf(format string, args ...any) {
	fmt.Fprintf(&r.log, format+"\n", args...)
}

// Failf records a broken promise: the test fails.
func (r *Result) Failf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Errorf records that the check could not run (the cluster refused, a wait timed out before
// the check could look): the test errors.
func (r *Result) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.broken = true
}

// TestResult is the scorecard form of the result.
func (r *Result) TestResult() scapiv1alpha3.TestResult {
	state := scapiv1alpha3.PassState
	switch {
	case r.broken:
		state = scapiv1alpha3.ErrorState
	case len(r.errors) > 0:
		state = scapiv1alpha3.FailState
	}
	return scapiv1alpha3.TestResult{
		Name:        r.name,
		State:       state,
		Errors:      append([]string{}, r.errors...),
		Suggestions: []string{},
		Log:         r.log.String(),
	}
}

// Run runs the check called name and returns its scorecard status; an unknown name is an
// error result that lists the known ones.
func Run(ctx context.Context, name string, env Env) scapiv1alpha3.TestStatus {
	r := &Result{name: name}
	if check, ok := Checks[name]; ok {
		check(ctx, env, r)
	} else {
		r.Errorf("unknown test %q; the tests are: %s", name, strings.Join(Names(), ", "))
	}
	return scapiv1alpha3.TestStatus{Results: []scapiv1alpha3.TestResult{r.TestResult()}}
}

// poll calls cond every interval until it returns true or an error, or until timeout; it
// returns whether cond returned true, and cond's last error.
func poll(ctx context.Context, timeout time.Duration, cond func(context.Context) (bool, error)) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return true, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return false, last
		case <-tick.C:
		}
	}
}
