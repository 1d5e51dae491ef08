package combinedstatus

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// Report is what one WEC reports about the workload object: one WorkStatus.
type Report struct {
	// WEC is the WEC's name (the WorkStatus's namespace).
	WEC string
	// Status is the object's .status in the WEC (the WorkStatus's status); nil when it has none.
	Status map[string]any
	// Written is when that status was last written, zero when unknown.
	Written time.Time
}

// row is what one WEC's report gave, once it passed the filter and every expression
// evaluated.
type row struct {
	wec      string
	sel      []ref.Val
	groups   []ref.Val
	subjects []ref.Val
}

// Evaluate applies the collector to the reports of one workload object obj (as read from the
// WDS) from the WECs its Binding sends it to, and returns the result as KubeStellar shapes it
// in a CombinedStatus. It never fails: an expression that fails for a WEC leaves that WEC out
// and is reported in RowErrors (one entry for each column that failed, the first WEC by name),
// a subject that is not a number in AggregationErrors. Rows come in a stable order (by WEC for
// select, by the groupBy values for aggregations), at most the collector's limit of them.
func (c *Collector) Evaluate(obj map[string]any, reports []Report) controlv1alpha1.NamedStatusCombination {
	reports = slices.Clone(reports)
	slices.SortStableFunc(reports, func(a, b Report) int { return strings.Compare(a.WEC, b.WEC) })
	out := controlv1alpha1.NamedStatusCombination{Name: c.Name, ColumnNames: c.columnNames()}
	errs := rowErrors{}
	rows := make([]row, 0, len(reports))
	for _, r := range reports {
		if rw, ok := c.evalReport(obj, r, &errs); ok {
			rows = append(rows, rw)
		}
	}
	out.RowErrors = errs.list
	if len(c.aggs) == 0 {
		for _, rw := range rows {
			cols := make([]controlv1alpha1.Value, len(rw.sel))
			for i, v := range rw.sel {
				cols[i] = toValue(v)
			}
			out.Rows = append(out.Rows, controlv1alpha1.StatusCombinationRow{Columns: cols})
		}
	} else {
		out.Rows, out.AggregationErrors = c.aggregateRows(rows)
	}
	if len(out.Rows) > c.limit {
		out.Rows = out.Rows[:c.limit]
	}
	return out
}

func (c *Collector) columnNames() []string {
	names := []string{}
	for _, s := range c.sel {
		names = append(names, s.name)
	}
	for _, g := range c.groups {
		names = append(names, g.name)
	}
	for _, a := range c.aggs {
		names = append(names, a.name)
	}
	return names
}

// rowErrors collects the evaluation errors, the first one of each column.
type rowErrors struct {
	list    []controlv1alpha1.RowEvaluationError
	covered map[string]bool
}

func (e *rowErrors) add(wec, column string, err error) {
	if e.covered == nil {
		e.covered = map[string]bool{}
	}
	if e.covered[column] {
		return
	}
	e.covered[column] = true
	e.list = append(e.list, controlv1alpha1.RowEvaluationError{
		WEC: controlv1alpha1.Destination{ClusterId: wec}, ColumnName: column, Error: err.Error(),
	})
}

// activation is what the expressions see for one report.
func activation(obj map[string]any, r Report) map[string]any {
	return map[string]any{
		varObj:         obj,
		varReturned:    map[string]any{"status": r.Status},
		varInventory:   map[string]string{"name": r.WEC},
		varPropagation: map[string]any{"lastReturnedUpdateTimestamp": r.Written.UTC()},
	}
}

// evalReport evaluates the filter, then every expression, for one report. ok is false when the
// filter leaves the report out or an expression failed (recorded in errs).
func (c *Collector) evalReport(obj map[string]any, r Report, errs *rowErrors) (rw row, ok bool) {
	act := activation(obj, r)
	if c.filter != nil {
		v, err := eval(c.filter, act)
		if err != nil {
			errs.add(r.WEC, controlv1alpha1.FilterColumnName, err)
			return rw, false
		}
		switch v.Type() {
		case types.BoolType:
			if v != types.True {
				return rw, false
			}
		case types.NullType:
			return rw, false
		default:
			errs.add(r.WEC, controlv1alpha1.FilterColumnName,
				fmt.Errorf("filter expression has type %s but expected bool or null", v.Type().TypeName()))
			return rw, false
		}
	}
	rw.wec, ok = r.WEC, true
	evalAll := func(cols []column, atomic bool) []ref.Val {
		vals := make([]ref.Val, len(cols))
		for i, col := range cols {
			v, err := eval(col.prog, act)
			if err == nil && atomic && !isAtomic(v) {
				err = fmt.Errorf("groupBy expression (%s) has type %s but expected an atomic value", col.name, v.Type().TypeName())
			}
			if err != nil {
				errs.add(r.WEC, col.name, err)
				ok = false
			}
			vals[i] = v
		}
		return vals
	}
	rw.sel = evalAll(c.sel, false)
	rw.groups = evalAll(c.groups, true)
	rw.subjects = make([]ref.Val, len(c.aggs))
	for i, a := range c.aggs {
		if a.subject == nil {
			continue
		}
		v, err := eval(a.subject, act)
		if err != nil {
			errs.add(r.WEC, a.name, err)
			ok = false
		}
		rw.subjects[i] = v
	}
	return rw, ok
}

// eval runs one program; a result that is an error value is an error.
func eval(p cel.Program, act map[string]any) (ref.Val, error) {
	v, _, err := p.Eval(act)
	if err != nil {
		return nil, err
	}
	if types.IsError(v) {
		return nil, fmt.Errorf("%v", v)
	}
	if types.IsUnknown(v) {
		return nil, fmt.Errorf("the result is unknown")
	}
	return v, nil
}

func isAtomic(v ref.Val) bool {
	switch v.Type() {
	case types.ListType, types.MapType:
		return false
	}
	return true
}
