package kubestellar

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// tellDecision tells the user what a decision about ref found wrong, once per object and cause:
// a singleton request on other than one qualified WEC (a warning event, and the RequestsValid
// condition of the ReportedState), WECs left out of the summary for the shape of their status
// (a warning event; their health shows Unknown), and KubeStellar's status controller writing
// after this operator (a warning event, the SoleWriter condition, a metric). A cause that ends
// is forgotten, so that it is told again if it comes back.
func (c *connection) tellDecision(ref objectRef, obj runtime.Object, p plan) {
	news, changed := c.book.note(ref, causeSingletonWrongWECCount, p.Misconfigured)
	if news {
		c.log.Info("Singleton reported state requested on other than one qualified WEC", "object", ref.String(),
			"reason", p.Misconfigured)
		c.warnOf(obj, causeSingletonWrongWECCount, "Dispatch", "Nothing is returned into %s: %s", ref.String(),
			p.Misconfigured)
	}
	if changed && c.notify != nil {
		c.notify()
	}
	second := ""
	if p.SecondWriter {
		c.enqueueAfter(ref, secondWriterQuiet) // to end the note once it stopped
	}
	if c.book.sawSecondWriter(ref, p.SecondWriter, c.opts.Now(), secondWriterQuiet) {
		second = "KubeStellar's status controller (field manager " + KubeStellarStatusManager +
			") wrote it after this operator: run KubeStellar's controller-manager with --controllers=binding"
	}
	news, changed = c.book.note(ref, causeSecondWriter, second)
	if news {
		c.log.Info("A second controller writes reported state", "object", ref.String(), "manager", KubeStellarStatusManager)
		c.warnOf(obj, causeSecondWriter, "Write", "Two controllers write the reported state of %s: %s", ref.String(), second)
	}
	if changed && c.notify != nil {
		c.notify()
	}
	malformed := make([]string, 0, len(p.Malformed))
	for _, h := range p.Malformed {
		malformed = append(malformed, h.Message)
	}
	if news, _ := c.book.note(ref, causeMalformedReport, strings.Join(malformed, "; ")); news {
		c.log.Info("WECs left out of the summary: their status cannot be read", "object", ref.String(),
			"reason", strings.Join(malformed, "; "))
		c.warnOf(obj, causeMalformedReport, "Summarize", "Left out of the summary of %s: %s", ref.String(),
			strings.Join(malformed, "; "))
	}
}

// warnOf records a warning event about a WDS object (see warnAbout).
func (c *connection) warnOf(obj runtime.Object, reason, action, note string, args ...any) {
	switch {
	case c.warnAbout != nil:
		c.warnAbout(obj, reason, action, note, args...)
	case c.warn != nil:
		c.warn(reason, action, note, args...)
	}
}
