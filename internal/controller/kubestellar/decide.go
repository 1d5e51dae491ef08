package kubestellar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// Labels and the annotation the operator writes on WDS objects.
const (
	// LabelExecutingCount is the size of the object's qualified WEC set, present only while
	// singleton reported state is requested (rule R3, docs/design.md).
	LabelExecutingCount = "kubestellar.io/executing-count"
	// LabelSingletonStatus is KubeStellar's marker of singleton reported state.
	LabelSingletonStatus = "managed-by.kubestellar.io/singletonstatus"
	// LabelMultiWECStatus is KubeStellar's marker of multi-WEC reported state.
	LabelMultiWECStatus = "managed-by.kubestellar.io/multiwecstatus"
	// AnnotationWECStatus lists each reporting WEC's kstatus, sorted by WEC: wec1=Current,wec2=InProgress.
	AnnotationWECStatus = "kubestellar.statefulsingleton.com/wec-status"
	// AnnotationReportingWECs is the number of qualified WECs that report the object, beside the
	// executing count (which counts the qualified WECs, reporting or not).
	AnnotationReportingWECs = "kubestellar.statefulsingleton.com/reporting-wecs"
)

// statusUnknown is kstatus's Unknown, the health of a WEC whose status cannot be read.
const statusUnknown = "Unknown"

// Modes of an object, the values of the metrics' mode label.
const (
	modeNone      = ""
	modeSingleton = "singleton"
	modeMultiWEC  = "multiwec"
)

// facts is what the reconciler gathered about one WDS object.
type facts struct {
	Wants wants
	// Reports are the reports of the qualified WECs that have a valid WorkStatus for the object,
	// sorted by WEC.
	Reports []summary.Report
	// Object is the WDS object, as the cache holds it: read only.
	Object *unstructured.Unstructured
	// StatusSubresource tells whether the object's kind has a status subresource.
	StatusSubresource bool
	// AnnotationsBumpGeneration tells whether a change of the object's annotations increments
	// its metadata.generation (Deployments do): the WEC health annotation is not written there,
	// since it would leave the copied observedGeneration behind and hold kubectl rollout status
	// and kstatus at InProgress.
	AnnotationsBumpGeneration bool
	// Owned is what the operator's field manager owns on the object now, and what KubeStellar's
	// status controller owns there, adopted (see KubeStellarStatusManager).
	Owned owned
	// SecondWriter tells that KubeStellar's status controller changed the object after this
	// operator last did: it still runs.
	SecondWriter bool
	// Excepted tells that the object's kind is one KubeStellar never returns status into
	// (Namespaces, CustomResourceDefinitions): nothing is written, what the operator owns goes.
	Excepted bool
}

// plan is what to write into one WDS object: what the operator means it to show (Status,
// Labels and Annotations, complete) and the JSON merge patches that take it there from what the
// cache holds (nil when nothing is to be written).
type plan struct {
	Mode        string
	Status      map[string]any
	Labels      map[string]string
	Annotations map[string]string
	// Health is each reporting WEC's kstatus.
	Health []summary.Health
	// Misconfigured says why the request cannot be honored (singleton reported state on a
	// qualified WEC set of other than one WEC); empty when it can.
	Misconfigured string
	// Malformed are the WECs left out of the summary for the shape of their status, with why.
	Malformed []summary.Health
	// SecondWriter tells that another controller writes the reported state of an object some
	// Binding asks for (see facts.SecondWriter).
	SecondWriter bool
	// StatusPatch is the merge patch of the status subresource ({"status": {...}}).
	StatusPatch map[string]any
	// MainPatch is the merge patch of the object: labels, annotations, and .status for kinds
	// without a status subresource.
	MainPatch map[string]any
}

// Writes counts the requests the plan takes.
func (p plan) Writes() int {
	n := 0
	if p.StatusPatch != nil {
		n++
	}
	if p.MainPatch != nil {
		n++
	}
	return n
}

// decide returns what to write into one WDS object: the dispatch of R1 and R2 (docs/design.md), the
// executing count (R3), and nothing when nothing changed or what the operator wrote is gone (R4).
func decide(f facts) (plan, error) {
	var p plan
	if f.Wants.Any() && !f.Excepted {
		if err := desired(&p, f); err != nil {
			return plan{}, err
		}
		p.SecondWriter = f.SecondWriter
	}
	compare(&p, f)
	return p, nil
}

// dispatch chooses the path for an object as KubeStellar's API says, from the flags and the size
// of its qualified WEC set (not the number of WECs that report): one qualified WEC, its status
// is copied (modeSingleton); multi-WEC requested and another number, the summary (modeMultiWEC);
// singleton requested alone on another number, nothing is returned (modeSingleton, misconfigured).
func dispatch(w wants) string {
	switch {
	case !w.Any():
		return modeNone
	case len(w.Qualified) == 1 || !w.MultiWEC:
		return modeSingleton
	default:
		return modeMultiWEC
	}
}

