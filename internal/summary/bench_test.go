package summary

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// BenchmarkSummarize: one Deployment on 10 WECs at different rollout stages. The baseline,
// in the same run, is what any summary must at least do: kstatus on each WEC's object.
func BenchmarkSummarize(b *testing.B) {
	obj := deployment(3)
	reports := make([]Report, 10)
	for i := range reports {
		status := deploymentReady(3)
		status["readyReplicas"] = int64(i % 4)
		reports[i] = report(fmt.Sprintf("wec-%02d", 9-i), status)
	}
	b.Run("Deployment-10WECs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Summarize(obj, reports); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-kstatus-only", func(b *testing.B) {
		b.ReportAllocs()
		objs := make([]*unstructured.Unstructured, len(reports))
		for i, r := range reports {
			objs[i] = withStatus(obj, r.Status)
		}
		for b.Loop() {
			for _, u := range objs {
				if _, err := kstatus.Compute(u); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
