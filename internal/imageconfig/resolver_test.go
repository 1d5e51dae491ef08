package imageconfig_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig/registrytest"
)

func TestResolveReadsEntrypointAndCmd(t *testing.T) {
	reg := registrytest.Start(t, "", "")
	cases := []struct {
		name            string
		entrypoint, cmd []string
	}{
		{name: "entrypoint-only", entrypoint: []string{"/app", "--serve"}},
		{name: "cmd-only", cmd: []string{"/app", "--default"}},
		{name: "both", entrypoint: []string{"/app"}, cmd: []string{"--default"}},
		{name: "neither"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			digest := reg.Push(t, tc.name+":1", registrytest.Image(t, tc.entrypoint, tc.cmd))
			r := imageconfig.NewResolver(imageconfig.Options{})

			got, err := r.Resolve(t.Context(), reg.Host+"/"+tc.name+":1", nil, "ns")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Digest).To(Equal(digest))
			g.Expect(got.Image).To(Equal(reg.Host + "/" + tc.name + "@" + digest))
			g.Expect(got.Process.Entrypoint).To(Equal(tc.entrypoint))
			g.Expect(got.Process.Cmd).To(Equal(tc.cmd))

			byDigest, err := r.Resolve(t.Context(), reg.Host+"/"+tc.name+"@"+digest, nil, "ns")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(byDigest.Image).To(Equal(reg.Host + "/" + tc.name + "@" + digest))
			g.Expect(byDigest.Process).To(Equal(got.Process))
		})
	}
}

// A tag is asked again at every call (it may have moved); a digest's process is read once.
func TestResolveCachesByDigestAndFollowsTheTag(t *testing.T) {
	g := NewWithT(t)
	reg := registrytest.Start(t, "", "")
	first := reg.Push(t, "app:v", registrytest.Image(t, []string{"/v1"}, nil))
	r := imageconfig.NewResolver(imageconfig.Options{})
	ctx := t.Context()

	got, err := r.Resolve(ctx, reg.Host+"/app:v", nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Process.Entrypoint).To(Equal([]string{"/v1"}))

	before := reg.Requests()
	again, err := r.Resolve(ctx, reg.Host+"/app@"+first, nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Process.Entrypoint).To(Equal([]string{"/v1"}))
	g.Expect(reg.Requests()).To(Equal(before), "a digest already read costs no request")

	second := reg.Push(t, "app:v", registrytest.Image(t, []string{"/v2"}, nil))
	moved, err := r.Resolve(ctx, reg.Host+"/app:v", nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(moved.Digest).To(Equal(second))
	g.Expect(moved.Image).To(Equal(reg.Host + "/app@" + second))
	g.Expect(moved.Process.Entrypoint).To(Equal([]string{"/v2"}))
}

func TestResolveIndex(t *testing.T) {
	reg := registrytest.Start(t, "", "")
	app := []string{"/app"}

	t.Run("platforms that agree", func(t *testing.T) {
		g := NewWithT(t)
		digest := reg.PushIndex(t, "multi:1", map[string]v1.Image{
			"linux/amd64": registrytest.Image(t, app, []string{"--x"}),
			"linux/arm64": registrytest.Image(t, app, []string{"--x"}),
		})
		got, err := imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), reg.Host+"/multi:1", nil, "ns")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Digest).To(Equal(digest))
		g.Expect(got.Process).To(Equal(imageconfig.Process{Entrypoint: app, Cmd: []string{"--x"}}))
	})
	t.Run("platforms that disagree", func(t *testing.T) {
		g := NewWithT(t)
		reg.PushIndex(t, "split:1", map[string]v1.Image{
			"linux/amd64": registrytest.Image(t, app, []string{"--x"}),
			"linux/arm64": registrytest.Image(t, app, []string{"--y"}),
		})
		_, err := imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), reg.Host+"/split:1", nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("platforms disagree")))
	})
	t.Run("other systems' images do not count", func(t *testing.T) {
		g := NewWithT(t)
		reg.PushIndex(t, "win:1", map[string]v1.Image{
			"linux/amd64":   registrytest.Image(t, app, nil),
			"windows/amd64": registrytest.Image(t, []string{`C:\app.exe`}, nil),
		})
		got, err := imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), reg.Host+"/win:1", nil, "ns")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Process.Entrypoint).To(Equal(app))
	})
}

// A private image is read with the pod's pull secret, and not without it.
func TestResolvePrivateImageWithPullSecret(t *testing.T) {
	g := NewWithT(t)
	reg := registrytest.Start(t, "puller", "s3cret")
	reg.Push(t, "private:1", registrytest.Image(t, []string{"/private"}, nil))
	image := reg.Host + "/private:1"
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: reg.DockerConfigJSON()},
	}
	reader := fake.NewClientBuilder().WithObjects(secret).Build()
	ctx := t.Context()

	r := imageconfig.NewResolver(imageconfig.Options{})
	_, err := r.Resolve(ctx, image, nil, "anonymous")
	g.Expect(err).To(MatchError(ContainSubstring("401 Unauthorized")))

	kc, forbidden, err := imageconfig.PullKeychain(ctx, reader, "ns",
		[]corev1.LocalObjectReference{{Name: "missing"}, {Name: "pull"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(forbidden).To(BeEmpty())
	got, err := r.Resolve(ctx, image, kc, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Process.Entrypoint).To(Equal([]string{"/private"}))

	// The failure is remembered for its scope only.
	_, err = r.Resolve(ctx, image, kc, "anonymous")
	g.Expect(err).To(HaveOccurred())
}

func TestResolveFailsWithinItsBudget(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		g := NewWithT(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		g.Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		g.Expect(l.Close()).To(Succeed())
		_, err = imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), addr+"/app:1", nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("connection refused")))
	})
	t.Run("a registry that does not answer", func(t *testing.T) {
		g := NewWithT(t)
		hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			<-req.Context().Done()
		}))
		t.Cleanup(hang.Close)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		r := imageconfig.NewResolver(imageconfig.Options{})
		image := strings.TrimPrefix(hang.URL, "http://") + "/app:1"
		_, err := r.Resolve(ctx, image, nil, "ns")
		g.Expect(err).To(HaveOccurred())
		g.Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))

		// Remembered: the next pod does not wait again.
		start = time.Now()
		_, again := r.Resolve(t.Context(), image, nil, "ns")
		g.Expect(again).To(MatchError(err.Error()))
		g.Expect(time.Since(start)).To(BeNumerically("<", 100*time.Millisecond))
	})
	t.Run("not a reference", func(t *testing.T) {
		g := NewWithT(t)
		_, err := imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), "UPPER/case:x", nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("does not parse")))
	})
}
