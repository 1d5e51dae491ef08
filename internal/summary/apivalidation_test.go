package summary

import (
	"math/rand/v2"
	"testing"
)

// statusBounds are the inequalities the API server enforces on a status write (apps
// validation, ValidateDeploymentStatus and its siblings): each count at most the one it names.
var statusBounds = map[string][][2]string{
	"Deployment": {{updatedReplicas, "replicas"}, {readyReplicas, "replicas"}, {availableReplicas, "replicas"}},
	"ReplicaSet": {{"fullyLabeledReplicas", "replicas"}, {readyReplicas, "replicas"}, {availableReplicas, "replicas"},
		{availableReplicas, readyReplicas}},
	"StatefulSet": {{readyReplicas, "replicas"}, {"currentReplicas", "replicas"}, {updatedReplicas, "replicas"}},
}

// When every WEC's status is one the API server accepts, so is the summary: the operator's
// status write is not refused for what it computed.
func TestSummaryKeepsTheAPIServersBounds(t *testing.T) {
	seed := propertySeed()
	for _, g := range generators {
		bounds, ok := statusBounds[g.name]
		if !ok {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			rng := &gen{Rand: rand.New(rand.NewPCG(seed, 7))}
			checked := 0
			for i := range casesPerKind() {
				obj, reports := g.gen(rng)
				if !withinBounds(bounds, reports...) {
					continue
				}
				checked++
				res, err := Summarize(obj, reports)
				if err != nil {
					t.Fatal(err)
				}
				if !withinBounds(bounds, report("summary", res.Status)) {
					t.Fatalf("seed %d, case %d: the summary breaks a bound %v\nsummary: %v\nreports: %v", seed, i, bounds, res.Status, reports)
				}
			}
			t.Logf("seed %d: %d cases within the bounds", seed, checked)
		})
	}
}

func withinBounds(bounds [][2]string, reports ...Report) bool {
	for _, r := range reports {
		for _, b := range bounds {
			lo, _ := count(r.Status, b[0])
			hi, _ := count(r.Status, b[1])
			if lo > hi {
				return false
			}
		}
	}
	return true
}
