package summary

// statefulSetRule: replicas as a Deployment's, the other counts the least; currentRevision and
// updateRevision as a pair from one WEC: the worst WEC whose revisions differ (a rollout still
// going), else the base.
var statefulSetRule = rule{
	replicas: true,
	least:    []string{readyReplicas, "currentReplicas", updatedReplicas, availableReplicas},
	checks:   []check{checkStrings("currentRevision", "updateRevision")},
	fields:   setRevisions,
}

// setRevisions copies the revision pair of the first WEC (worst first) rolling out.
func setRevisions(s *set, out map[string]any) {
	for _, w := range s.wecs {
		if stringAt(w.status, "currentRevision") != stringAt(w.status, "updateRevision") {
			copyFields(out, w.status, "currentRevision", "updateRevision")
			return
		}
	}
}

// copyFields sets fields of out to from's, removing those from does not have.
func copyFields(out, from map[string]any, fields ...string) {
	for _, f := range fields {
		if v, ok := from[f]; ok {
			out[f] = deepCopy(v)
		} else {
			delete(out, f)
		}
	}
}
