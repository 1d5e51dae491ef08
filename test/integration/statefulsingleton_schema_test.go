package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	)
})
