package combinedstatus

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// group is the rows that share one tuple of groupBy values.
type group struct {
	key    string
	values []ref.Val
	rows   []row
}

// aggregateRows groups rows by their groupBy values and computes each combined field per group.
// With no groupBy there is one group, also when there are no rows: the aggregations of nothing
// (COUNT and SUM 0, MIN +Inf, MAX -Inf, AVG NaN).
func (c *Collector) aggregateRows(rows []row) ([]controlv1alpha1.StatusCombinationRow, []controlv1alpha1.ErrorInColumn) {
	var groups []*group
	byKey := map[string]*group{}
	if len(c.groups) == 0 {
		g := &group{}
		groups, byKey[""] = append(groups, g), g
	}
	for _, rw := range rows {
		k := groupKey(rw.groups)
		g := byKey[k]
		if g == nil {
			g = &group{key: k, values: rw.groups}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, rw)
	}
	slices.SortFunc(groups, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	var out []controlv1alpha1.StatusCombinationRow
	var aggErrs []controlv1alpha1.ErrorInColumn
	reported := map[string]bool{}
	for _, g := range groups {
		cols := make([]controlv1alpha1.Value, 0, len(c.groups)+len(c.aggs))
		for _, v := range g.values {
			cols = append(cols, toValue(v))
		}
		for i, a := range c.aggs {
			n, msg := combine(a.kind, i, g.rows)
			s := strconv.FormatFloat(n, 'g', -1, 64)
			cols = append(cols, controlv1alpha1.Value{Type: controlv1alpha1.TypeNumber, Number: &s})
			if msg != "" && !reported[a.name] {
				reported[a.name] = true
				aggErrs = append(aggErrs, controlv1alpha1.ErrorInColumn{ColumnName: a.name, Error: msg})
			}
		}
		out = append(out, controlv1alpha1.StatusCombinationRow{Columns: cols})
	}
	return out, aggErrs
}

// groupKey identifies a tuple of atomic values, with their types (1 and "1" differ).
func groupKey(vals []ref.Val) string {
	var b strings.Builder
	for _, v := range vals {
		val := toValue(v)
		b.WriteString(string(val.Type))
		b.WriteByte(0)
		switch {
		case val.String != nil:
			b.WriteString(*val.String)
		case val.Number != nil:
			b.WriteString(*val.Number)
		case val.Bool != nil:
			b.WriteString(strconv.FormatBool(*val.Bool))
		}
		b.WriteByte(0)
	}
	return b.String()
}

// combine computes one aggregation over a group's rows; i is the aggregation's index in the
// rows' subjects. msg tells about the first subject that is not a number (it counts as 0, as
// KubeStellar's API says; null is skipped and, for AVG, counts as 0).
func combine(kind controlv1alpha1.AggregatorType, i int, rows []row) (n float64, msg string) {
	if kind == controlv1alpha1.AggregatorTypeCount {
		return float64(len(rows)), ""
	}
	var nums []float64
	for _, rw := range rows {
		f, ok, err := number(rw.subjects[i])
		if err != nil && msg == "" {
			msg = fmt.Sprintf("for WEC %s, %v", rw.wec, err)
		}
		if ok {
			nums = append(nums, f)
		}
	}
	switch kind {
	case controlv1alpha1.AggregatorTypeSum:
		for _, f := range nums {
			n += f
		}
	case controlv1alpha1.AggregatorTypeAvg:
		if len(rows) == 0 {
			return math.NaN(), "no values to average"
		}
		for _, f := range nums {
			n += f
		}
		n /= float64(len(rows))
	case controlv1alpha1.AggregatorTypeMin:
		n = math.Inf(1)
		for _, f := range nums {
			n = math.Min(n, f)
		}
	case controlv1alpha1.AggregatorTypeMax:
		n = math.Inf(-1)
		for _, f := range nums {
			n = math.Max(n, f)
		}
	}
	return n, msg
}

// number reads a subject's value as a number: ints, uints and doubles as they are, a string
// when it parses as one. ok is false for null (no error) and for anything else (an error).
func number(v ref.Val) (f float64, ok bool, err error) {
	switch x := v.(type) {
	case types.Int:
		return float64(x), true, nil
	case types.Uint:
		return float64(x), true, nil
	case types.Double:
		return float64(x), true, nil
	case types.String:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, false, fmt.Errorf("the subject %q is not a number", string(x))
		}
		return f, true, nil
	case types.Null, nil:
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("the subject has type %s, not a number", v.Type().TypeName())
}
