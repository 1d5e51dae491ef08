package kubestellar

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/util/json"
)

// benchWorkStatusJSON is a WorkStatus as the ITS serves it to the operator's watch: ocm-status-
// addon's managedFields and label, and a healthy Deployment's status (the shape of
// test/bench/reportedstate's).
func benchWorkStatusJSON(wec, object string, seq int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"control.kubestellar.io/v1alpha1","kind":"WorkStatus",`+
		`"metadata":{"name":"apps-deployments-bench-%[2]s","namespace":"%[1]s",`+
		`"uid":"0b6f1a3e-5c1d-4a53-9d8e-%012[3]d","resourceVersion":"%[3]d","generation":1,`+
		`"creationTimestamp":"2026-12-06T11:00:00Z",`+
		`"labels":{"transport.kubestellar.io/originWdsName":"wds1","managed-by.kubestellar.io/singletonstatus":"true"},`+
		`"managedFields":[{"manager":"status-agent","operation":"Update","apiVersion":"control.kubestellar.io/v1alpha1",`+
		`"time":"2026-12-06T11:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{".":{},"f:sourceRef":{".":{},`+
		`"f:group":{},"f:kind":{},"f:name":{},"f:namespace":{},"f:resource":{},"f:version":{}}}}},`+
		`{"manager":"status-agent","operation":"Update","apiVersion":"control.kubestellar.io/v1alpha1",`+
		`"time":"2026-12-06T11:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{".":{},"f:availableReplicas":{},`+
		`"f:collisionCount":{},"f:conditions":{},"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},`+
		`"f:updatedReplicas":{}}},"subresource":"status"}]},`+
		`"spec":{"sourceRef":{"group":"apps","version":"v1","resource":"deployments","kind":"Deployment",`+
		`"namespace":"bench","name":"%[2]s"}},`+
		`"status":{"availableReplicas":1,"collisionCount":%[3]d,"conditions":[`+
		`{"lastTransitionTime":"2026-12-06T11:00:00Z","lastUpdateTime":"2026-12-06T11:00:00Z",`+
		`"message":"Deployment has minimum availability.","reason":"MinimumReplicasAvailable","status":"True","type":"Available"},`+
		`{"lastTransitionTime":"2026-12-06T11:00:00Z","lastUpdateTime":"2026-12-06T11:00:00Z",`+
		`"message":"ReplicaSet \"%[2]s-5d7f8b9c6d\" has successfully progressed.","reason":"NewReplicaSetAvailable",`+
		`"status":"True","type":"Progressing"}],"observedGeneration":1,"readyReplicas":1,"replicas":1,"updatedReplicas":1}}`,
		wec, object, 1000+seq)
}

// benchCachedWorkStatus is the WorkStatus as the ITS cache holds it: decoded from its watch
// event's object, then through the cache's transform.
func benchCachedWorkStatus(tb testing.TB, c *connection, raw []byte) *WorkStatus {
	ws := &WorkStatus{}
	if err := json.Unmarshal(raw, ws); err != nil {
		tb.Fatal(err)
	}
	out, err := stampWorkStatus(c.opts.Now, c.opts.MaxStatusBytes)(ws)
	if err != nil {
		tb.Fatal(err)
	}
	return out.(*WorkStatus)
}

func benchConnection() *connection {
	return &connection{opts: connectionOptions{MaxStatusBytes: maxStatusBytes, Now: time.Now}}
}

// benchObjectWorkStatuses are the WorkStatuses of one object from n WECs, as the cache lists
// them, and the WECs.
func benchObjectWorkStatuses(tb testing.TB, c *connection, n int) ([]*WorkStatus, []string) {
	items := make([]*WorkStatus, 0, n)
	wecs := make([]string, 0, n)
	for k := range n {
		wec := fmt.Sprintf("wec%02d", k)
		items = append(items, benchCachedWorkStatus(tb, c, benchWorkStatusJSON(wec, "d-00001", k)))
		wecs = append(wecs, wec)
	}
	return items, wecs
}

// BenchmarkGatherReports is the reports part of the object reconcile's gather, for an object
// with 1 and 10 qualified WECs: the index gives a fresh slice of the cached objects,
// reportsFrom reads them. In the changed=1 cases
// one of the WorkStatuses is a new version at each reconcile (what a change costs), in the
// others none is.
func BenchmarkGatherReports(b *testing.B) {
	for _, n := range []int{1, 10} {
		for _, changed := range []bool{false, true} {
			b.Run(fmt.Sprintf("wecs=%d/changed=%d", n, map[bool]int{true: 1}[changed]), func(b *testing.B) {
				c := benchConnection()
				items, wecs := benchObjectWorkStatuses(b, c, n)
				b.ReportAllocs()
				for b.Loop() {
					if changed {
						benchChange(b, c, items)
					}
					if got := c.reportsFrom(slices.Clone(items), wecs); len(got) != n {
						b.Fatalf("%d reports", len(got))
					}
				}
			})
		}
	}
}

// benchChange makes the first of items a new version, as the cache holds it.
func benchChange(b *testing.B, c *connection, items []*WorkStatus) {
	b.StopTimer()
	items[0] = benchCachedWorkStatus(b, c, benchWorkStatusJSON(items[0].Namespace, "d-00001", 7))
	b.StartTimer()
}

// BenchmarkCombinedReports is the reports part of the combined-status reconcile's gather, for
// an object sent to 1 and 10 WECs, as BenchmarkGatherReports.
func BenchmarkCombinedReports(b *testing.B) {
	for _, n := range []int{1, 10} {
		for _, changed := range []bool{false, true} {
			b.Run(fmt.Sprintf("wecs=%d/changed=%d", n, map[bool]int{true: 1}[changed]), func(b *testing.B) {
				c := benchConnection()
				items, wecs := benchObjectWorkStatuses(b, c, n)
				dests := make([]controlv1alpha1.Destination, 0, n)
				for _, w := range wecs {
					dests = append(dests, controlv1alpha1.Destination{ClusterId: w})
				}
				b.ReportAllocs()
				for b.Loop() {
					if changed {
						benchChange(b, c, items)
					}
					if got := c.combinedReports(slices.Clone(items), dests); len(got) != n {
						b.Fatalf("%d reports", len(got))
					}
				}
			})
		}
	}
}

// BenchmarkWorkStatusCache is what a WorkStatus costs as it enters the cache (the decode of
// its watch event's object, then the transform: ns/op, B/op), and what the cache then keeps
// of it: the live heap per cached WorkStatus (1,000 of them), as it entered (live-B/WorkStatus)
// and once a reconcile read its status (live-B/read-WorkStatus).
func BenchmarkWorkStatusCache(b *testing.B) {
	c := benchConnection()
	const n = 1000
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = benchWorkStatusJSON(fmt.Sprintf("wec%02d", i%10), fmt.Sprintf("d-%05d", i/10), i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]*WorkStatus, n)
	for i, raw := range raws {
		kept[i] = benchCachedWorkStatus(b, c, raw)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	live := float64(after.HeapAlloc-before.HeapAlloc) / n
	for _, ws := range kept {
		if _, ok := ws.statusMap(); !ok {
			b.Fatal("the status does not decode")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	read := float64(after.HeapAlloc-before.HeapAlloc) / n
	runtime.KeepAlive(kept)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		benchCachedWorkStatus(b, c, raws[i%n])
		i++
	}
	b.ReportMetric(live, "live-B/WorkStatus")
	b.ReportMetric(read, "live-B/read-WorkStatus")
}
