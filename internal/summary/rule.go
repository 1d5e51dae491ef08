package summary

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rule is how one kind is summarized. Every rule starts from the status of the worst WEC (the
// base), merges the conditions and observedGeneration the same way (conditions.go,
// generation.go), and then writes the fields it names.
type rule struct {
	// replicas: status.replicas is judged against spec.replicas (set.setReplicas).
	replicas bool
	// least are the counts summarized as the least over the WECs (more is better).
	least []string
	// most are the counts summarized as the greatest over the WECs (more is worse).
	most []string
	// ints are other counts the rule reads; all of them must be integers when present.
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
	{Group: groupApps, Kind: "Deployment"}:                  &deploymentRule,
	{Group: groupApps, Kind: "StatefulSet"}:                 &statefulSetRule,
	{Group: groupApps, Kind: "DaemonSet"}:                   &daemonSetRule,
	{Group: groupApps, Kind: "ReplicaSet"}:                  &replicaSetRule,
	{Group: "batch", Kind: "Job"}:                           &jobRule,
	{Group: "", Kind: "Pod"}:                                &podRule,
	{Group: "", Kind: "Service"}:                            &serviceRule,
	{Group: "", Kind: "PersistentVolumeClaim"}:              &pvcRule,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}: &hpaRule,
}

const groupApps = "apps"

// ruleFor returns the rule for gk.
func ruleFor(gk schema.GroupKind) *rule {
	if r, ok := rules[gk]; ok {
		return r
	}
	return &genericRule
}

// counts are all the counts the rule reads.
func (r *rule) counts() []string {
	out := make([]string, 0, 1+len(r.least)+len(r.most)+len(r.ints))
	if r.replicas {
		out = append(out, "replicas")
	}
	out = append(out, r.least...)
	out = append(out, r.most...)
	return append(out, r.ints...)
}

// setCounts writes the counts the rule names.
func (r *rule) setCounts(s *set, out map[string]any) {
	if r.replicas {
		s.setReplicas(out, "replicas", specReplicas(s.obj))
	}
	s.setMin(out, r.least...)
	s.setMax(out, r.most...)
}
