package combinedstatus

import (
	"strings"
	"testing"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

func expr(s string) *controlv1alpha1.Expression {
	e := controlv1alpha1.Expression(s)
	return &e
}

func named(name, def string) controlv1alpha1.NamedExpression {
	return controlv1alpha1.NamedExpression{Name: name, Def: controlv1alpha1.Expression(def)}
}

func agg(name string, t controlv1alpha1.AggregatorType, subject string) controlv1alpha1.NamedAggregator {
	a := controlv1alpha1.NamedAggregator{Name: name, Type: t}
	if subject != "" {
		a.Subject = expr(subject)
	}
	return a
}

// render writes a result's rows as "type:value" cells, rows separated by " | ".
func render(rows []controlv1alpha1.StatusCombinationRow) string {
	var out []string
	for _, r := range rows {
		var cells []string
		for _, v := range r.Columns {
			cells = append(cells, cell(v))
		}
		out = append(out, strings.Join(cells, ","))
	}
	return strings.Join(out, " | ")
}

func cell(v controlv1alpha1.Value) string {
	switch {
	case v.String != nil:
		return string(v.Type) + ":" + *v.String
	case v.Number != nil:
		return string(v.Type) + ":" + *v.Number
	case v.Bool != nil:
		if *v.Bool {
			return string(v.Type) + ":true"
		}
		return string(v.Type) + ":false"
	case v.Object != nil:
		return string(v.Type) + ":" + string(v.Object.Raw)
	case v.Array != nil:
		return string(v.Type) + ":" + string(v.Array.Raw)
	}
	return string(v.Type)
}

// wecs are reports of a Deployment-like status from three WECs.
var wecs = []Report{
	{WEC: "wec3", Status: map[string]any{"replicas": int64(3), "availableReplicas": int64(1), "version": "v2"}},
	{WEC: "wec1", Status: map[string]any{"replicas": int64(2), "availableReplicas": int64(2), "version": "v1"}},
	{WEC: "wec2", Status: map[string]any{"replicas": int64(5), "availableReplicas": int64(5), "version": "v1"}},
}

var object = map[string]any{
	"metadata": map[string]any{"name": "web", "namespace": "shop"},
	"spec":     map[string]any{"replicas": int64(4)},
}

func TestEvaluate(t *testing.T) {
	written := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name    string
		spec    controlv1alpha1.StatusCollectorSpec
		reports []Report
		columns string
		rows    string
		rowErrs string // "wec/column: substring" joined by "; "
		aggErrs string
	}{{
		name:    "select: one row per WEC, by WEC name",
		spec:    controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name"), named("ready", "returned.status.availableReplicas")}},
		columns: "wec,ready",
		rows:    "String:wec1,Number:2 | String:wec2,Number:5 | String:wec3,Number:1",
	}, {
		name:    "select with limit",
		spec:    controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name")}, Limit: 2},
		columns: "wec",
		rows:    "String:wec1 | String:wec2",
	}, {
		name:    "filter: only true passes; the object is readable",
		spec:    controlv1alpha1.StatusCollectorSpec{Filter: expr("returned.status.availableReplicas < obj.spec.replicas"), Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name")}},
		columns: "wec",
		rows:    "String:wec1 | String:wec3",
	}, {
		name:    "filter null leaves out, filter of another type is an error of the filter column",
		spec:    controlv1alpha1.StatusCollectorSpec{Filter: expr(`inventory.name == "wec1" ? null : (inventory.name == "wec2" ? dyn(true) : dyn(7))`), Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name")}},
		columns: "wec",
		rows:    "String:wec2",
		rowErrs: "wec3/: expected bool or null",
	}, {
		name:    "a select that fails leaves its WEC out and is reported once per column",
		spec:    controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("wec", "inventory.name"), named("bad", "returned.status.missing")}},
		reports: []Report{wecs[0], wecs[1], {WEC: "wec2", Status: map[string]any{"missing": "here"}}},
		columns: "wec,bad",
		rows:    "String:wec2,String:here",
		rowErrs: "wec1/bad: no such key",
	}, {
		name: "COUNT, SUM, AVG, MIN, MAX without groupBy",
		spec: controlv1alpha1.StatusCollectorSpec{CombinedFields: []controlv1alpha1.NamedAggregator{
			agg("n", controlv1alpha1.AggregatorTypeCount, ""),
			agg("sum", controlv1alpha1.AggregatorTypeSum, "returned.status.availableReplicas"),
			agg("avg", controlv1alpha1.AggregatorTypeAvg, "returned.status.replicas"),
			agg("min", controlv1alpha1.AggregatorTypeMin, "returned.status.availableReplicas"),
			agg("max", controlv1alpha1.AggregatorTypeMax, "returned.status.replicas"),
		}},
		columns: "n,sum,avg,min,max",
		rows:    "Number:3,Number:8,Number:3.3333333333333335,Number:1,Number:5",
	}, {
		name: "aggregations of no WEC: one row of identities",
		spec: controlv1alpha1.StatusCollectorSpec{CombinedFields: []controlv1alpha1.NamedAggregator{
			agg("n", controlv1alpha1.AggregatorTypeCount, ""),
			agg("sum", controlv1alpha1.AggregatorTypeSum, "returned.status.replicas"),
			agg("avg", controlv1alpha1.AggregatorTypeAvg, "returned.status.replicas"),
			agg("min", controlv1alpha1.AggregatorTypeMin, "returned.status.replicas"),
			agg("max", controlv1alpha1.AggregatorTypeMax, "returned.status.replicas"),
		}},
		reports: []Report{},
		columns: "n,sum,avg,min,max",
		rows:    "Number:0,Number:0,Number:NaN,Number:+Inf,Number:-Inf",
		aggErrs: "avg: no values to average",
	}, {
		name: "groupBy: one row per value, by value",
		spec: controlv1alpha1.StatusCollectorSpec{
			GroupBy: []controlv1alpha1.NamedExpression{named("version", "returned.status.version")},
			CombinedFields: []controlv1alpha1.NamedAggregator{
				agg("count", controlv1alpha1.AggregatorTypeCount, ""),
				agg("ready", controlv1alpha1.AggregatorTypeSum, "returned.status.availableReplicas"),
			}},
		columns: "version,count,ready",
		rows:    "String:v1,Number:2,Number:7 | String:v2,Number:1,Number:1",
	}, {
		name: "groupBy of no WEC: no rows",
		spec: controlv1alpha1.StatusCollectorSpec{
			GroupBy:        []controlv1alpha1.NamedExpression{named("version", "returned.status.version")},
			CombinedFields: []controlv1alpha1.NamedAggregator{agg("count", controlv1alpha1.AggregatorTypeCount, "")}},
		reports: []Report{},
		columns: "version,count",
	}, {
		name: "groupBy must be atomic",
		spec: controlv1alpha1.StatusCollectorSpec{
			GroupBy:        []controlv1alpha1.NamedExpression{named("all", "returned.status")},
			CombinedFields: []controlv1alpha1.NamedAggregator{agg("count", controlv1alpha1.AggregatorTypeCount, "")}},
		columns: "all,count",
		rowErrs: "wec1/all: expected an atomic value",
	}, {
		name: "subjects: strings that parse count, others are an aggregation error, null is skipped",
		spec: controlv1alpha1.StatusCollectorSpec{CombinedFields: []controlv1alpha1.NamedAggregator{
			agg("sum", controlv1alpha1.AggregatorTypeSum, "returned.status.v"),
		}},
		reports: []Report{
			{WEC: "a", Status: map[string]any{"v": "2.5"}},
			{WEC: "b", Status: map[string]any{"v": "many"}},
			{WEC: "c", Status: map[string]any{"v": nil}},
			{WEC: "d", Status: map[string]any{"v": 1.5}},
		},
		columns: "sum",
		rows:    "Number:4",
		aggErrs: `sum: for WEC b, the subject "many" is not a number`,
	}, {
		name: "values: null, bool, list, map, timestamp; propagation is readable",
		spec: controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{
			named("null", "null"), named("bool", "returned.status.replicas > 2"), named("list", "[1, 'a']"),
			named("map", "{'b': 1, 'a': [true]}"), named("when", "propagation.lastReturnedUpdateTimestamp"),
		}},
		reports: []Report{{WEC: "wec1", Status: map[string]any{"replicas": int64(3)}, Written: written}},
		columns: "null,bool,list,map,when",
		rows:    `Null,Bool:true,Array:[1,"a"],Object:{"a":[true],"b":1},String:2026-01-02T03:04:05Z`,
	}, {
		name: "an expression that costs too much fails, it does not stall",
		spec: controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{
			named("big", "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, [1,2,3,4,5,6,7,8,9,10].map(f, a+b+c+d+e+f))))))"),
		}},
		reports: []Report{wecs[0]},
		columns: "big",
		rowErrs: "wec3/big: cost limit",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := Compile("sc", &tc.spec)
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errs)
			}
			reports := tc.reports
			if reports == nil {
				reports = wecs
			}
			got := c.Evaluate(object, reports)
			if got.Name != "sc" {
				t.Errorf("name %q", got.Name)
			}
			if cols := strings.Join(got.ColumnNames, ","); cols != tc.columns {
				t.Errorf("columns %q, want %q", cols, tc.columns)
			}
			if rows := render(got.Rows); rows != tc.rows {
				t.Errorf("rows\n got %s\nwant %s", rows, tc.rows)
			}
			checkErrs(t, "row errors", rowErrs(got.RowErrors), tc.rowErrs)
			checkErrs(t, "aggregation errors", aggErrs(got.AggregationErrors), tc.aggErrs)
		})
	}
}

