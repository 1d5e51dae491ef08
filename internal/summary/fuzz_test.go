package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// fuzzKinds are the objects the fuzzer summarizes for: one of each rule, and a kind of no rule.
var fuzzKinds = []*unstructured.Unstructured{
	deployment(2),
	object("apps/v1", "StatefulSet", 1, map[string]any{"replicas": int64(2)}),
	object("apps/v1", "DaemonSet", 1, nil),
	object("apps/v1", "ReplicaSet", 1, nil),
	object("batch/v1", "Job", 1, nil),
	object("v1", "Pod", 1, nil),
	object("v1", "Service", 1, map[string]any{"type": "LoadBalancer"}),
	object("v1", "PersistentVolumeClaim", 1, nil),
	object("autoscaling/v2", "HorizontalPodAutoscaler", 1, nil),
	object("example.com/v1", "Widget", 1, nil),
}

// FuzzSummarize feeds two WECs' statuses of any JSON shape, decoded as the API machinery
// decodes them. Whatever they hold: no panic; either an error that names a WEC whose
// HealthOf is Unknown, or a summary of both that does not depend on the order.
func FuzzSummarize(f *testing.F) {
	seed := func(kind uint8, a, b map[string]any) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		f.Add(kind, ja, jb)
	}
	seed(0, deploymentReady(2), deploymentReady(1))
	seed(5, map[string]any{"phase": "Running", "containerStatuses": []any{map[string]any{"name": "c",
		"state": map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff"}}}}}, map[string]any{"phase": "Succeeded"})
	seed(6, map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "192.0.2.1"}}}}, nil)
	seed(7, map[string]any{"phase": "Bound", "capacity": map[string]any{"storage": "1Gi"}}, map[string]any{"phase": "Lost"})
	seed(9, map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False"}}}, map[string]any{"conditions": 3})
	f.Fuzz(func(t *testing.T, kind uint8, a, b []byte) {
		obj := fuzzKinds[int(kind)%len(fuzzKinds)]
		sa, sb := decodeStatus(a), decodeStatus(b)
		if sa == nil || sb == nil {
			return
		}
		res, err := Summarize(obj, []Report{report("a", sa), report("b", sb)})
		if err != nil {
			var re *ReportError
			if !errors.As(err, &re) {
				t.Fatalf("error without the WEC: %v", err)
			}
			if h := HealthOf(obj, report(re.WEC, map[string]any{"a": sa, "b": sb}[re.WEC].(map[string]any))); h.Status != "Unknown" {
				t.Fatalf("Summarize refuses WEC %s (%v), HealthOf reads it %s", re.WEC, err, h.Status)
			}
			return
		}
		if len(res.WECs) != 2 || res.Status == nil {
			t.Fatalf("summary of two WECs: %+v", res)
		}
		again, err := Summarize(obj, []Report{report("b", sb), report("a", sa)})
		if err != nil || !equalJSON(again.Status, res.Status) {
			t.Fatalf("the order of the reports changed the summary: %v\n%v\n%v", err, res.Status, again.Status)
		}
		kstatusOf(withStatus(obj, res.Status))
	})
}

// decodeStatus decodes a JSON object as the API machinery does (integers as int64); nil when
// it is not one.
func decodeStatus(data []byte) map[string]any {
	var m map[string]any
	if err := k8sjson.Unmarshal(data, &m); err != nil || m == nil {
		return nil
	}
	return m
}

func equalJSON(a, b map[string]any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
