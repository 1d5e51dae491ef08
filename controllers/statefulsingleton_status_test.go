package controllers

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/v1"
)

func TestDecideStatus(t *testing.T) {
	earlier := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(earlier.Add(time.Hour))
	pod := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-0", Labels: map[string]string{"app": "db"}}}

	tests := []struct {
		name          string
		pods          []corev1.Pod
		oldConditions []metav1.Condition
		wantPhase     singletonv1.Phase
		wantReady     metav1.ConditionStatus
		wantReason    string
		wantSince     metav1.Time
	}{
		{
			name:       "no pod selected",
			wantPhase:  singletonv1.PhasePending,
			wantReady:  metav1.ConditionFalse,
			wantReason: singletonv1.ReasonNoPods,
			wantSince:  now,
		},
		{
			name: "unchanged condition status keeps its transition time",
			oldConditions: []metav1.Condition{{
				Type: singletonv1.ConditionReady, Status: metav1.ConditionFalse, Reason: singletonv1.ReasonNoPods,
				LastTransitionTime: earlier,
			}},
			wantPhase:  singletonv1.PhasePending,
			wantReady:  metav1.ConditionFalse,
			wantReason: singletonv1.ReasonNoPods,
			wantSince:  earlier,
		},
		{
			name: "a selected pod moves Ready to Unknown and stamps the change",
			pods: []corev1.Pod{pod},
			oldConditions: []metav1.Condition{{
				Type: singletonv1.ConditionReady, Status: metav1.ConditionFalse, Reason: singletonv1.ReasonNoPods,
				LastTransitionTime: earlier,
			}},
			wantPhase:  singletonv1.PhasePending,
			wantReady:  metav1.ConditionUnknown,
			wantReason: singletonv1.ReasonReconciling,
			wantSince:  now,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ss := &singletonv1.StatefulSingleton{
				ObjectMeta: metav1.ObjectMeta{Name: "db", Generation: 3},
				Status:     singletonv1.StatefulSingletonStatus{Conditions: tt.oldConditions},
			}

			got := decideStatus(ss, tt.pods, now)

			g.Expect(got.ObservedGeneration).To(Equal(int64(3)))
			g.Expect(got.Phase).To(Equal(tt.wantPhase))
			ready := meta.FindStatusCondition(got.Conditions, singletonv1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(tt.wantReady))
			g.Expect(ready.Reason).To(Equal(tt.wantReason))
			g.Expect(ready.ObservedGeneration).To(Equal(int64(3)))
			g.Expect(ready.LastTransitionTime).To(Equal(tt.wantSince))
			g.Expect(ss.Status.Conditions).To(Equal(tt.oldConditions), "the input must not be modified")
		})
	}
}

func TestSelects(t *testing.T) {
	tests := []struct {
		name     string
		selector metav1.LabelSelector
		labels   map[string]string
		want     bool
	}{
		{"matching labels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, map[string]string{"app": "db", "x": "y"}, true},
		{"other labels", metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, map[string]string{"app": "web"}, false},
		{"empty selector matches nothing", metav1.LabelSelector{}, map[string]string{"app": "db"}, false},
		{"invalid selector matches nothing", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "app", Operator: "Bogus",
		}}}, map[string]string{"app": "db"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := &singletonv1.StatefulSingleton{Spec: singletonv1.StatefulSingletonSpec{Selector: tt.selector}}
			NewWithT(t).Expect(selects(ss, tt.labels)).To(Equal(tt.want))
		})
	}
}