func rowErrs(list []controlv1alpha1.RowEvaluationError) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.WEC.ClusterId+"/"+e.ColumnName+": "+e.Error)
	}
	return out
}

func aggErrs(list []controlv1alpha1.ErrorInColumn) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.ColumnName+": "+e.Error)
	}
	return out
}

// checkErrs compares errors with want, "; "-separated prefixes up to the first ": " and then a
// substring of the message.
func checkErrs(t *testing.T, what string, got []string, want string) {
	t.Helper()
	var wants []string
	if want != "" {
		wants = strings.Split(want, "; ")
	}
	if len(got) != len(wants) {
		t.Fatalf("%s %q, want %q", what, got, wants)
	}
	for i, w := range wants {
		head, msg, _ := strings.Cut(w, ": ")
		if !strings.HasPrefix(got[i], head+": ") || !strings.Contains(got[i], msg) {
			t.Errorf("%s[%d] = %q, want %q", what, i, got[i], w)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name string
		spec controlv1alpha1.StatusCollectorSpec
		want string // "; "-separated substrings, one per error
	}{
		{"select with combinedFields", controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("a", "1")}, CombinedFields: []controlv1alpha1.NamedAggregator{agg("n", controlv1alpha1.AggregatorTypeCount, "")}}, "groupBy and combinedFields must be empty if select is not"},
		{"groupBy alone", controlv1alpha1.StatusCollectorSpec{GroupBy: []controlv1alpha1.NamedExpression{named("a", "1")}}, "groupBy must be empty if combinedFields is"},
		{"syntax", controlv1alpha1.StatusCollectorSpec{Filter: expr("returned.status."), Select: []controlv1alpha1.NamedExpression{named("a", "nope")}}, "filter expression invalid; select expression (a) invalid: ERROR: <input>:1:1: undeclared reference to 'nope'"},
		{"COUNT with subject, SUM without", controlv1alpha1.StatusCollectorSpec{CombinedFields: []controlv1alpha1.NamedAggregator{agg("n", controlv1alpha1.AggregatorTypeCount, "1"), agg("s", controlv1alpha1.AggregatorTypeSum, "")}}, "(n) invalid: subject must be nil for COUNT type; (s) invalid: subject must be set"},
		{"unknown type", controlv1alpha1.StatusCollectorSpec{CombinedFields: []controlv1alpha1.NamedAggregator{agg("m", "MEDIAN", "1")}}, `(m) invalid: unknown type "MEDIAN"`},
		{"too long", controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("a", strings.Repeat("1+", MaxExpressionBytes)+"1")}}, "select expression (a) invalid: longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := Compile("sc", &tc.spec)
			if c != nil {
				t.Fatal("compiled")
			}
			wants := strings.Split(tc.want, "; ")
			if len(errs) != len(wants) {
				t.Fatalf("errors %q, want %q", errs, wants)
			}
			for i, w := range wants {
				if !strings.Contains(errs[i], w) {
					t.Errorf("error %q, want it to contain %q", errs[i], w)
				}
			}
		})
	}
}

func TestCacheCompilesOncePerSpec(t *testing.T) {
	cache := NewCache()
	sc := &controlv1alpha1.StatusCollector{Spec: controlv1alpha1.StatusCollectorSpec{Select: []controlv1alpha1.NamedExpression{named("a", "1")}}}
	sc.Name = "sc"
	first, _ := cache.Get(sc)
	again, _ := cache.Get(sc.DeepCopy())
	if first == nil || first != again {
		t.Fatal("the same spec compiled again")
	}
	changed := sc.DeepCopy()
	changed.Spec.Select[0].Def = "2"
	if other, _ := cache.Get(changed); other == first {
		t.Fatal("a changed spec kept the old program")
	}
	bad := sc.DeepCopy()
	bad.Spec.Select[0].Def = "nope"
	if c, errs := cache.Get(bad); c != nil || len(errs) != 1 {
		t.Fatalf("bad spec: %v %v", c, errs)
	}
	cache.Forget("sc")
	if cache.Len() != 0 {
		t.Fatal("not forgotten")
	}
}