// desired fills in what the operator means to own on an object some Binding asks for.
func desired(p *plan, f facts) error {
	n := len(f.Wants.Qualified)
	p.Mode = dispatch(f.Wants)
	p.Labels = map[string]string{}
	if f.Wants.Singleton {
		p.Labels[LabelExecutingCount] = strconv.Itoa(n)
		p.Labels[LabelSingletonStatus] = "true"
	}
	if f.Wants.MultiWEC {
		p.Labels[LabelMultiWECStatus] = "true"
	}
	switch {
	case n == 1:
		if len(f.Reports) == 1 {
			p.Status = f.Reports[0].Status
			p.Health = []summary.Health{summary.HealthOf(f.Object, f.Reports[0])}
		}
	case f.Wants.MultiWEC:
		if err := combine(p, f); err != nil {
			return err
		}
	default:
		p.Misconfigured = fmt.Sprintf("singleton reported state is requested on %d qualified WECs, not 1: "+
			"nothing is returned", n)
		for _, r := range f.Reports {
			p.Health = append(p.Health, summary.HealthOf(f.Object, r))
		}
	}
	if len(p.Status) == 0 {
		p.Status = nil
	}
	if p.Status != nil {
		current, _ := f.Object.Object[keyStatus].(map[string]any)
		p.Status = keepCollisionCount(p.Status, current)
	}
	if !f.AnnotationsBumpGeneration {
		p.Annotations = map[string]string{AnnotationReportingWECs: strconv.Itoa(len(f.Reports))}
		if len(p.Health) > 0 {
			p.Annotations[AnnotationWECStatus] = healthAnnotation(p.Health)
		}
	}
	return nil
}

// combine summarizes the reports into p. A WEC whose status the summary cannot read (a
// *summary.ReportError) is left out, named in p.Malformed and in the health as Unknown, and the
// others are summarized: one WEC's bad status does not hold the others back.
func combine(p *plan, f facts) error {
	reports := f.Reports
	for len(reports) > 0 {
		res, err := summary.Summarize(f.Object, reports)
		var re *summary.ReportError
		if errors.As(err, &re) {
			i := slices.IndexFunc(reports, func(r summary.Report) bool { return r.WEC == re.WEC })
			if i >= 0 {
				p.Malformed = append(p.Malformed, summary.Health{WEC: re.WEC, Status: statusUnknown, Message: re.Error()})
				reports = slices.Delete(slices.Clone(reports), i, i+1)
				continue
			}
		}
		if err != nil {
			return err
		}
		p.Status, p.Health = res.Status, res.WECs
		break
	}
	p.Health = append(slices.Clone(p.Health), p.Malformed...)
	slices.SortFunc(p.Health, func(a, b summary.Health) int { return strings.Compare(a.WEC, b.WEC) })
	return nil
}

// compare fills in the patches from the object as the cache holds it: the differences of the
// status, labels and annotations, and the removal of what the operator owns and no longer means.
func compare(p *plan, f facts) {
	current, _ := f.Object.Object[keyStatus].(map[string]any)
	owned := f.Owned.Status
	if !f.StatusSubresource {
		owned = f.Owned.MainStatus
	}
	var status any
	var writeStatus bool
	if p.Status != nil {
		patch := mergePatch(current, p.Status)
		status, writeStatus = patch, patch != nil
	} else {
		status, writeStatus = removalPatch(current, owned)
	}
	meta := map[string]any{}
	if l := stringMapPatch(f.Object.GetLabels(), p.Labels, f.Owned.Labels); l != nil {
		meta["labels"] = l
	}
	if a := stringMapPatch(f.Object.GetAnnotations(), p.Annotations, f.Owned.Annotations); a != nil {
		meta["annotations"] = a
	}
	if writeStatus && f.StatusSubresource {
		p.StatusPatch = map[string]any{keyStatus: status}
	}
	if len(meta) > 0 || writeStatus && !f.StatusSubresource {
		p.MainPatch = map[string]any{}
		if len(meta) > 0 {
			p.MainPatch["metadata"] = meta
		}
		if writeStatus && !f.StatusSubresource {
			p.MainPatch[keyStatus] = status
		}
	}
}

// healthAnnotation renders the WECs' health as wec1=Current,wec2=InProgress (health is sorted).
func healthAnnotation(health []summary.Health) string {
	var b strings.Builder
	for i, h := range health {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(h.WEC)
		b.WriteByte('=')
		b.WriteString(h.Status)
	}
	return b.String()
}
