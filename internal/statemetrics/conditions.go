package statemetrics

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The statuses a condition may have, each a series of its type.
var conditionStatuses = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}

// Conditions is a gauge `<name>{namespace,name,type,status}` of the conditions of one kind of
// object. It is a prometheus.Collector.
type Conditions struct {
	vec *prometheus.GaugeVec
	mu  sync.Mutex
	// types are the condition types each object has series of, to remove those it loses.
	types map[types.NamespacedName][]string
}

// NewConditions makes the gauge of the conditions of one kind; register it.
func NewConditions(name, help string) *Conditions {
	return &Conditions{
		vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help},
			[]string{labelNamespace, labelName, "type", "status"}),
		types: map[types.NamespacedName][]string{},
	}
}

// Set makes the object's series those of its conditions.
func (c *Conditions) Set(namespace, name string, conditions []metav1.Condition) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := make([]string, 0, len(conditions))
	for _, cond := range conditions {
		now = append(now, cond.Type)
		for _, s := range conditionStatuses {
			v := 0.0
			if cond.Status == s {
				v = 1
			}
			c.vec.WithLabelValues(namespace, name, cond.Type, string(s)).Set(v)
		}
	}
	for _, old := range c.types[key] {
		if !slices.Contains(now, old) {
			for _, s := range conditionStatuses {
				c.vec.DeleteLabelValues(namespace, name, old, string(s))
			}
		}
	}
	c.types[key] = now
}

// Forget removes every series of a deleted object.
func (c *Conditions) Forget(namespace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vec.DeletePartialMatch(prometheus.Labels{labelNamespace: namespace, labelName: name})
	delete(c.types, types.NamespacedName{Namespace: namespace, Name: name})
}

// Describe implements prometheus.Collector.
func (c *Conditions) Describe(ch chan<- *prometheus.Desc) { c.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (c *Conditions) Collect(ch chan<- prometheus.Metric) { c.vec.Collect(ch) }
