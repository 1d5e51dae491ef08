package v1

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
)

// What Inject adds to a pod; docs/gate.md, "What the webhook injects", is the reference.
const (
	// AnnotationUngatedContainers lists, comma-separated, the containers of a pod that are not
	// its application (sidecars added by other tools), which Inject leaves alone.
	AnnotationUngatedContainers = "apps.statefulsingleton.com/ungated-containers"
	// AnnotationImageEntrypoints lists, comma-separated as <container>=<image>, the containers
	// without a command that Inject wrapped with the ENTRYPOINT and CMD read from their image,
	// and the image each named before Inject pinned it to the digest read.
	AnnotationImageEntrypoints = "apps.statefulsingleton.com/image-entrypoints"

	BinVolume     = "singleton-bin"
	PodinfoVolume = "singleton-podinfo"
	// TokenVolume projects the pod-bound token a supervised gate presents to the operator
	// (audience gatewire.Audience) at gatewire.TokenDir; StateVolume is the gate's writable
	// state at gatewire.StateDir, kept across container restarts.
	TokenVolume = "singleton-token"
	StateVolume = "singleton-state"
	// tokenExpirationSeconds is the projected token's lifetime; the kubelet renews it at 80%.
	tokenExpirationSeconds = 3600
	BinDir                 = "/singleton/bin"
	PodinfoDir             = "/singleton/podinfo"
	// GatePath is the gate inside the operator's image; BinGatePath is its copy in the pod.
	GatePath    = "/gate"
	BinGatePath = BinDir + "/gate"

	InstallContainer = "singleton-install"
	SidecarContainer = "singleton-gate"
	pullPrefix       = "singleton-pull-"
	// maxContainerName is the longest container name the API accepts (a DNS label).
	maxContainerName = 63

	// antiAffinityWeight is the weight of the preferred anti-affinity between the pods of one
	// StatefulSingleton: the new pod lands beside the old one only when nothing else fits.
	antiAffinityWeight = 100
	hostnameTopology   = "kubernetes.io/hostname"
	// sidecarMaxWait bounds one blocking startupProbe run; the probe is rerun after it.
	sidecarMaxWait = "--max-wait=50m"
)

// wellKnownProxies are the containers that service meshes inject; they are never gated.
var wellKnownProxies = []string{"istio-proxy", "linkerd-proxy"}

// ErrNothingToGate is returned when every container of the pod is excluded from the gate, so
// that preparing the pod would only make it look guarded.
var ErrNothingToGate = errors.New("no application container to gate: every container is listed as ungated")

// InjectOptions says what Inject needs beyond the pod.
type InjectOptions struct {
	// Singleton is the name of the StatefulSingleton that selects the pod.
	Singleton string
	// GateImage is the operator's image, which holds the gate at /gate.
	GateImage string
	// Supervision, when set, makes the gate of every application container with a command
	// supervise it and report to the operator (the fast hand-over, docs/design.md S6).
	Supervision *Supervision
	// Images holds, by container name, the ENTRYPOINT and CMD read from the images of
	// application containers without a command (the edge reads them, Inject stays pure): such
	// a container is wrapped as one with a command, its image pinned to the digest read,
	// instead of being held by the sidecar. A container without an entry, or whose image is no
	// longer the entry's From, is held by the sidecar.
	Images map[string]ImageEntrypoint
}

// ImageEntrypoint is what the webhook read from a container's image.
type ImageEntrypoint struct {
	// From is the container's image as the pod names it.
	From string
	// Image is the reference the container runs instead: From at the digest read (From itself
	// when it names a digest), so that the kubelet runs the image whose process this is.
	Image string
	// Process is the image's ENTRYPOINT and CMD.
	Process imageconfig.Process
}

// Supervision is where a supervising gate finds the operator's channel.
type Supervision struct {
	// Operator is https://<ClusterIP>:<port> of the channel.
	Operator string
	// ServerName is the name the channel's certificate is checked against.
	ServerName string
	// CASHA256 is the hex SHA-256 of the DER of the CA the gate trusts.
	CASHA256 string
}

