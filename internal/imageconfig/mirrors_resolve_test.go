package imageconfig_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig/registrytest"
)

// closedAddr is a loopback address where nothing listens: a source the operator cannot reach.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func withMirrors(cfg *imageconfig.MirrorConfig) imageconfig.Options {
	return imageconfig.Options{Mirrors: func() *imageconfig.MirrorConfig { return cfg }}
}

// A disconnected cluster: the source cannot be reached, its mirrors hold the image. The image is
// read from them and pinned to the source repository, which the nodes map to the same mirrors.
func TestResolveThroughMirrorsOfAnUnreachableSource(t *testing.T) {
	source := closedAddr(t)
	mirror := registrytest.Start(t, "", "")
	digest := mirror.Push(t, "copy/app:1", registrytest.Image(t, []string{"/app"}, nil))
	rule := []imageconfig.MirrorRule{{Source: source + "/team", Mirrors: []string{mirror.Host + "/copy"}}}

	t.Run("by digest, with an ImageDigestMirrorSet", func(t *testing.T) {
		g := NewWithT(t)
		r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(rule, nil)))
		got, err := r.Resolve(t.Context(), source+"/team/app@"+digest, nil, "ns")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Image).To(Equal(source + "/team/app@" + digest))
		g.Expect(got.Process.Entrypoint).To(Equal([]string{"/app"}))
	})
	t.Run("by tag, with an ImageDigestMirrorSet only: the tag is the source's to say", func(t *testing.T) {
		g := NewWithT(t)
		r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(rule, nil)))
		_, err := r.Resolve(t.Context(), source+"/team/app:1", nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("connection refused")))
	})
	t.Run("by tag, with both: pinned to the source repository", func(t *testing.T) {
		g := NewWithT(t)
		r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(rule, rule)))
		got, err := r.Resolve(t.Context(), source+"/team/app:1", nil, "ns")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Digest).To(Equal(digest))
		g.Expect(got.Image).To(Equal(source + "/team/app@" + digest))
	})
	t.Run("a tag found on a tag mirror whose digest the nodes could not pull is not pinned", func(t *testing.T) {
		g := NewWithT(t)
		digestOnlyMissing := []imageconfig.MirrorRule{{Source: source + "/team", Mirrors: []string{mirror.Host + "/elsewhere"}}}
		r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(digestOnlyMissing, rule)))
		_, err := r.Resolve(t.Context(), source+"/team/app:1", nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("reading the image's configuration")))
		g.Expect(err).To(MatchError(ContainSubstring(mirror.Host + "/elsewhere/app")))
	})
}

// NeverContactSource: when the mirrors fail, the read fails, and the source is never asked.
func TestResolveNeverContactsTheSource(t *testing.T) {
	g := NewWithT(t)
	source := registrytest.Start(t, "", "")
	digest := source.Push(t, "team/app:1", registrytest.Image(t, []string{"/app"}, nil))
	empty := registrytest.Start(t, "", "")
	rule := []imageconfig.MirrorRule{{
		Source: source.Host + "/team", Mirrors: []string{empty.Host + "/team"}, NeverContactSource: true,
	}}
	r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(rule, rule)))
	pushed := source.Requests()

	for _, image := range []string{source.Host + "/team/app:1", source.Host + "/team/app@" + digest} {
		_, err := r.Resolve(t.Context(), image, nil, "ns")
		g.Expect(err).To(MatchError(ContainSubstring("the source is never contacted")), image)
		g.Expect(err).To(MatchError(ContainSubstring(empty.Host+"/team/app: ")), image)
		g.Expect(err).To(MatchError(ContainSubstring("404 Not Found")), image)
		g.Expect(err).NotTo(MatchError(ContainSubstring("http://")), "the line names the repository, not the URL")
	}
	g.Expect(empty.Requests()).To(BeNumerically(">", 0))
	g.Expect(source.Requests()).To(Equal(pushed), "the source registry saw no request")

	// A tag mirror only, and the source blocked: a read by digest has nowhere to go.
	r = imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(nil, rule)))
	_, err := r.Resolve(t.Context(), source.Host+"/team/app@"+digest, nil, "ns")
	g.Expect(err).To(MatchError(ContainSubstring("has no digest mirror and never contacts the source")))
	g.Expect(source.Requests()).To(Equal(pushed))
}

