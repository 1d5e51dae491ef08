package v1

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
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

// gateExec is the gate's subcommand that runs the application.
const gateExec = "exec"

// wrapped reports whether the container's command is the gate's exec, with or without the
// supervise flags.
func wrapped(c *corev1.Container) bool {
	_, ok := gateExecFlags(c)
	return ok
}

// gateExecFlags returns the flags the container's command gives `gate exec` before "--", and
// whether the command is the gate's exec at all. Only the flags the webhook writes are known
// (gatewire.Flag*): a command with any other word before "--" is not taken for the gate's.
func gateExecFlags(c *corev1.Container) (map[string]string, bool) {
	if len(c.Command) < 3 || c.Command[0] != BinGatePath || c.Command[1] != gateExec {
		return nil, false
	}
	flags := map[string]string{}
	for i := 2; i < len(c.Command); i++ {
		switch word := c.Command[i]; word {
		case "--":
			return flags, true
		case gatewire.FlagSupervise:
			flags[word] = ""
		case gatewire.FlagContainer, gatewire.FlagOperator, gatewire.FlagServerName, gatewire.FlagCASHA256:
			if i+1 >= len(c.Command) {
				return nil, false
			}
			flags[word] = c.Command[i+1]
			i++
		default:
			return nil, false
		}
	}
	return nil, false
}

// SupervisedContainers returns the names of the pod's application containers (as Inject counts
// them) and whether every one of them runs behind a supervising gate (`gate exec --supervise
// --container <its own name>`), whose exit report may prove its stop (docs/design.md, S6). A pod
// with the gate's sidecar (containers without a command) or any unsupervised application
// container is not: the reports of some containers say nothing of the others.
func SupervisedContainers(pod *corev1.Pod) ([]string, bool) {
	apps := appContainers(pod)
	if len(apps) == 0 || hasGateSidecar(&pod.Spec) {
		return nil, false
	}
	names := make([]string, 0, len(apps))
	for _, i := range apps {
		c := &pod.Spec.Containers[i]
		flags, ok := gateExecFlags(c)
		if _, supervised := flags[gatewire.FlagSupervise]; !ok || !supervised || flags[gatewire.FlagContainer] != c.Name {
			return nil, false
		}
		names = append(names, c.Name)
	}
	return names, true
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