// Inject prepares a pod that a StatefulSingleton selects: labels, readiness gate, preferred
// anti-affinity to that StatefulSingleton's other pods, and the gate of docs/gate.md on every
// application container. A pod already prepared (label managed=true) is left as it is, so
// Inject twice equals Inject once; a spec that holds the gate without the labels (copied from
// a prepared pod) gets the labels, readiness gate and anti-affinity, not a second gate. On
// error the pod is unchanged.
//
// Application containers are every container in spec.containers except the well-known mesh
// proxies (istio-proxy, linkerd-proxy) and those named in the annotation
// apps.statefulsingleton.com/ungated-containers. A container with a command gets the gate as
// its command; so does one without a command whose image's ENTRYPOINT and CMD opts.Images
// holds (imageconfig.Command: exactly what the runtime would run), with its image pinned to
// the digest they were read from; the other containers without one are held by a native
// sidecar whose startupProbe waits for the release.
func Inject(pod *corev1.Pod, opts InjectOptions) error {
	if IsPrepared(pod) {
		return nil
	}
	spec := pod.Spec.DeepCopy()
	// A spec copied from a prepared pod without its labels already holds the gate: adding it
	// again would make an invalid pod (duplicate volumes and containers).
	if !hasGate(spec) {
		wrapped, err := addGate(spec, appContainers(pod), opts)
		if err != nil {
			return err
		}
		if wrapped != "" {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[AnnotationImageEntrypoints] = wrapped
		}
	}
	addReadinessGate(spec)
	addAntiAffinity(spec, opts.Singleton)

	pod.Spec = *spec
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[singletonv1.LabelManaged] = "true"
	pod.Labels[singletonv1.LabelInstance] = opts.Singleton
	return nil
}

// addGate adds the gate's volumes and init containers, and wraps the command of the
// application containers given by index (those without a command when opts.Images holds their
// image's process); with supervision, the gates of the wrapped ones supervise them. It returns
// the value of AnnotationImageEntrypoints: the containers wrapped from their image's process.
func addGate(spec *corev1.PodSpec, apps []int, opts InjectOptions) (string, error) {
	if len(apps) == 0 {
		return "", ErrNothingToGate
	}
	addVolumes(spec)
	var noCommand []int
	var fromImage []string
	supervised := false
	for _, i := range apps {
		c := &spec.Containers[i]
		if len(c.Command) == 0 {
			from := c.Image
			if !commandFromImage(c, opts.Images) {
				noCommand = append(noCommand, i)
				continue
			}
			fromImage = append(fromImage, c.Name+"="+from)
		}
		wrapCommand(c, opts.Supervision)
		supervised = supervised || opts.Supervision != nil
	}
	if supervised {
		addSupervisionVolumes(spec)
	}
	spec.InitContainers = initContainers(spec, noCommand, opts.GateImage)
	nonRoot := runsAsNonRoot(spec, apps)
	for i := range spec.InitContainers {
		if c := &spec.InitContainers[i]; c.Name == InstallContainer || c.Name == SidecarContainer {
			c.SecurityContext.RunAsNonRoot = nonRoot
		}
	}
	return strings.Join(fromImage, ","), nil
}

// commandFromImage gives a container without a command the command its image's process
// amounts to (imageconfig.Command), pinned to the image read, when images holds it for the
// image the container names; it reports whether it did.
func commandFromImage(c *corev1.Container, images map[string]ImageEntrypoint) bool {
	e, ok := images[c.Name]
	if !ok || e.From != c.Image || e.Image == "" {
		return false
	}
	command, err := imageconfig.Command(e.Process, c.Args)
	if err != nil {
		return false
	}
	c.Image = e.Image
	c.Command = command
	return true
}

// hasGate reports whether the spec already holds the gate's installer.
func hasGate(spec *corev1.PodSpec) bool {
	return slices.ContainsFunc(spec.InitContainers, func(c corev1.Container) bool { return c.Name == InstallContainer })
}

// IsPrepared reports whether the webhook already prepared the pod: its spec holds the gate and
// it carries the labels. A label copied onto a pod (say, from a prepared pod into a template)
// prepares nothing: such a pod is prepared again.
func IsPrepared(pod *corev1.Pod) bool {
	return pod.Labels[singletonv1.LabelManaged] == "true" && HoldsGate(pod)
}

