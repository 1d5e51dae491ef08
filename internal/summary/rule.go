package summary

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rule is how one kind is summarised. Every rule starts from the status of the worst WEC (the
// base), merges the conditions and observedGeneration the same way (conditions.go,
// generation.go), and then writes the fields it names.
type rule struct {
	// ints are the status counts the rule reads; they must be integers when present.
	ints []string
	// checks are further shape checks of the fields the rule (or kstatus) reads.
	checks []check
	// severity orders WECs of equal kstatus, worst first (a Pod's phase); nil: all equal.
	severity func(status map[string]any) int
	// voters picks the WECs whose conditions are merged; nil: all of them.
	voters func(s *set) []*wec
	// fields writes the kind's own fields into out, a copy of the base's status.
	fields func(s *set, out map[string]any)
}

// rules holds the per-kind rules by group and kind; every other kind gets the generic rule.
// It is filled once, at package initialisation, and never changed.
var rules = map[schema.GroupKind]*rule{
	{Group: "apps", Kind: "Deployment"}:                     &deploymentRule,
	{Group: "apps", Kind: "StatefulSet"}:                    &statefulSetRule,
	{Group: "apps", Kind: "DaemonSet"}:                      &daemonSetRule,
	{Group: "apps", Kind: "ReplicaSet"}:                     &replicaSetRule,
	{Group: "batch", Kind: "Job"}:                           &jobRule,
	{Group: "", Kind: "Pod"}:                                &podRule,
	{Group: "", Kind: "Service"}:                            &serviceRule,
	{Group: "", Kind: "PersistentVolumeClaim"}:              &pvcRule,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}: &hpaRule,
}

// ruleFor returns the rule for gk.
func ruleFor(gk schema.GroupKind) *rule {
	if r, ok := rules[gk]; ok {
		return r
	}
	return &genericRule
}
