package v1

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig/registrytest"
)

const pinnedApp = "app@sha256:0000000000000000000000000000000000000000000000000000000000000001"

// A container without a command whose image's process is known is prepared exactly as the
// same container with that process as its command: wrapped (supervised with the fast
// hand-over), no sidecar, no pull container; only its image is pinned.
func TestInjectWrapsAContainerWithoutCommandFromItsImage(t *testing.T) {
	for _, supervision := range []*Supervision{nil, &testSupervision} {
		g := NewWithT(t)
		opts := testOpts
		opts.Supervision = supervision
		withCommand := newPod(container("app", []string{"/app"}, []string{"--mine"}))
		g.Expect(Inject(withCommand, opts)).To(Succeed())

		noCommand := newPod(container("app", nil, []string{"--mine"}))
		opts.Images = map[string]ImageEntrypoint{"app": {From: "app:1", Image: pinnedApp,
			Process: imageconfig.Process{Entrypoint: []string{"/app"}, Cmd: []string{"--default"}}}}
		g.Expect(Inject(noCommand, opts)).To(Succeed())

		g.Expect(noCommand.Spec.Containers[0].Image).To(Equal(pinnedApp))
		noCommand.Spec.Containers[0].Image = "app:1"
		g.Expect(noCommand.Spec).To(Equal(withCommand.Spec))
		g.Expect(noCommand.Annotations).To(HaveKeyWithValue(AnnotationImageEntrypoints, "app=app:1"))
		g.Expect(HoldsGate(noCommand)).To(BeTrue())
		_, supervised := SupervisedContainers(noCommand)
		g.Expect(supervised).To(Equal(supervision != nil))
	}
}

// What Inject makes of the image's process is the runtime's rule (imageconfig.Command); an
// entry that does not fit the container leaves it to the sidecar.
func TestInjectImageEntrypointCases(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		entry    ImageEntrypoint
		wantArgv []string // nil: held by the sidecar
	}{
		{name: "CMD only", entry: ImageEntrypoint{From: "app:1", Image: pinnedApp,
			Process: imageconfig.Process{Cmd: []string{"/app", "$(X)"}}}, wantArgv: []string{"/app", "$$(X)"}},
		{name: "CMD only, args replace it", args: []string{"/other", "$(X)"}, entry: ImageEntrypoint{From: "app:1",
			Image: pinnedApp, Process: imageconfig.Process{Cmd: []string{"/app"}}}, wantArgv: []string{"/other", "$(X)"}},
		{name: "another image than the container's", entry: ImageEntrypoint{From: "app:2", Image: pinnedApp,
			Process: imageconfig.Process{Entrypoint: []string{"/app"}}}},
		{name: "nothing to run", entry: ImageEntrypoint{From: "app:1", Image: pinnedApp}},
		{name: "an ENTRYPOINT of one empty string", entry: ImageEntrypoint{From: "app:1", Image: pinnedApp,
			Process: imageconfig.Process{Entrypoint: []string{""}, Cmd: []string{"/app"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			pod := newPod(container("app", nil, tc.args))
			opts := testOpts
			opts.Images = map[string]ImageEntrypoint{"app": tc.entry}
			g.Expect(Inject(pod, opts)).To(Succeed())
			c := pod.Spec.Containers[0]
			if tc.wantArgv == nil {
				g.Expect(c.Command).To(BeEmpty())
				g.Expect(c.Image).To(Equal("app:1"))
				g.Expect(initNames(pod)).To(ContainElement(SidecarContainer))
				g.Expect(pod.Annotations).NotTo(HaveKey(AnnotationImageEntrypoints))
				return
			}
			g.Expect(c.Command).To(Equal(GateArgv(tc.wantArgv)))
			g.Expect(c.Args).To(BeEmpty())
			g.Expect(c.Image).To(Equal(pinnedApp))
			g.Expect(initNames(pod)).To(Equal([]string{InstallContainer}))
		})
	}
}

// The webhook reads the images of containers without a command from their registry, with the
// pod's pull secrets, and falls back to the sidecar, saying why, where it cannot.
func TestDefaultReadsImagesOfContainersWithoutCommand(t *testing.T) {
	public := registrytest.Start(t, "", "")
	publicDigest := public.Push(t, "app:1", registrytest.Image(t, []string{"/app"}, []string{"--default"}))
	private := registrytest.Start(t, "puller", "s3cret")
	privateDigest := private.Push(t, "db:1", registrytest.Image(t, nil, []string{"/db", "--serve"}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := l.Addr().String()
	_ = l.Close()

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: private.DockerConfigJSON()},
	}
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})

	cases := []struct {
		name        string
		image       string
		pullSecret  bool
		wantArgv    []string // nil: held by the sidecar
		wantPinned  string
		wantInEvent string
	}{
		{name: "public", image: public.Host + "/app:1", wantArgv: []string{"/app", "--default"},
			wantPinned: public.Host + "/app@" + publicDigest},
		{name: "private, with its pull secret", image: private.Host + "/db:1", pullSecret: true,
			wantArgv: []string{"/db", "--serve"}, wantPinned: private.Host + "/db@" + privateDigest},
		{name: "private, without a pull secret", image: private.Host + "/db:1", wantInEvent: "401 Unauthorized"},
		{name: "unreachable", image: unreachable + "/app:1", wantInEvent: "connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			recorder := events.NewFakeRecorder(10)
			d := &Defaulter{Reader: stubReader{items: []singletonv1.StatefulSingleton{db}}, GateImage: testGateImage,
				Images: &ImageResolution{
					Resolver: imageconfig.NewResolver(imageconfig.Options{}),
					Secrets:  fake.NewClientBuilder().WithObjects(secret).Build(),
					Budget:   time.Second, Recorder: recorder,
				}}
			pod := newPod(corev1.Container{Name: "app", Image: tc.image})
			if tc.pullSecret {
				pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
			}
			g.Expect(d.Default(context.Background(), pod)).To(Succeed())
			c := pod.Spec.Containers[0]
			if tc.wantArgv != nil {
				g.Expect(c.Command).To(Equal(GateArgv(tc.wantArgv)))
				g.Expect(c.Image).To(Equal(tc.wantPinned))
				g.Expect(pod.Annotations).To(HaveKeyWithValue(AnnotationImageEntrypoints, "app="+tc.image))
				g.Expect(recorder.Events).To(BeEmpty())
				return
			}
			g.Expect(c.Command).To(BeEmpty())
			g.Expect(c.Image).To(Equal(tc.image))
			g.Expect(initNames(pod)).To(ContainElement(SidecarContainer))
			g.Expect(recorder.Events).To(Receive(And(
				ContainSubstring("Warning "+ReasonImageNotResolved),
				ContainSubstring(`container "app" (image `+tc.image+`)`),
				ContainSubstring(tc.wantInEvent))))
		})
	}
}