// appContainers returns the indexes of the containers that run the pod's application.
func appContainers(pod *corev1.Pod) []int {
	ungated := slices.Clone(wellKnownProxies)
	for name := range strings.SplitSeq(pod.Annotations[AnnotationUngatedContainers], ",") {
		ungated = append(ungated, strings.TrimSpace(name))
	}
	var apps []int
	for i := range pod.Spec.Containers {
		if !slices.Contains(ungated, pod.Spec.Containers[i].Name) {
			apps = append(apps, i)
		}
	}
	return apps
}

// GateArgv returns the command that runs argv behind the gate.
func GateArgv(argv []string) []string {
	return append([]string{BinGatePath, gateExec, "--"}, argv...)
}

// SupervisedGateArgv returns the command that runs argv behind a supervising gate reporting to
// the channel of s, for the container named container.
func SupervisedGateArgv(container string, s *Supervision, argv []string) []string {
	return slices.Concat([]string{BinGatePath, gateExec,
		gatewire.FlagSupervise, gatewire.FlagContainer, container, gatewire.FlagOperator, s.Operator,
		gatewire.FlagServerName, s.ServerName, gatewire.FlagCASHA256, s.CASHA256, "--"}, argv)
}

// wrapCommand makes the gate exec the container's command and args, unchanged; with
// supervision, the gate supervises them, with its token and state mounted.
func wrapCommand(c *corev1.Container, supervision *Supervision) {
	argv := slices.Concat(c.Command, c.Args)
	c.Command = GateArgv(argv)
	c.Args = nil
	c.VolumeMounts = append(c.VolumeMounts,
		corev1.VolumeMount{Name: BinVolume, MountPath: BinDir, ReadOnly: true},
		corev1.VolumeMount{Name: PodinfoVolume, MountPath: PodinfoDir, ReadOnly: true},
	)
	if supervision == nil {
		return
	}
	c.Command = SupervisedGateArgv(c.Name, supervision, argv)
	c.VolumeMounts = append(c.VolumeMounts,
		corev1.VolumeMount{Name: TokenVolume, MountPath: gatewire.TokenDir, ReadOnly: true},
		corev1.VolumeMount{Name: StateVolume, MountPath: gatewire.StateDir},
	)
}

// addSupervisionVolumes adds the supervising gates' token, bound to the pod and of the
// operator's audience, and their state, in memory: a few bytes per container.
func addSupervisionVolumes(spec *corev1.PodSpec) {
	spec.Volumes = append(spec.Volumes,
		corev1.Volume{Name: TokenVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: gatewire.Audience, ExpirationSeconds: ptr.To(int64(tokenExpirationSeconds)),
				Path: gatewire.TokenFile,
			}}},
		}}},
		corev1.Volume{Name: StateVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(resource.MustParse("1Mi")),
		}}},
	)
}

func addVolumes(spec *corev1.PodSpec) {
	spec.Volumes = append(spec.Volumes,
		corev1.Volume{Name: BinVolume, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("16Mi"))},
		}},
		corev1.Volume{Name: PodinfoVolume, VolumeSource: corev1.VolumeSource{
			DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "uid", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}},
				{Path: "release", FieldRef: &corev1.ObjectFieldSelector{
					FieldPath: "metadata.annotations['" + singletonv1.AnnotationRelease + "']",
				}},
			}},
		}},
	)
}

// initContainers returns the pod's init containers with the gate's: the installer first,
// then one image pull per container without a command, the pod's own, and the sidecar last
// when any container has no command.
func initContainers(spec *corev1.PodSpec, noCommand []int, gateImage string) []corev1.Container {
	out := []corev1.Container{installContainer(gateImage)}
	for _, i := range noCommand {
		out = append(out, pullContainer(&spec.Containers[i], i))
	}
	out = append(out, spec.InitContainers...)
	if len(noCommand) > 0 {
		out = append(out, sidecarContainer(gateImage))
	}
	return out
}

func installContainer(image string) corev1.Container {
	return corev1.Container{
		Name:            InstallContainer,
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         []string{GatePath, "install", BinDir},
		VolumeMounts:    []corev1.VolumeMount{{Name: BinVolume, MountPath: BinDir}},
		Resources:       smallResources(),
		SecurityContext: restrictedSecurityContext(),
	}
}

