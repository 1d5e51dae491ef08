package statemetrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Phase is a gauge `<name>{namespace,name,phase}` of the phase of one kind of object: a series
// for each phase the kind has, 1 for the object's current phase and 0 for the others (all 0
// while it has none yet). It is a prometheus.Collector.
type Phase struct {
	vec    *prometheus.GaugeVec
	phases []string
}

// NewPhase makes the gauge of the phases of one kind; register it.
func NewPhase(name, help string, phases ...string) *Phase {
	return &Phase{
		vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help},
			[]string{labelNamespace, labelName, "phase"}),
		phases: phases,
	}
}

// Set records the object's current phase.
func (p *Phase) Set(namespace, name, phase string) {
	for _, ph := range p.phases {
		v := 0.0
		if ph == phase {
			v = 1
		}
		p.vec.WithLabelValues(namespace, name, ph).Set(v)
	}
}

// Forget removes every series of a deleted object.
func (p *Phase) Forget(namespace, name string) {
	p.vec.DeletePartialMatch(prometheus.Labels{labelNamespace: namespace, labelName: name})
}

// Describe implements prometheus.Collector.
func (p *Phase) Describe(ch chan<- *prometheus.Desc) { p.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (p *Phase) Collect(ch chan<- prometheus.Metric) { p.vec.Collect(ch) }
