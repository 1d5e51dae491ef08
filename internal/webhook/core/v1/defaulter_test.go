package v1

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// stubReader lists the StatefulSingletons it holds, whatever the namespace, or fails with err.
type stubReader struct {
	items []singletonv1.StatefulSingleton
	err   error
}

func (r stubReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("stubReader: Get is not used")
}

func (r stubReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	if r.err != nil {
		return r.err
	}
	list.(*singletonv1.StatefulSingletonList).Items = slices.Clone(r.items)
	return nil
}

func TestDefaultOnEachPath(t *testing.T) {
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
	selected := stubReader{items: []singletonv1.StatefulSingleton{db}}
	none := stubReader{}
	broken := stubReader{err: errors.New("cache not synced")}

	tests := []struct {
		name      string
		guard     bool
		cache     stubReader
		api       stubReader
		ungated   bool
		want      string // "prepared", "unchanged", or "refused"
		wantCode  int32
		wantInMsg string
		// wantResult is the result label the admission is counted under.
		wantResult string
	}{
		{name: "main: selected in the cache", cache: selected, want: "prepared", wantResult: resultPrepared},
		{name: "main: selected by nobody", cache: none, want: "unchanged", wantResult: resultUnselected},
		{name: "main: the cache fails: let through unprepared", cache: broken, api: selected, want: "unchanged",
			wantResult: resultError},
		{name: "main: selected but nothing to gate: refused", cache: selected, ungated: true,
			want: "refused", wantCode: http.StatusForbidden, wantInMsg: "cannot prepare it", wantResult: resultDenied},
		{name: "guard: selected in the cache", guard: true, cache: selected, api: broken, want: "prepared",
			wantResult: resultPrepared},
		{name: "guard: the cache lags: the API server selects it", guard: true, cache: none, api: selected,
			want: "prepared", wantResult: resultPrepared},
		{name: "guard: the cache fails: the API server selects it", guard: true, cache: broken, api: selected,
			want: "prepared", wantResult: resultPrepared},
		{name: "guard: a stale entry: nobody selects it", guard: true, cache: none, api: none, want: "unchanged",
			wantResult: resultUnselected},
		{name: "guard: neither can tell: refused", guard: true, cache: broken, api: broken,
			want: "refused", wantCode: http.StatusServiceUnavailable, wantInMsg: "cannot tell whether",
			wantResult: resultError},
		{name: "guard: selected but nothing to gate: refused", guard: true, cache: selected, ungated: true,
			want: "refused", wantCode: http.StatusForbidden, wantInMsg: "every container is listed as ungated",
			wantResult: resultDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := &Defaulter{Reader: tt.cache, APIReader: tt.api, GateImage: testGateImage, Guard: tt.guard}
			pod := newPod(container("app", []string{"/app"}, nil))
			if tt.ungated {
				pod.Annotations = map[string]string{AnnotationUngatedContainers: "app"}
			}
			sent := pod.DeepCopy()
			webhook := webhookMain
			if tt.guard {
				webhook = webhookGuard
			}
			counted := testutil.ToFloat64(admissionsTotal.WithLabelValues(webhook, tt.wantResult))
			timed := histogramCount(t, webhook)

			err := d.Default(context.Background(), pod)

			g.Expect(testutil.ToFloat64(admissionsTotal.WithLabelValues(webhook, tt.wantResult))).To(Equal(counted+1),
				"counted as %s on the %s webhook", tt.wantResult, webhook)
			g.Expect(histogramCount(t, webhook)).To(Equal(timed+1), "its duration observed")

			switch tt.want {
			case "prepared":
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelInstance, "db"))
				g.Expect(IsPrepared(pod)).To(BeTrue())
			case "unchanged":
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(pod).To(Equal(sent))
			case "refused":
				g.Expect(err).To(HaveOccurred())
				g.Expect(err.Error()).To(ContainSubstring(tt.wantInMsg))
				g.Expect(pod).To(Equal(sent), "a refused pod is not changed")
				if tt.wantCode == http.StatusServiceUnavailable {
					g.Expect(apierrors.IsServiceUnavailable(err)).To(BeTrue())
				} else {
					var status apierrors.APIStatus
					g.Expect(errors.As(err, &status)).To(BeFalse(), "controller-runtime denies plain errors with 403")
				}
			}
		})
	}
}

// histogramCount reads how many admissions of a webhook were timed.
func histogramCount(t *testing.T, webhook string) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := admissionDuration.WithLabelValues(webhook).(prometheus.Metric).Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func TestDefaultLeavesAPreparedPodAlone(t *testing.T) {
	g := NewWithT(t)
	d := &Defaulter{Reader: stubReader{err: errors.New("not asked")}, Guard: true}
	pod := newPod(container("app", []string{"/app"}, nil))
	g.Expect(Inject(pod, testOpts)).To(Succeed())
	sent := pod.DeepCopy()
	counted := testutil.ToFloat64(admissionsTotal.WithLabelValues(webhookGuard, resultAlreadyPrepared))
	g.Expect(d.Default(context.Background(), pod)).To(Succeed())
	g.Expect(pod).To(Equal(sent))
	g.Expect(testutil.ToFloat64(admissionsTotal.WithLabelValues(webhookGuard, resultAlreadyPrepared))).To(Equal(counted + 1))
}

// A label copied onto a pod prepares nothing: the pod is not taken for prepared, and the
// webhook prepares it (here it cannot tell which StatefulSingleton selects it, and refuses it).
func TestDefaultDoesNotTrustACopiedLabel(t *testing.T) {
	g := NewWithT(t)
	d := &Defaulter{Reader: stubReader{err: errors.New("cache down")}, Guard: true}
	pod := newPod(container("app", []string{"/app"}, nil))
	pod.Labels[singletonv1.LabelManaged] = "true"
	g.Expect(IsPrepared(pod)).To(BeFalse())
	g.Expect(d.Default(context.Background(), pod)).NotTo(Succeed())
}

// TestOperatorPodsExclusionIsTheMainConfigurations checks that the exclusion the guard entries
// use is the one the marker writes into the main configuration (make manifests).
func TestOperatorPodsExclusionIsTheMainConfigurations(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "config", "webhook", "manifests.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	g.Expect(yaml.Unmarshal(raw, cfg)).To(Succeed())
	g.Expect(cfg.Webhooks).To(HaveLen(1))
	hook := cfg.Webhooks[0]
	g.Expect(hook.Name).To(Equal(WebhookName))
	g.Expect(*hook.ClientConfig.Service.Path).To(Equal(MainPath))
	g.Expect(hook.ObjectSelector).To(Equal(&metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{OperatorPodsExclusion()},
	}))

	sel, err := metav1.LabelSelectorAsSelector(hook.ObjectSelector)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sel.Matches(labels.Set{"app.kubernetes.io/name": "singleton-operator"})).To(BeFalse())
	g.Expect(sel.Matches(labels.Set{"app": "db"})).To(BeTrue())
}