// pullContainer makes the kubelet pull an application image before the release.
func pullContainer(app *corev1.Container, index int) corev1.Container {
	name := pullPrefix + app.Name
	if len(name) > maxContainerName {
		name = pullPrefix + "container-" + strconv.Itoa(index)
	}
	return corev1.Container{
		Name:            name,
		Image:           app.Image,
		ImagePullPolicy: app.ImagePullPolicy,
		Command:         []string{BinGatePath, "noop"},
		VolumeMounts:    []corev1.VolumeMount{{Name: BinVolume, MountPath: BinDir, ReadOnly: true}},
		SecurityContext: app.SecurityContext.DeepCopy(),
		Resources:       smallResources(),
	}
}

// sidecarContainer holds the containers without a command: its startupProbe returns only
// once the pod is released, and the kubelet starts the main containers after it.
func sidecarContainer(image string) corev1.Container {
	return corev1.Container{
		Name:            SidecarContainer,
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		RestartPolicy:   ptr.To(corev1.ContainerRestartPolicyAlways),
		Command:         []string{GatePath, "idle"},
		VolumeMounts:    []corev1.VolumeMount{{Name: PodinfoVolume, MountPath: PodinfoDir, ReadOnly: true}},
		StartupProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
				Command: []string{GatePath, "await", sidecarMaxWait},
			}},
			TimeoutSeconds:   3600,
			PeriodSeconds:    1,
			FailureThreshold: 1 << 30,
		},
		Resources:       smallResources(),
		SecurityContext: restrictedSecurityContext(),
	}
}

// smallResources are the gate containers' requests and limits. Both CPU and memory have a
// limit, so that a namespace whose ResourceQuota covers limits.cpu or limits.memory admits the
// pod; the CPU limit is generous, since the gate's start-up is on the hand-over's path.
func smallResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("500m"),
			corev1.ResourceMemory: resource.MustParse("32Mi"),
		},
	}
}

// restrictedSecurityContext passes the restricted Pod Security Standard and OpenShift's
// restricted-v2 SCC; no runAsUser, so the pod's (or the SCC's arbitrary) UID applies. It sets
// no identity of its own: runAsNonRoot is added by addGate only where the pod asks it of its
// own containers (runsAsNonRoot), so a pod that runs as root starts as it did before.
func restrictedSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		ReadOnlyRootFilesystem:   ptr.To(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// runsAsNonRoot is the runAsNonRoot the gate's own containers need: nil (the pod's setting
// applies) unless the pod leaves it unset and every application container sets it true, as
// the restricted Pod Security Standard accepts; then true, so that the pod still passes it.
func runsAsNonRoot(spec *corev1.PodSpec, apps []int) *bool {
	if spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil {
		return nil
	}
	for _, i := range apps {
		sc := spec.Containers[i].SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			return nil
		}
	}
	return ptr.To(true)
}

func addReadinessGate(spec *corev1.PodSpec) {
	for _, g := range spec.ReadinessGates {
		if g.ConditionType == singletonv1.ReadinessGate {
			return
		}
	}
	spec.ReadinessGates = append(spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: singletonv1.ReadinessGate})
}

// addAntiAffinity prefers nodes that run no other pod of the same StatefulSingleton.
func addAntiAffinity(spec *corev1.PodSpec, singleton string) {
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.PodAntiAffinity == nil {
		spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	anti := spec.Affinity.PodAntiAffinity
	term := corev1.WeightedPodAffinityTerm{
		Weight: antiAffinityWeight,
		PodAffinityTerm: corev1.PodAffinityTerm{
			TopologyKey: hostnameTopology,
			LabelSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{singletonv1.LabelInstance: singleton},
			},
		},
	}
	if slices.ContainsFunc(anti.PreferredDuringSchedulingIgnoredDuringExecution,
		func(t corev1.WeightedPodAffinityTerm) bool { return equality.Semantic.DeepEqual(t, term) }) {
		return
	}
	anti.PreferredDuringSchedulingIgnoredDuringExecution = append(anti.PreferredDuringSchedulingIgnoredDuringExecution,
		term)
}