// A read by tag goes to the ImageTagMirrorSet's mirrors (whose tag decides), a read by digest to
// the ImageDigestMirrorSet's.
func TestResolveTagAndDigestMirrorsApart(t *testing.T) {
	g := NewWithT(t)
	source := registrytest.Start(t, "", "")
	source.Push(t, "team/app:1", registrytest.Image(t, []string{"/source"}, nil))
	pushed := source.Requests()
	tags := registrytest.Start(t, "", "")
	img := registrytest.Image(t, []string{"/tag-mirror"}, nil)
	digest := tags.Push(t, "team/app:1", img)
	digests := registrytest.Start(t, "", "")
	digests.Push(t, "team/app:other", img)
	pushedDigests := digests.Requests()
	cfg := imageconfig.NewMirrorConfig(
		[]imageconfig.MirrorRule{{Source: source.Host, Mirrors: []string{digests.Host}}},
		[]imageconfig.MirrorRule{{Source: source.Host, Mirrors: []string{tags.Host}}})

	got, err := imageconfig.NewResolver(withMirrors(cfg)).Resolve(t.Context(), source.Host+"/team/app:1", nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Image).To(Equal(source.Host + "/team/app@" + digest))
	g.Expect(got.Process.Entrypoint).To(Equal([]string{"/tag-mirror"}))
	g.Expect(source.Requests()).To(Equal(pushed))
	g.Expect(digests.Requests()).To(BeNumerically(">", pushedDigests), "the configuration was read by digest from the digest mirror")

	tagRequests := tags.Requests()
	got, err = imageconfig.NewResolver(withMirrors(cfg)).Resolve(t.Context(), source.Host+"/team/app@"+digest, nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Process.Entrypoint).To(Equal([]string{"/tag-mirror"}))
	g.Expect(tags.Requests()).To(Equal(tagRequests), "a read by digest does not ask the tag mirror")
	g.Expect(source.Requests()).To(Equal(pushed))
}

// The most specific source decides, and sources match on path components.
func TestResolveMostSpecificSource(t *testing.T) {
	g := NewWithT(t)
	source := closedAddr(t)
	broad := registrytest.Start(t, "", "")
	specific := registrytest.Start(t, "", "")
	digest := specific.Push(t, "team/app:1", registrytest.Image(t, []string{"/app"}, nil))
	cfg := imageconfig.NewMirrorConfig([]imageconfig.MirrorRule{
		{Source: source, Mirrors: []string{broad.Host}},
		{Source: source + "/team", Mirrors: []string{specific.Host + "/team"}},
	}, nil)
	r := imageconfig.NewResolver(withMirrors(cfg))

	_, err := r.Resolve(t.Context(), source+"/team/app@"+digest, nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(broad.Requests()).To(BeZero(), "the registry-wide rule is not used")

	// A new Resolver: the digest's process is cached in the first.
	_, err = imageconfig.NewResolver(withMirrors(cfg)).Resolve(t.Context(), source+"/teammate/app@"+digest, nil, "ns")
	g.Expect(err).To(MatchError(ContainSubstring(broad.Host+"/teammate/app")),
		"team is not a prefix of teammate: the registry-wide rule applies")
	g.Expect(err).To(MatchError(ContainSubstring("connection refused")))
}

// A mirror is read with the pod's pull secret for the mirror's host.
func TestResolvePrivateMirrorWithPullSecret(t *testing.T) {
	g := NewWithT(t)
	source := closedAddr(t)
	mirror := registrytest.Start(t, "puller", "s3cret")
	mirror.Push(t, "team/app:1", registrytest.Image(t, []string{"/private"}, nil))
	rule := []imageconfig.MirrorRule{{Source: source, Mirrors: []string{mirror.Host}}}
	r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(rule, rule)))
	image := source + "/team/app:1"

	_, err := r.Resolve(t.Context(), image, nil, "anonymous")
	g.Expect(err).To(MatchError(ContainSubstring("401 Unauthorized")))

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: mirror.DockerConfigJSON()},
	}
	kc, _, err := imageconfig.PullKeychain(t.Context(), fake.NewClientBuilder().WithObjects(secret).Build(), "ns",
		[]corev1.LocalObjectReference{{Name: "pull"}})
	g.Expect(err).NotTo(HaveOccurred())
	got, err := r.Resolve(t.Context(), image, kc, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Process.Entrypoint).To(Equal([]string{"/private"}))
}

