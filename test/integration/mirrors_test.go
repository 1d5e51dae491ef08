package integration

import (
	"context"
	"net"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig/registrytest"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// startMirrorWatcher runs a manager against cfg with a MirrorWatcher, as cmd/main.go sets it
// up, until the spec ends.
func startMirrorWatcher(ctx context.Context, cfg *rest.Config) *imageconfig.MirrorWatcher {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	w, err := imageconfig.WatchMirrors(ctx, mgr)
	Expect(err).NotTo(HaveOccurred())
	mctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- mgr.Start(mctx)
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(Not(HaveOccurred())), "the manager stops without error")
	})
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
	return w
}

// routeOf is the repositories a read of ref goes to under the watcher's current configuration.
func routeOf(w *imageconfig.MirrorWatcher, ref string) []string {
	r, err := name.ParseReference(ref)
	Expect(err).NotTo(HaveOccurred())
	repos := w.Config().Route(r).Repositories
	out := make([]string, 0, len(repos))
	for _, repo := range repos {
		out = append(out, repo.String())
	}
	return out
}

func mirrorSet(kind, objectName, field string, rules ...map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("config.openshift.io/v1")
	u.SetKind(kind)
	u.SetName(objectName)
	items := make([]any, 0, len(rules))
	for _, r := range rules {
		items = append(items, r)
	}
	Expect(unstructured.SetNestedSlice(u.Object, items, "spec", field)).To(Succeed())
	return u
}

var _ = Describe("The mirror watcher", func() {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	It("follows ImageDigestMirrorSets, ImageTagMirrorSets and ImageContentSourcePolicies "+
		"as they are created, updated and deleted", func(ctx SpecContext) {
		api, err := framework.StartAPIServer("mirrors", "test/integration/testdata/openshift-mirror-crds")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		w := startMirrorWatcher(ctx, api.Config)
		Expect(routeOf(w, "quay.io/team/app@"+digest)).To(Equal([]string{"quay.io/team/app"}))

		idms := mirrorSet("ImageDigestMirrorSet", "team", "imageDigestMirrors", map[string]any{
			"source": "quay.io/team", "mirrors": []any{"mirror.local/team"},
		})
		Expect(api.Client.Create(ctx, idms)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app@"+digest) }).WithContext(ctx).
			Should(Equal([]string{"mirror.local/team/app", "quay.io/team/app"}))
		Expect(routeOf(w, "quay.io/team/app:1")).To(Equal([]string{"quay.io/team/app"}),
			"a digest mirror does not serve tags")

		itms := mirrorSet("ImageTagMirrorSet", "team-tags", "imageTagMirrors", map[string]any{
			"source": "quay.io/team", "mirrors": []any{"tags.local/team"},
		})
		Expect(api.Client.Create(ctx, itms)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app:1") }).WithContext(ctx).
			Should(Equal([]string{"tags.local/team/app", "quay.io/team/app"}))

		Expect(unstructured.SetNestedSlice(idms.Object, []any{map[string]any{
			"source": "quay.io/team", "mirrors": []any{"other.local/team"}, "mirrorSourcePolicy": "NeverContactSource",
		}}, "spec", "imageDigestMirrors")).To(Succeed())
		Expect(api.Client.Update(ctx, idms)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app@"+digest) }).WithContext(ctx).
			Should(Equal([]string{"other.local/team/app"}))

		Expect(api.Client.Delete(ctx, idms)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app@"+digest) }).WithContext(ctx).
			Should(Equal([]string{"quay.io/team/app"}))
		Expect(routeOf(w, "quay.io/team/app:1")).To(Equal([]string{"tags.local/team/app", "quay.io/team/app"}))

		// The legacy ImageContentSourcePolicy: digest mirrors, which the nodes still use.
		icsp := mirrorSet("ImageContentSourcePolicy", "legacy", "repositoryDigestMirrors", map[string]any{
			"source": "quay.io/team", "mirrors": []any{"icsp.local/team"},
		})
		icsp.SetAPIVersion("operator.openshift.io/v1alpha1")
		Expect(api.Client.Create(ctx, icsp)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app@"+digest) }).WithContext(ctx).
			Should(Equal([]string{"icsp.local/team/app", "quay.io/team/app"}))
		Expect(routeOf(w, "quay.io/team/app:1")).To(Equal([]string{"tags.local/team/app", "quay.io/team/app"}))
		Expect(api.Client.Delete(ctx, icsp)).To(Succeed())
		Eventually(func() []string { return routeOf(w, "quay.io/team/app@"+digest) }).WithContext(ctx).
			Should(Equal([]string{"quay.io/team/app"}))
	}, NodeTimeout(2*time.Minute))

	It("lets a resolver read an image from a mirror of a source it cannot reach", func(ctx SpecContext) {
		api, err := framework.StartAPIServer("mirrors-resolve", "test/integration/testdata/openshift-mirror-crds")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		w := startMirrorWatcher(ctx, api.Config)
		reg := registrytest.Start(GinkgoT(), "", "")
		digest := reg.Push(GinkgoT(), "copy/app:1", registrytest.Image(GinkgoT(), []string{"/app"}, nil))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		source := l.Addr().String()
		Expect(l.Close()).To(Succeed())
		// The default failure TTL: a new mirror configuration is tried at once all the same.
		r := imageconfig.NewResolver(imageconfig.Options{Mirrors: w.Config})
		image := source + "/team/app@" + digest
		_, err = r.Resolve(ctx, image, nil, "ns")
		Expect(err).To(MatchError(ContainSubstring("connection refused")))

		Expect(api.Client.Create(ctx, mirrorSet("ImageDigestMirrorSet", "copy", "imageDigestMirrors", map[string]any{
			"source": source + "/team", "mirrors": []any{reg.Host + "/copy"},
		}))).To(Succeed())
		Eventually(func() (imageconfig.Resolved, error) { return r.Resolve(ctx, image, nil, "ns") }).WithContext(ctx).
			Should(HaveField("Image", image))
	}, NodeTimeout(2*time.Minute))

	It("has no mirrors, and does not hold the manager's readiness, where it may not list them", func(ctx SpecContext) {
		api, err := framework.StartAPIServer("mirrors-forbidden", "test/integration/testdata/openshift-mirror-crds")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		Expect(api.Client.Create(ctx, mirrorSet("ImageDigestMirrorSet", "team", "imageDigestMirrors", map[string]any{
			"source": "quay.io/team", "mirrors": []any{"mirror.local/team"},
		}))).To(Succeed())
		// A user with no role at all: discovery only (system:discovery, for every authenticated user).
		user, err := api.Env.AddUser(envtest.User{Name: "no-mirror-rbac"}, nil)
		Expect(err).NotTo(HaveOccurred())
		w := startMirrorWatcher(ctx, user.Config())
		Expect(w.Config()).To(BeNil())
	}, NodeTimeout(2*time.Minute))

	It("has no mirrors where the API server serves neither kind", func(ctx SpecContext) {
		w := startMirrorWatcher(ctx, cluster.Config)
		Expect(w.Config()).To(BeNil())
		Expect(routeOf(w, "quay.io/team/app@"+digest)).To(Equal([]string{"quay.io/team/app"}))
	})
})