// With the fast hand-over, a pod whose container without a command could not be read says
// why in its annotation.
func TestDefaultSaysWhyAnImageWasNotRead(t *testing.T) {
	g := NewWithT(t)
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
	d := &Defaulter{Reader: stubReader{items: []singletonv1.StatefulSingleton{db}}, GateImage: testGateImage,
		Supervision: func(context.Context) (Supervision, error) { return testSupervision, nil },
		Images: &ImageResolution{Resolver: imageconfig.NewResolver(imageconfig.Options{}),
			Secrets: fake.NewClientBuilder().Build()}}
	pod := newPod(corev1.Container{Name: "app", Image: "app:1", ImagePullPolicy: corev1.PullNever})
	g.Expect(d.Default(context.Background(), pod)).To(Succeed())
	g.Expect(pod.Annotations[singletonv1.AnnotationFastHandOver]).To(And(
		HavePrefix("Off: a container without a command is held by the sidecar"),
		ContainSubstring("imagePullPolicy is Never")))
}

// A failure is remembered for the credentials it was met with only: a pod that names the pull
// secret is read at once after one that named none was refused.
func TestDefaultRemembersFailuresPerCredentials(t *testing.T) {
	g := NewWithT(t)
	private := registrytest.Start(t, "puller", "s3cret")
	private.Push(t, "db:1", registrytest.Image(t, []string{"/db"}, nil))
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: private.DockerConfigJSON()},
	}
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
	d := &Defaulter{Reader: stubReader{items: []singletonv1.StatefulSingleton{db}}, GateImage: testGateImage,
		Images: &ImageResolution{Resolver: imageconfig.NewResolver(imageconfig.Options{}),
			Secrets: fake.NewClientBuilder().WithObjects(secret).Build()}}

	without := newPod(corev1.Container{Name: "app", Image: private.Host + "/db:1"})
	g.Expect(d.Default(context.Background(), without)).To(Succeed())
	g.Expect(without.Spec.Containers[0].Command).To(BeEmpty())

	with := newPod(corev1.Container{Name: "app", Image: private.Host + "/db:1"})
	with.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
	g.Expect(d.Default(context.Background(), with)).To(Succeed())
	g.Expect(with.Spec.Containers[0].Command).To(Equal(GateArgv([]string{"/db"})))
}

// forbiddenSecrets answers every Get as the API server does when the operator's ServiceAccount
// has no pull-secret-reader binding in the namespace.
type forbiddenSecrets struct{ client.Reader }

func (forbiddenSecrets) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	return apierrors.NewForbidden(corev1.Resource("secrets"), key.Name, errors.New("RBAC: no binding"))
}

// Without the right to read a pull secret, the image is read anonymously: a public image is
// wrapped, a private one keeps the sidecar, and the event says which binding is missing.
func TestDefaultReadsAnonymouslyWhereSecretsAreForbidden(t *testing.T) {
	public := registrytest.Start(t, "", "")
	public.Push(t, "app:1", registrytest.Image(t, []string{"/app"}, nil))
	private := registrytest.Start(t, "puller", "s3cret")
	private.Push(t, "db:1", registrytest.Image(t, []string{"/db"}, nil))
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
	recorder := events.NewFakeRecorder(10)
	d := &Defaulter{Reader: stubReader{items: []singletonv1.StatefulSingleton{db}}, GateImage: testGateImage,
		Images: &ImageResolution{Resolver: imageconfig.NewResolver(imageconfig.Options{}),
			Secrets: forbiddenSecrets{}, Recorder: recorder}}
	g := NewWithT(t)

	pod := newPod(corev1.Container{Name: "app", Image: public.Host + "/app:1"})
	pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
	g.Expect(d.Default(context.Background(), pod)).To(Succeed())
	g.Expect(pod.Spec.Containers[0].Command).To(Equal(GateArgv([]string{"/app"})))

	pod = newPod(corev1.Container{Name: "app", Image: private.Host + "/db:1"})
	pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
	g.Expect(d.Default(context.Background(), pod)).To(Succeed())
	g.Expect(pod.Spec.Containers[0].Command).To(BeEmpty())
	g.Expect(recorder.Events).To(Receive(And(ContainSubstring("401 Unauthorized"),
		ContainSubstring("pull secrets pull, which the operator may not read"), ContainSubstring(PullSecretReaderRole))))
}
