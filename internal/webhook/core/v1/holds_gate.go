package v1

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// HoldsGate reports whether the pod's spec really holds the gate: the gate is installed, and
// every application container (as Inject counts them) either runs behind `gate exec` or waits,
// as every main container does, for the gate's native sidecar whose startupProbe passes only
// on the release. A pod that merely carries the managed label is not held by anything, so the
// controller takes a pod for guarded from its spec, never from its labels. Container specs
// cannot change after creation, so the answer holds for the pod's lifetime.
func HoldsGate(pod *corev1.Pod) bool {
	spec := &pod.Spec
	if !hasGate(spec) || !hasReleaseVolume(spec) {
		return false
	}
	apps := appContainers(pod)
	if len(apps) == 0 {
		return false
	}
	if hasGateSidecar(spec) {
		return true
	}
	for _, i := range apps {
		if !wrapped(&spec.Containers[i]) {
			return false
		}
	}
	return true
}

// wrapped reports whether the container's command is the gate's exec.
func wrapped(c *corev1.Container) bool {
	return len(c.Command) >= 3 && c.Command[0] == BinGatePath && c.Command[1] == "exec" && c.Command[2] == "--"
}

// hasGateSidecar reports whether the pod has the gate's sidecar: a native sidecar whose
// startupProbe waits for the release, so that the kubelet starts no main container before it.
func hasGateSidecar(spec *corev1.PodSpec) bool {
	return slices.ContainsFunc(spec.InitContainers, func(c corev1.Container) bool {
		return c.Name == SidecarContainer && c.RestartPolicy != nil &&
			*c.RestartPolicy == corev1.ContainerRestartPolicyAlways &&
			c.StartupProbe != nil && c.StartupProbe.Exec != nil &&
			len(c.StartupProbe.Exec.Command) >= 2 && c.StartupProbe.Exec.Command[0] == GatePath &&
			c.StartupProbe.Exec.Command[1] == "await"
	})
}

// hasReleaseVolume reports whether the pod projects its own UID and release annotation, which
// the gate compares.
func hasReleaseVolume(spec *corev1.PodSpec) bool {
	return slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool {
		return v.Name == PodinfoVolume && v.DownwardAPI != nil && len(v.DownwardAPI.Items) == 2
	})
}