// A failure is remembered until the failure TTL ends or the mirror configuration changes.
func TestResolveFailureForgottenWithANewMirrorConfiguration(t *testing.T) {
	g := NewWithT(t)
	source := closedAddr(t)
	mirror := registrytest.Start(t, "", "")
	digest := mirror.Push(t, "team/app:1", registrytest.Image(t, []string{"/app"}, nil))
	var current atomic.Pointer[imageconfig.MirrorConfig]
	r := imageconfig.NewResolver(imageconfig.Options{Mirrors: current.Load, FailureTTL: time.Hour})
	image := source + "/team/app@" + digest

	_, err := r.Resolve(t.Context(), image, nil, "ns")
	g.Expect(err).To(MatchError(ContainSubstring("connection refused")))
	current.Store(imageconfig.NewMirrorConfig(nil, nil))
	_, again := r.Resolve(t.Context(), image, nil, "ns")
	g.Expect(again).To(MatchError(err.Error()), "still no mirror: a new read fails the same way")

	before := mirror.Requests()
	current.Store(imageconfig.NewMirrorConfig([]imageconfig.MirrorRule{{Source: source, Mirrors: []string{mirror.Host}}}, nil))
	got, err := r.Resolve(t.Context(), image, nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Image).To(Equal(image))
	g.Expect(mirror.Requests()).To(BeNumerically(">", before))
}

// A tag the nodes may pull from a tag mirror is pinned only to a digest a digest mirror serves:
// pinned, the nodes pull by digest, and an ImageTagMirrorSet alone would send them to the source,
// which they may not reach although the operator does.
func TestResolveTagMirrorNeedsADigestMirror(t *testing.T) {
	g := NewWithT(t)
	source := registrytest.Start(t, "", "")
	img := registrytest.Image(t, []string{"/app"}, nil)
	digest := source.Push(t, "team/app:1", img)
	tags := registrytest.Start(t, "", "")
	tags.Push(t, "team/app:1", img)
	empty := registrytest.Start(t, "", "")
	tagRule := []imageconfig.MirrorRule{{Source: source.Host, Mirrors: []string{tags.Host}}}
	pushed := source.Requests()

	r := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(nil, tagRule)))
	_, err := r.Resolve(t.Context(), source.Host+"/team/app:1", nil, "ns")
	g.Expect(err).To(MatchError(ContainSubstring("pinned, the nodes would pull it from the source")))

	r = imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(
		[]imageconfig.MirrorRule{{Source: source.Host, Mirrors: []string{empty.Host}}}, tagRule)))
	_, err = r.Resolve(t.Context(), source.Host+"/team/app:1", nil, "ns")
	g.Expect(err).To(MatchError(ContainSubstring("reading the image's configuration from " + empty.Host + "/team/app")))
	g.Expect(source.Requests()).To(Equal(pushed), "the source, which has the digest, is not asked for it")

	// Without a tag mirror, a tag read from the source is pinned as always.
	got, err := imageconfig.NewResolver(withMirrors(imageconfig.NewMirrorConfig(nil, nil))).
		Resolve(t.Context(), source.Host+"/team/app:1", nil, "ns")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Image).To(Equal(source.Host + "/team/app@" + digest))
}

// Without mirrors, a failure reads as it always did: the registry and the client's error.
func TestResolveFailureWithoutMirrors(t *testing.T) {
	g := NewWithT(t)
	reg := registrytest.Start(t, "", "")
	_, err := imageconfig.NewResolver(imageconfig.Options{}).Resolve(t.Context(), reg.Host+"/missing:1", nil, "ns")
	g.Expect(err).To(MatchError(HavePrefix("resolving the tag on " + reg.Host + ": HEAD http://" + reg.Host + "/v2/")))
	g.Expect(strings.Count(err.Error(), "404")).To(Equal(1), err.Error())
}
