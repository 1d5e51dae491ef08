package kubestellar

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

func TestComputeStatus(t *testing.T) {
	type conds struct{ connected, synced, ready metav1.ConditionStatus }
	for _, tc := range []struct {
		name      string
		state     connectionState
		configErr error
		want      conds
		reason    string
	}{
		{"before the first probe", connectionState{}, nil,
			conds{metav1.ConditionUnknown, metav1.ConditionUnknown, metav1.ConditionFalse}, ksv1alpha1.ReasonConnecting},
		{"kubeconfig unreadable", connectionState{}, errors.New("no key"),
			conds{metav1.ConditionFalse, metav1.ConditionUnknown, metav1.ConditionFalse}, ksv1alpha1.ReasonKubeconfigInvalid},
		{"connected, syncing", connectionState{linkHealth: linkHealth{Probed: true, WDSUp: true, ITSUp: true}}, nil,
			conds{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse}, ksv1alpha1.ReasonConnected},
		{"ready", connectionState{linkHealth: linkHealth{Probed: true, WDSUp: true, ITSUp: true, Synced: true}, Singleton: 2, MultiWEC: 1}, nil,
			conds{metav1.ConditionTrue, metav1.ConditionTrue, metav1.ConditionTrue}, ksv1alpha1.ReasonConnected},
		{"synced, but a resource asked for cannot be watched", connectionState{
			linkHealth:  linkHealth{Probed: true, WDSUp: true, ITSUp: true, Synced: true},
			Unwatchable: []string{"configmaps", "secrets"}, Why: "cannot watch configmaps: forbidden",
		}, nil, conds{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse}, ksv1alpha1.ReasonConnected},
		{"a kubeconfig refused", connectionState{}, &configError{ksv1alpha1.ReasonKubeconfigRefused, errors.New("exec")},
			conds{metav1.ConditionFalse, metav1.ConditionUnknown, metav1.ConditionFalse}, ksv1alpha1.ReasonKubeconfigRefused},
		{"ITS lost after the sync", connectionState{linkHealth: linkHealth{Probed: true, WDSUp: true, Synced: true}}, nil,
			conds{metav1.ConditionFalse, metav1.ConditionFalse, metav1.ConditionFalse}, ksv1alpha1.ReasonITSUnreachable},
		{"WDS unreachable", connectionState{linkHealth: linkHealth{Probed: true, ITSUp: true}}, nil,
			conds{metav1.ConditionFalse, metav1.ConditionFalse, metav1.ConditionFalse}, ksv1alpha1.ReasonWDSUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rs := &ksv1alpha1.ReportedState{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			st := computeStatus(rs, tc.state, tc.configErr)
			g.Expect(st.ObservedGeneration).To(Equal(int64(3)))
			for typ, want := range map[string]metav1.ConditionStatus{
				ksv1alpha1.ConditionConnected: tc.want.connected, ksv1alpha1.ConditionSynced: tc.want.synced,
				ksv1alpha1.ConditionReady: tc.want.ready,
			} {
				c := meta.FindStatusCondition(st.Conditions, typ)
				g.Expect(c).NotTo(BeNil(), typ)
				g.Expect(c.Status).To(Equal(want), typ)
				g.Expect(c.ObservedGeneration).To(Equal(int64(3)), typ)
			}
			g.Expect(meta.FindStatusCondition(st.Conditions, ksv1alpha1.ConditionConnected).Reason).To(Equal(tc.reason))
			if len(tc.state.Unwatchable) > 0 {
				synced := meta.FindStatusCondition(st.Conditions, ksv1alpha1.ConditionSynced)
				g.Expect(synced.Reason).To(Equal(ksv1alpha1.ReasonCannotWatch))
				g.Expect(synced.Message).To(ContainSubstring("configmaps, secrets"))
				g.Expect(synced.Message).To(ContainSubstring("forbidden"))
			}
			g.Expect(st.Objects.Total).To(Equal(int32(tc.state.Singleton + tc.state.MultiWEC)))
		})
	}
}

func TestComputeStatusListsFewInvalid(t *testing.T) {
	g := NewWithT(t)
	invalid := make([]string, 0, 30)
	for i := range 30 {
		invalid = append(invalid, string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	st := computeStatus(&ksv1alpha1.ReportedState{}, connectionState{Invalid: invalid}, nil)
	g.Expect(st.InvalidWorkStatuses).To(HaveLen(maxInvalidListed))
	g.Expect(st.InvalidWorkStatuses[0]).To(Equal("aa"), "sorted")
}
