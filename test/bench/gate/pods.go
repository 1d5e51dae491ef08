package main

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// What the webhook will inject, as the benchmark builds it.
const (
	releaseAnnotation = "apps.statefulsingleton.com/release"
	binVolume         = "singleton-bin"
	binDir            = "/singleton/bin"
	podinfoVolume     = "singleton-podinfo"
	podinfoDir        = "/singleton/podinfo"
	appContainer      = "app"
	sidecarContainer  = "singleton-gate"
	gateInImage       = "/gate" // the gate in the operator's image
)

// The candidates.
const (
	candWrapperInotify = "wrapper-inotify"
	candWrapperPoll    = "wrapper-poll"
	candSidecarAwait   = "sidecar-await"
	candSidecarPeriod  = "sidecar-period"
	candNone           = "none"
)

var allCandidates = []string{candWrapperInotify, candWrapperPoll, candSidecarAwait, candSidecarPeriod, candNone}

// appArgs are the application's arguments: spaces, quotes, commas, a flag, a "--".
var appArgs = []string{"a b", `"q"`, "it's", "x,y", "--flag=1", "--", ""}

// appEntrypoint is the ENTRYPOINT of the stamp image; the wrapper candidates name it, as a
// pod that sets command would.
const appEntrypoint = "/stamp"

type images struct{ gate, app string }

// restricted is a container security context that the restricted Pod Security Standard and
// OpenShift's restricted-v2 SCC accept.
func restricted() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// smallResources are the gate's containers' requests and limits.
func smallResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi")},
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
	}
}

func volumes() []corev1.Volume {
	return []corev1.Volume{
		{Name: binVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			SizeLimit: ptr.To(resource.MustParse("16Mi"))}}},
		{Name: podinfoVolume, VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{
				{Path: "uid", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}},
				{Path: "release", FieldRef: &corev1.ObjectFieldSelector{
					FieldPath: fmt.Sprintf("metadata.annotations['%s']", releaseAnnotation)}},
			},
		}}},
	}
}

func mounts(bin, podinfo bool) []corev1.VolumeMount {
	var m []corev1.VolumeMount
	if bin {
		m = append(m, corev1.VolumeMount{Name: binVolume, MountPath: binDir, ReadOnly: true})
	}
	if podinfo {
		m = append(m, corev1.VolumeMount{Name: podinfoVolume, MountPath: podinfoDir, ReadOnly: true})
	}
	return m
}

// installContainer copies the gate from the operator's image into the emptyDir.
func installContainer(img images) corev1.Container {
	return corev1.Container{
		Name: "singleton-install", Image: img.gate, ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         []string{gateInImage, "install", binDir},
		VolumeMounts:    []corev1.VolumeMount{{Name: binVolume, MountPath: binDir}},
		SecurityContext: restricted(), Resources: smallResources(),
	}
}

// newPod builds the benchmark pod of one candidate.
func newPod(name, candidate string, img images) *corev1.Pod {
	app := corev1.Container{
		Name: appContainer, Image: img.app, ImagePullPolicy: corev1.PullIfNotPresent,
		Args: appArgs, SecurityContext: restricted(),
	}
	spec := corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](5),
		SecurityContext: &corev1.PodSecurityContext{
			// An arbitrary UID, as OpenShift assigns one per namespace.
			RunAsUser: ptr.To[int64](1000680000), RunAsGroup: ptr.To[int64](1000680000),
			RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	switch candidate {
	case candWrapperInotify, candWrapperPoll:
		watch := []string{}
		if candidate == candWrapperPoll {
			watch = []string{"--watch=poll", "--interval=50ms"}
		}
		app.Command = append(append(append([]string{binDir + "/gate", "exec"}, watch...), "--", appEntrypoint), app.Args...)
		app.Args = nil
		app.VolumeMounts = mounts(true, true)
		spec.InitContainers = []corev1.Container{installContainer(img)}
		spec.Volumes = volumes()
	case candSidecarAwait, candSidecarPeriod:
		probe := []string{gateInImage, "await", "--max-wait=50m"}
		timeout := int32(3600)
		if candidate == candSidecarPeriod {
			probe = []string{gateInImage, "await", "--watch=poll", "--max-wait=1ms"}
			timeout = 1
		}
		spec.InitContainers = []corev1.Container{
			installContainer(img),
			{ // pulls the app image before the release
				Name: "singleton-pull-app", Image: img.app, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{binDir + "/gate", "noop"}, VolumeMounts: mounts(true, false),
				SecurityContext: restricted(), Resources: smallResources(),
			},
			{
				Name: sidecarContainer, Image: img.gate, ImagePullPolicy: corev1.PullIfNotPresent,
				RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
				Command:       []string{gateInImage, "idle"}, VolumeMounts: mounts(false, true),
				StartupProbe: &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: probe}},
					TimeoutSeconds: timeout, PeriodSeconds: 1, FailureThreshold: 1 << 30,
				},
				SecurityContext: restricted(), Resources: smallResources(),
			},
		}
		spec.Volumes = volumes()
	case candNone:
	default:
		panic("unknown candidate " + candidate)
	}
	spec.Containers = []corev1.Container{app}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "gate-bench"}},
		Spec:       spec,
	}
}
