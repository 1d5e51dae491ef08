package summary

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// The guarantee of rule R2: for any combination of WEC statuses, kstatus on the WDS object
// carrying the summary reads the worst of kstatus on the object carrying each WEC's status.
// The generators cover what controllers write (no condition type twice in one status, no
// Complete and Failed both True in one Job): docs/reported-state-summary.md.

// casesPerKind is how many combinations each kind gets; PROPERTY_CASES overrides it.
func casesPerKind() int {
	if v, err := strconv.Atoi(os.Getenv("PROPERTY_CASES")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 300
	}
	return 2000
}

// propertySeed is fixed so a failure repeats; PROPERTY_SEED explores others.
func propertySeed() uint64 {
	if v, err := strconv.ParseUint(os.Getenv("PROPERTY_SEED"), 10, 64); err == nil {
		return v
	}
	return 20261122
}

func TestSummaryReadsTheWorstWEC(t *testing.T) {
	seed := propertySeed()
	n := casesPerKind()
	for _, g := range generators {
		t.Run(g.name, func(t *testing.T) {
			rng := &gen{Rand: rand.New(rand.NewPCG(seed, uint64(len(g.name))))}
			seen := map[string]int{}
			for i := range n {
				obj, reports := g.gen(rng)
				res, err := Summarize(obj, reports)
				if err != nil {
					t.Fatalf("Summarize: %v\nreports: %v", err, reports)
				}
				want, got := worstOfWECs(obj, reports), summarizedKstatus(obj, res)
				if got != want {
					t.Fatalf("seed %d (PROPERTY_SEED=%d), case %d: summary reads %s, worst WEC %s\nobject: %v\nreports: %v",
						seed, seed, i, got, want, obj.Object, reports)
				}
				if msg := broken(obj, reports, res); msg != "" {
					t.Fatalf("seed %d (PROPERTY_SEED=%d), case %d: %s\nobject: %v\nreports: %v", seed, seed, i, msg, obj.Object, reports)
				}
				seen[want]++
			}
			t.Logf("seed %d: %d cases, worst kstatus seen: %v", seed, n, seen)
		})
	}
}

// worstOfWECs computes kstatus independently of the package: each WEC's object is a deep copy
// of obj carrying that WEC's status.
func worstOfWECs(obj *unstructured.Unstructured, reports []Report) string {
	order := []string{"Current", "NotFound", "Terminating", "Unknown", "InProgress", "Failed"}
	worst := 0
	for _, r := range reports {
		u := obj.DeepCopy()
		if r.Status != nil {
			u.Object["status"] = deepCopyMap(r.Status)
		}
		st := computeOrUnknown(u)
		for i, o := range order {
			if o == st && i > worst {
				worst = i
			}
		}
	}
	return order[worst]
}

func summarizedKstatus(obj *unstructured.Unstructured, res Result) string {
	u := obj.DeepCopy()
	u.Object["status"] = res.Status
	return computeOrUnknown(u)
}

func computeOrUnknown(u *unstructured.Unstructured) string {
	res, err := kstatus.Compute(u)
	if err != nil {
		return "Unknown"
	}
	return string(res.Status)
}

// generator makes one object and the reports of 1 to 5 WECs.
type generator struct {
	name string
	gen  func(g *gen) (*unstructured.Unstructured, []Report)
}

var generators = []generator{
	{"Deployment", genWith(genDeploymentObj, genDeploymentStatus)},
	{"StatefulSet", genWith(genStatefulSetObj, genStatefulSetStatus)},
	{"DaemonSet", genWith(genObj("apps/v1", "DaemonSet"), genDaemonSetStatus)},
	{"ReplicaSet", genWith(genReplicasObj("apps/v1", "ReplicaSet"), genReplicaSetStatus)},
	{"Job", genWith(genJobObj, genJobStatus)},
	{"Pod", genWith(genObj("v1", "Pod"), genPodStatus)},
	{"Service", genWith(genServiceObj, genServiceStatus)},
	{"PersistentVolumeClaim", genWith(genObj("v1", "PersistentVolumeClaim"), genPVCStatus)},
	{"HorizontalPodAutoscaler", genWith(genObj("autoscaling/v2", "HorizontalPodAutoscaler"), genHPAStatus)},
	{"generic", genWith(genObj("example.com/v1", "Widget"), genGenericStatus)},
	{"ConfigMap", genWith(genObj("v1", "ConfigMap"), genGenericStatus)},
}

// genWith makes a case from an object generator and a status generator, with a bias drawn
// per case: none, 0.9 or full.
func genWith(
	objGen func(g *gen) *unstructured.Unstructured,
	statusGen func(g *gen, obj *unstructured.Unstructured) map[string]any,
) func(g *gen) (*unstructured.Unstructured, []Report) {
	return func(g *gen) (*unstructured.Unstructured, []Report) {
		g.q = []float64{0, 0.9, 1}[g.IntN(3)]
		obj := objGen(g)
		reports := make([]Report, 1+g.IntN(5))
		for i := range reports {
			reports[i] = Report{WEC: fmt.Sprintf("wec-%d", i)}
			if !g.oneIn(20) {
				reports[i].Status = statusGen(g, obj)
			}
		}
		g.Shuffle(len(reports), func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
		return obj, reports
	}
}

// broken checks the field rules that hold for every combination: a least count is at most
// every WEC's, a most count at least every WEC's; a normal-true condition is True only where
// True in every voting WEC, an abnormal-true one True where True in any.
func broken(obj *unstructured.Unstructured, reports []Report, res Result) string {
	r := ruleFor(obj.GroupVersionKind().GroupKind())
	for _, rep := range reports {
		for _, f := range r.least {
			if n, _ := count(rep.Status, f); res.Status[f] != nil && res.Status[f].(int64) > n {
				return fmt.Sprintf("%s %v above WEC %s's %d", f, res.Status[f], rep.WEC, n)
			}
		}
		for _, f := range r.most {
			if n, _ := count(rep.Status, f); res.Status[f] != nil && res.Status[f].(int64) < n {
				return fmt.Sprintf("%s %v below WEC %s's %d", f, res.Status[f], rep.WEC, n)
			}
		}
	}
	return brokenConditions(r, reports, res.Status)
}

func brokenConditions(r *rule, reports []Report, summary map[string]any) string {
	if r.voters != nil {
		return "" // a Pod's conditions are merged over the WECs in its phase: TestPodSummary
	}
	derived := condition(summary, condReconciling) != nil && stringAt(condition(summary, condReconciling), "reason") == "WECInProgress" ||
		condition(summary, condStalled) != nil && stringAt(condition(summary, condStalled), "reason") == "WECFailed"
	for _, typ := range conditionTypes(summary) {
		if derived && (typ == condReconciling || typ == condStalled) {
			continue
		}
		isTrue := stringAt(condition(summary, typ), "status") == condTrue
		for _, rep := range reports {
			wecTrue := stringAt(condition(rep.Status, typ), "status") == condTrue
			if !negative[typ] && isTrue && !wecTrue {
				return fmt.Sprintf("%s True, but not in WEC %s", typ, rep.WEC)
			}
			if negative[typ] && wecTrue && !isTrue {
				return fmt.Sprintf("%s True in WEC %s, not in the summary", typ, rep.WEC)
			}
		}
	}
	return ""
}
