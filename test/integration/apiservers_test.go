package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

var _ = Describe("The test harness", func() {
	It("runs a second, independent API server beside the first", func(ctx SpecContext) {
		other, err := framework.StartAPIServer("second")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(other.Stop)
		Expect(other.Config.Host).NotTo(Equal(cluster.Config.Host))

		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "only-in-second-"}}
		Expect(other.Client.Create(ctx, ns)).To(Succeed())

		err = k8s.Get(ctx, keyOf(ns), &corev1.Namespace{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the namespace exists only in the second API server, got %v", err)
	})
})
