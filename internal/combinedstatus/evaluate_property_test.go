package combinedstatus

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// randomReports are n WECs' reports with a few versions, some replica counts missing or
// written as strings, in random order.
func randomReports(r *rand.Rand, n int) []Report {
	reports := make([]Report, n)
	for i := range reports {
		st := map[string]any{"version": fmt.Sprintf("v%d", r.IntN(3))}
		switch r.IntN(4) {
		case 0:
		case 1:
			st["ready"] = strconv.Itoa(r.IntN(10))
		default:
			st["ready"] = int64(r.IntN(10))
		}
		reports[i] = Report{WEC: fmt.Sprintf("wec%03d", i), Status: st}
	}
	r.Shuffle(n, func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
	return reports
}

var grouped = controlv1alpha1.StatusCollectorSpec{
	Filter:  expr(`inventory.name != "wec000"`),
	GroupBy: []controlv1alpha1.NamedExpression{named("version", "returned.status.version")},
	CombinedFields: []controlv1alpha1.NamedAggregator{
		agg("count", controlv1alpha1.AggregatorTypeCount, ""),
		agg("sum", controlv1alpha1.AggregatorTypeSum, `has(returned.status.ready) ? returned.status.ready : null`),
		agg("max", controlv1alpha1.AggregatorTypeMax, `has(returned.status.ready) ? returned.status.ready : null`),
	},
	Limit: 100,
}

// The result depends on the set of reports, not on their order.
func TestEvaluateIgnoresOrder(t *testing.T) {
	c, errs := Compile("sc", &grouped)
	if errs != nil {
		t.Fatal(errs)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		reports := randomReports(r, 1+r.IntN(30))
		want := c.Evaluate(object, reports)
		r.Shuffle(len(reports), func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
		if got := c.Evaluate(object, reports); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the result:\n%+v\n%+v", got, want)
		}
	}
}

// The counts of the groups add up to the reports the filter lets through, and each group's
// sum is the sum of its WECs' numbers (strings parsed, missing ones skipped).
func TestEvaluateCountsEveryReportOnce(t *testing.T) {
	c, _ := Compile("sc", &grouped)
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		reports := randomReports(r, 1+r.IntN(30))
		sums, passed := map[string]float64{}, 0
		for _, rep := range reports {
			if rep.WEC == "wec000" {
				continue
			}
			passed++
			switch v := rep.Status["ready"].(type) {
			case int64:
				sums[rep.Status["version"].(string)] += float64(v)
			case string:
				f, _ := strconv.ParseFloat(v, 64)
				sums[rep.Status["version"].(string)] += f
			default:
				sums[rep.Status["version"].(string)] += 0
			}
		}
		got := c.Evaluate(object, reports)
		total := 0
		for _, row := range got.Rows {
			n, _ := strconv.Atoi(*row.Columns[1].Number)
			total += n
			if s, _ := strconv.ParseFloat(*row.Columns[2].Number, 64); s != sums[*row.Columns[0].String] {
				t.Fatalf("group %s: sum %v, want %v", *row.Columns[0].String, s, sums[*row.Columns[0].String])
			}
		}
		if total != passed || len(got.RowErrors) != 0 || len(got.AggregationErrors) != 0 {
			t.Fatalf("counted %d of %d; errors %v %v", total, passed, got.RowErrors, got.AggregationErrors)
		}
	}
}

// No result has more rows than the limit, 20 when the limit is not positive.
func TestEvaluateKeepsTheLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		limit := int64(r.IntN(30) - 5)
		spec := controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name")}, Limit: limit}
		c, _ := Compile("sc", &spec)
		reports := randomReports(r, r.IntN(40))
		got := c.Evaluate(object, reports)
		want := min(len(reports), int(limit))
		if limit <= 0 {
			want = min(len(reports), DefaultLimit)
		}
		if len(got.Rows) != want {
			t.Fatalf("limit %d over %d reports: %d rows", limit, len(reports), len(got.Rows))
		}
	}
}
