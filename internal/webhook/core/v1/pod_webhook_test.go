package v1

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

func singleton(name string, created time.Time, selector metav1.LabelSelector) singletonv1.StatefulSingleton {
	return singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec:       singletonv1.StatefulSingletonSpec{Selector: selector},
	}
}

func TestSelecting(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	app := metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	other := metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	invalid := metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bad"}}}
	deleting := singleton("deleting", t0.Add(-time.Hour), app)
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	deletingLater := singleton("deleting-later", t0, app)
	deletingLater.DeletionTimestamp = &metav1.Time{Time: t0}

	tests := []struct {
		name  string
		items []singletonv1.StatefulSingleton
		want  string
	}{
		{"none", nil, ""},
		{"not selected", []singletonv1.StatefulSingleton{singleton("web", t0, other)}, ""},
		{"empty selector selects nothing", []singletonv1.StatefulSingleton{singleton("all", t0, metav1.LabelSelector{})}, ""},
		{"invalid selector selects nothing", []singletonv1.StatefulSingleton{singleton("bad", t0, invalid)}, ""},
		{"one", []singletonv1.StatefulSingleton{singleton("web", t0, other), singleton("db", t0, app)}, "db"},
		{"the oldest of several", []singletonv1.StatefulSingleton{
			singleton("b", t0, app), singleton("a", t0.Add(time.Second), app)}, "b"},
		{"the name breaks ties", []singletonv1.StatefulSingleton{
			singleton("b", t0, app), singleton("a", t0, app)}, "a"},
		{"a live one wins over an older one being deleted", []singletonv1.StatefulSingleton{
			deleting, singleton("db", t0, app)}, "db"},
		{"one being deleted selects when no live one does", []singletonv1.StatefulSingleton{
			singleton("web", t0, other), deleting}, "deleting"},
		{"the oldest of several being deleted", []singletonv1.StatefulSingleton{deletingLater, deleting}, "deleting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := Selecting(tt.items, map[string]string{"app": "db", "tier": "data"})
			if tt.want == "" {
				g.Expect(got).To(BeNil())
				return
			}
			g.Expect(got).NotTo(BeNil())
			g.Expect(got.Name).To(Equal(tt.want))
		})
	}
}
