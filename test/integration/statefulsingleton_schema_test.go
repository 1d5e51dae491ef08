package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("The StatefulSingleton schema", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	newSingleton := func(spec singletonv1.StatefulSingletonSpec) *singletonv1.StatefulSingleton {
		return &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "ss-"},
			Spec:       spec,
		}
	}
	dbSelector := metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}

	It("defaults every optional field", func(ctx SpecContext) {
		ss := newSingleton(singletonv1.StatefulSingletonSpec{Selector: dbSelector})
		Expect(k8s.Create(ctx, ss)).To(Succeed())

		Expect(ss.Spec.TerminationGracePeriod).To(Equal(int32(30)))
		Expect(ss.Spec.MaxTransitionTime).To(Equal(int32(300)))
		Expect(ss.Spec.RespectPodGracePeriod).To(Equal(ptr.To(true)))
		Expect(ss.Spec.TimeoutAction).To(Equal(singletonv1.TimeoutActionHold))
	})

	It("keeps an explicit respectPodGracePeriod: false", func(ctx SpecContext) {
		ss := newSingleton(singletonv1.StatefulSingletonSpec{Selector: dbSelector, RespectPodGracePeriod: ptr.To(false)})
		Expect(k8s.Create(ctx, ss)).To(Succeed())

		got := &singletonv1.StatefulSingleton{}
		Expect(k8s.Get(ctx, keyOf(ss), got)).To(Succeed())
		Expect(got.Spec.RespectPodGracePeriod).To(Equal(ptr.To(false)))
	})

	DescribeTable("rejects bad input with a clear message",
		func(ctx SpecContext, spec singletonv1.StatefulSingletonSpec, message string) {
			err := k8s.Create(ctx, newSingleton(spec))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("an empty selector", singletonv1.StatefulSingletonSpec{},
			"selector must not be empty"),
		Entry("maxTransitionTime below 1", singletonv1.StatefulSingletonSpec{Selector: dbSelector, MaxTransitionTime: -1},
			"spec.maxTransitionTime"),
		Entry("maxTransitionTime above an hour", singletonv1.StatefulSingletonSpec{Selector: dbSelector, MaxTransitionTime: 3601},
			"spec.maxTransitionTime"),
		Entry("a negative terminationGracePeriod", singletonv1.StatefulSingletonSpec{Selector: dbSelector, TerminationGracePeriod: -5},
			"spec.terminationGracePeriod"),
		Entry("an unknown timeoutAction", singletonv1.StatefulSingletonSpec{Selector: dbSelector, TimeoutAction: "Ignore"},
			`spec.timeoutAction: Unsupported value: "Ignore"`),
		Entry("a selector operator In with no values", singletonv1.StatefulSingletonSpec{Selector: metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}},
		}}, "operator In or NotIn need at least one value"),
		Entry("an unknown selector operator", singletonv1.StatefulSingletonSpec{Selector: metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Matches", Values: []string{"db"}}},
		}}, "operator must be In, NotIn, Exists or DoesNotExist"),
		Entry("a selector operator Exists with values", singletonv1.StatefulSingletonSpec{Selector: metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists, Values: []string{"db"}}},
		}}, "operator Exists or DoesNotExist take no values"),
	)

	It("refuses a terminationGracePeriod of 0: the pod's object could go before its containers stopped", func(ctx SpecContext) {
		ss := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": singletonv1.GroupVersion.String(), "kind": "StatefulSingleton",
			"metadata": map[string]any{"namespace": ns, "name": "grace-zero"},
			"spec": map[string]any{
				"selector":               map[string]any{"matchLabels": map[string]any{"app": "db"}},
				"terminationGracePeriod": int64(0),
			},
		}}
		Expect(k8s.Create(ctx, ss)).To(MatchError(ContainSubstring("spec.terminationGracePeriod")))
	})
})
