package checks

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
)

func TestResultState(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record func(r *Result)
		want   scapiv1alpha3.State
		errors int
	}{
		{name: "nothing recorded passes", record: func(r *Result) { r.Logf("looked") }, want: scapiv1alpha3.PassState},
		{name: "a broken promise fails", record: func(r *Result) { r.Failf("broken") }, want: scapiv1alpha3.FailState, errors: 1},
		{name: "a check that could not look errors", record: func(r *Result) { r.Failf("broken"); r.Errorf("refused") },
			want: scapiv1alpha3.ErrorState, errors: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := &Result{name: "x"}
			tc.record(r)
			got := r.TestResult()
			g.Expect(got.Name).To(Equal("x"))
			g.Expect(got.State).To(Equal(tc.want))
			g.Expect(got.Errors).To(HaveLen(tc.errors))
		})
	}
}

func TestRunUnknownTest(t *testing.T) {
	g := NewWithT(t)
	status := Run(context.Background(), "no-such-test", Env{})
	g.Expect(status.Results).To(HaveLen(1))
	g.Expect(status.Results[0].State).To(Equal(scapiv1alpha3.ErrorState))
	g.Expect(status.Results[0].Errors[0]).To(ContainSubstring("metrics-require-auth, statefulsingleton-ready, webhook-gates-selected-pods"))
}
