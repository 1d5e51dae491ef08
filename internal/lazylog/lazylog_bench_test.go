package lazylog

import (
	"io"
	"testing"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// BenchmarkReconcileLogger is what a reconcile's logger costs when the reconcile writes no line
// at the manager's level: controller-runtime's two WithValues (the request, then the reconcile
// ID) and a V(1) line, on the manager's zap logger as cmd/main.go builds it, with and without
// the wrapping.
func BenchmarkReconcileLogger(b *testing.B) {
	base := zap.New(zap.WriteTo(io.Discard), zap.UseFlagOptions(&zap.Options{
		Development: false, TimeEncoder: zapcore.RFC3339NanoTimeEncoder,
	}))
	for _, tc := range []struct {
		name string
		l    logr.Logger
	}{{"zap", base}, {"lazylog", Wrap(base)}} {
		b.Run(tc.name, func(b *testing.B) {
			l := tc.l.WithName("reportedstate").WithValues("reportedState", "ops/wds1")
			b.ReportAllocs()
			for b.Loop() {
				r := l.WithValues("controller", "reportedstate-ops-wds1", "namespace", "ns", "name", "d-00001")
				r = r.WithValues("reconcileID", "36a58f88-bfdb-454f-8a2b-5b1c7a041966")
				r.V(1).Info("Wrote reported state", "mode", "singleton", "wecs", 1)
			}
		})
	}
}
