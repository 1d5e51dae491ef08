package combinedstatus

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// The names of the variables an expression can use (KubeStellar's ExpressionContext).
const (
	varObj         = "obj"
	varReturned    = "returned"
	varInventory   = "inventory"
	varPropagation = "propagation"
)

// Limits that keep a user's expression from stalling the operator.
const (
	// CostLimit bounds the work of one evaluation of one expression (CEL's cost units, about
	// one per value visited); an evaluation that exceeds it fails with an error.
	CostLimit = 1_000_000
	// MaxExpressionBytes bounds the text of one expression.
	MaxExpressionBytes = 10_000
	// DefaultLimit is the number of rows when the collector's limit is not positive.
	DefaultLimit = 20
)

var (
	envOnce sync.Once
	env     *cel.Env
	envErr  error
)

// celEnv is the environment every expression is compiled in; it is safe for concurrent use.
func celEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		env, envErr = cel.NewEnv(
			cel.Variable(varObj, cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable(varReturned, cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable(varInventory, cel.MapType(cel.StringType, cel.StringType)),
			cel.Variable(varPropagation, cel.MapType(cel.StringType, cel.DynType)),
			cel.ParserExpressionSizeLimit(MaxExpressionBytes),
		)
	})
	return env, envErr
}

// column is one named expression of a collector, compiled.
type column struct {
	name string
	prog cel.Program
}

// aggregate is one combinedFields entry; subject is nil for COUNT.
type aggregate struct {
	name    string
	kind    controlv1alpha1.AggregatorType
	subject cel.Program
}

// Collector is a StatusCollector whose expressions compiled. It is immutable and safe for
// concurrent use.
type Collector struct {
	// Name is the StatusCollector's name, the name of its result.
	Name   string
	filter cel.Program
	sel    []column
	groups []column
	aggs   []aggregate
	limit  int
}

// Compile checks a StatusCollector's spec and compiles its expressions. A spec with errors
// gives no Collector and every error found, each a sentence naming the part it is about (as
// KubeStellar writes them into the StatusCollector's status.errors).
func Compile(name string, spec *controlv1alpha1.StatusCollectorSpec) (*Collector, []string) {
	var errs []string
	if len(spec.Select) > 0 && (len(spec.GroupBy) > 0 || len(spec.CombinedFields) > 0) {
		errs = append(errs, "groupBy and combinedFields must be empty if select is not")
	}
	if len(spec.CombinedFields) == 0 && len(spec.GroupBy) > 0 {
		errs = append(errs, "groupBy must be empty if combinedFields is")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	e, err := celEnv()
	if err != nil {
		return nil, []string{err.Error()}
	}
	c := &Collector{Name: name, limit: int(spec.Limit)}
	if spec.Limit <= 0 || spec.Limit > int64(^uint32(0)>>1) {
		c.limit = DefaultLimit
	}
	compile := func(what string, x controlv1alpha1.Expression) cel.Program {
		p, err := compileOne(e, x)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s invalid: %v", what, err))
		}
		return p
	}
	if spec.Filter != nil {
		c.filter = compile("filter expression", *spec.Filter)
	}
	for _, s := range spec.Select {
		c.sel = append(c.sel, column{name: s.Name, prog: compile(fmt.Sprintf("select expression (%s)", s.Name), s.Def)})
	}
	for _, g := range spec.GroupBy {
		c.groups = append(c.groups, column{name: g.Name, prog: compile(fmt.Sprintf("groupBy expression (%s)", g.Name), g.Def)})
	}
	for _, f := range spec.CombinedFields {
		a := aggregate{name: f.Name, kind: f.Type}
		switch {
		case f.Type == controlv1alpha1.AggregatorTypeCount:
			if f.Subject != nil {
				errs = append(errs, fmt.Sprintf("combinedField expression (%s) invalid: subject must be nil for %s type", f.Name, f.Type))
			}
		case !knownAggregator(f.Type):
			errs = append(errs, fmt.Sprintf("combinedField expression (%s) invalid: unknown type %q", f.Name, f.Type))
		case f.Subject == nil:
			errs = append(errs, fmt.Sprintf("combinedField expression (%s) invalid: subject must be set", f.Name))
		default:
			a.subject = compile(fmt.Sprintf("combinedField expression (%s) subject", f.Name), *f.Subject)
		}
		c.aggs = append(c.aggs, a)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func knownAggregator(t controlv1alpha1.AggregatorType) bool {
	switch t {
	case controlv1alpha1.AggregatorTypeCount, controlv1alpha1.AggregatorTypeSum, controlv1alpha1.AggregatorTypeAvg,
		controlv1alpha1.AggregatorTypeMin, controlv1alpha1.AggregatorTypeMax:
		return true
	}
	return false
}

// compileOne parses, checks and plans one expression, with the cost limit.
func compileOne(e *cel.Env, x controlv1alpha1.Expression) (cel.Program, error) {
	if len(x) > MaxExpressionBytes {
		return nil, fmt.Errorf("longer than %d bytes", MaxExpressionBytes)
	}
	ast, iss := e.Compile(string(x))
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	return e.Program(ast, cel.CostLimit(CostLimit))
}
