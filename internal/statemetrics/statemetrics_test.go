package statemetrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConditions(t *testing.T) {
	c := NewConditions("x_status_condition", "Conditions.")
	c.Set("ns", "a", []metav1.Condition{
		{Type: "Ready", Status: metav1.ConditionTrue},
		{Type: "Degraded", Status: metav1.ConditionFalse},
	})
	c.Set("other", "a", []metav1.Condition{{Type: "Ready", Status: metav1.ConditionUnknown}})
	expect(t, c, `
x_status_condition{name="a",namespace="ns",status="False",type="Degraded"} 1
x_status_condition{name="a",namespace="ns",status="False",type="Ready"} 0
x_status_condition{name="a",namespace="ns",status="True",type="Degraded"} 0
x_status_condition{name="a",namespace="ns",status="True",type="Ready"} 1
x_status_condition{name="a",namespace="ns",status="Unknown",type="Degraded"} 0
x_status_condition{name="a",namespace="ns",status="Unknown",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="False",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="True",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="Unknown",type="Ready"} 1
`)

	// A condition the object no longer has loses its series; a status change moves the 1.
	c.Set("ns", "a", []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse}})
	expect(t, c, `
x_status_condition{name="a",namespace="ns",status="False",type="Ready"} 1
x_status_condition{name="a",namespace="ns",status="True",type="Ready"} 0
x_status_condition{name="a",namespace="ns",status="Unknown",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="False",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="True",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="Unknown",type="Ready"} 1
`)

	// A deleted object loses every series, and only its own.
	c.Forget("ns", "a")
	expect(t, c, `
x_status_condition{name="a",namespace="other",status="False",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="True",type="Ready"} 0
x_status_condition{name="a",namespace="other",status="Unknown",type="Ready"} 1
`)
	c.Forget("other", "a")
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("%d series left after every object was forgotten", n)
	}
}

func TestPhase(t *testing.T) {
	p := NewPhase("x_status_phase", "Phase.", "Pending", "Running")
	p.Set("ns", "a", "")
	expect(t, p, `
x_status_phase{name="a",namespace="ns",phase="Pending"} 0
x_status_phase{name="a",namespace="ns",phase="Running"} 0
`)
	p.Set("ns", "a", "Running")
	p.Set("ns", "b", "Pending")
	expect(t, p, `
x_status_phase{name="a",namespace="ns",phase="Pending"} 0
x_status_phase{name="a",namespace="ns",phase="Running"} 1
x_status_phase{name="b",namespace="ns",phase="Pending"} 1
x_status_phase{name="b",namespace="ns",phase="Running"} 0
`)
	p.Forget("ns", "a")
	expect(t, p, `
x_status_phase{name="b",namespace="ns",phase="Pending"} 1
x_status_phase{name="b",namespace="ns",phase="Running"} 0
`)
}

func expect(t *testing.T, c prometheus.Collector, series string) {
	t.Helper()
	name := strings.SplitN(strings.TrimSpace(series), "{", 2)[0]
	text := "# HELP " + name + " " + help[name] + "\n# TYPE " + name + " gauge\n" + strings.TrimLeft(series, "\n")
	if err := testutil.CollectAndCompare(c, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
}

var help = map[string]string{"x_status_condition": "Conditions.", "x_status_phase": "Phase."}
