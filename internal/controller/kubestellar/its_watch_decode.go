package kubestellar

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	restclientwatch "k8s.io/client-go/rest/watch"
)

// The ITS WorkStatus watch's event decoder. client-go decodes a typed watch event in three
// scans of its JSON (the framer, the envelope, the object into WorkStatus with sigs.k8s.io/json)
// and builds the whole object, of which the cache's transform (stampWorkStatus) then keeps
// little. decodeWorkStatusEvent reads an ADDED, MODIFIED or DELETED event of a WorkStatus in one
// pass (eventParser, watch_decode.go) straight into a WorkStatus, which the transform then
// leaves as it leaves the standard decode's: equal field for field (its_watch_decode_test.go).
//
// What it builds differs from the standard decode only in what nobody reads (not built, but
// their JSON types checked as the standard decode checks them):
//   - labels and annotations: the transform drops them (the cache's selector is the API
//     server's);
//   - of managedFields, all but the entries writtenTime counts (a time, and a fieldsV1 that
//     fieldsHoldStatus finds f:status in), and of those all but their time (fieldsV1 is
//     statusFieldsV1): the transform reads their times and drops them;
//   - selfLink, which the API server no longer sets.
// TypeMeta is empty, as client-go's typed watch leaves it (runtime.WithoutVersionDecoder); the
// spec's fields other than sourceRef, and statusDetails, are skipped as the WorkStatus type
// skips them.
//
// Anything unusual goes to the standard decoder (client-go's own, on the event's bytes), which
// then decides: BOOKMARK and ERROR events (a Status), an envelope with a kind or apiVersion, a
// type after the object, another kind or apiVersion (or their keys spelt in another case, or
// twice), a known key twice (encoding/json would merge the two), a value of a type the field
// does not take, a number that is not a small integer, a time that does not parse. So where
// decodeWorkStatusEvent decides, it decides as client-go would; and it reads JSON syntax, the
// nesting limit and strings as the WDS decoder does, which agree with client-go's.

// decodeWorkStatusEvent decodes the watch event at the start of b, which must begin with '{'.
// It returns the bytes it used; errShortEvent when b ends inside the event.
func decodeWorkStatusEvent(b []byte) (watch.EventType, runtime.Object, int, error) {
	p := &itsParser{eventParser: eventParser{b: b}}
	typ, ws, err := p.event()
	if err != nil {
		return "", nil, 0, err
	}
	if p.odd || ws == nil {
		styp, obj, err := standardWorkStatusEvent(p.b[:p.i])
		return styp, obj, p.i, err
	}
	return typ, ws, p.i, nil
}

// itsParser reads a WorkStatus watch event; odd says it met something the standard decoder
// must decide (it reads on, checking the syntax, to find the event's end).
type itsParser struct {
	eventParser
	odd bool
	// The owner reference and managedFields entry being read: the parser's own, so that the
	// field tables' reads (indirect calls) do not move a new one to the heap for each.
	ownerRef     metav1.OwnerReference
	managedEntry managedEntry
}

// Keys the parser looks for (the others are in itsKeys).
const (
	keyType            = "type"
	keyObject          = "object"
	keyAPIVersion      = "apiVersion"
	keyKind            = "kind"
	keySpec            = "spec"
	keyName            = "name"
	keyNamespace       = "namespace"
	keyUID             = "uid"
	keyResourceVersion = "resourceVersion"
	keyManagedFields   = "managedFields"
	keyFieldsV1        = "fieldsV1"
	keyManager         = "manager"
)

// itsKeys are the keys the parser looks for (and statusDetails, common), which it reads
// without allocating.
var itsKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{keyType, keyObject, keyAPIVersion, keyKind, keyMetadata, keySpec, keyStatus,
		"statusDetails", keyName, "generateName", keyNamespace, "selfLink", keyUID, keyResourceVersion, "generation",
		"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
		"ownerReferences", "finalizers", keyManagedFields, "controller", "blockOwnerDeletion", keyManager,
		"operation", "fieldsType", "subresource", "time", keyFieldsV1, "sourceRef", "group", "version", "resource"} {
		m[k] = k
	}
	return m
}()

// object reads an object as eventParser's does, its known keys (itsKeys) without allocating.
func (p *itsParser) object(member func(key string) error) error {
	return p.objectRawKeys(func(start, end int, plain bool) error {
		if plain {
			if k, ok := itsKeys[string(p.b[start:end])]; ok {
				return member(k)
			}
		}
		q := eventParser{b: p.b[:end+1], i: start - 1}
		key, err := q.str()
		if err != nil {
			return err
		}
		return member(key)
	})
}

// checkString checks a string field that is not built: a string or null.
func (p *itsParser) checkString() error {
	switch p.peek() {
	case '"':
		return p.skipStr()
	case 'n':
		return p.literal("null")
	}
	return p.oddSkip()
}

// oddSkip notes something unusual and skips the value at p.
func (p *itsParser) oddSkip() error {
	p.odd = true
	return p.skip()
}

// once notes a key seen, and that it is unusual when seen before.
func (p *itsParser) once(seen *uint32, bit uint32) {
	if *seen&bit != 0 {
		p.odd = true
	}
	*seen |= bit
}

// event reads {"type": ..., "object": ...}: the object decoded when the type before it is
// ADDED, MODIFIED or DELETED, else skipped (ws nil) for the standard decoder.
func (p *itsParser) event() (watch.EventType, *WorkStatus, error) {
	var (
		typ  string
		ws   *WorkStatus
		seen uint32
	)
	err := p.object(func(key string) error {
		switch key {
		case keyType:
			p.once(&seen, 1)
			if seen&2 != 0 || p.peek() != '"' {
				return p.oddSkip()
			}
			s, err := p.str()
			typ = s
			return err
		case keyObject:
			p.once(&seen, 2)
			switch watch.EventType(typ) {
			case watch.Added, watch.Modified, watch.Deleted:
			default:
				return p.oddSkip()
			}
			if p.peek() != '{' {
				return p.oddSkip()
			}
			var err error
			ws, err = p.workStatus()
			return err
		default:
			if strings.EqualFold(key, keyKind) || strings.EqualFold(key, keyAPIVersion) {
				p.odd = true
			}
			return p.skip()
		}
	})
	return watch.EventType(typ), ws, err
}

// workStatus reads a WorkStatus object.
func (p *itsParser) workStatus() (*WorkStatus, error) {
	ws := &WorkStatus{}
	var seen uint32
	err := p.object(func(key string) error {
		switch key {
		case keyAPIVersion:
			p.once(&seen, 1)
			return p.expect(workStatusGVK.GroupVersion().String())
		case keyKind:
			p.once(&seen, 2)
			return p.expect(workStatusGVK.Kind)
		case keyMetadata:
			p.once(&seen, 4)
			return p.objectMeta(&ws.ObjectMeta)
		case keySpec:
			p.once(&seen, 8)
			return p.spec(&ws.Spec)
		case keyStatus:
			p.once(&seen, 16)
			if p.peek() == 'n' {
				return p.literal("null")
			}
			start := p.i
			if err := p.skip(); err != nil {
				return err
			}
			ws.Status = &runtime.RawExtension{Raw: bytes.Clone(p.b[start:p.i])}
			return nil
		default:
			// The standard decode finds the kind and apiVersion with encoding/json, whose keys
			// match in any case.
			if strings.EqualFold(key, keyKind) || strings.EqualFold(key, keyAPIVersion) {
				p.odd = true
			}
			return p.skip()
		}
	})
	if seen&3 != 3 {
		p.odd = true
	}
	return ws, err
}

// expect reads a string that must be want.
func (p *itsParser) expect(want string) error {
	if p.peek() != '"' {
		return p.oddSkip()
	}
	s, err := p.str()
	if s != want {
		p.odd = true
	}
	return err
}

// objectMeta reads metadata.
func (p *itsParser) objectMeta(m *metav1.ObjectMeta) error {
	return readObject(p, metaFields[:], m)
}

// readObject reads an object into v through its field table (readField); anything but an
// object is odd.
func readObject[T any](p *itsParser, fields []field[T], v *T) error {
	if p.peek() != '{' {
		return p.oddSkip()
	}
	var seen uint32
	return p.object(func(key string) error { return readField(p, fields, &seen, key, v) })
}

// field is a member of a JSON object that the parser reads into a T.
type field[T any] struct {
	key  string
	read func(*itsParser, *T) error
}

// readField reads the member key of an object into v with the entry of fields that names it,
// noting it seen (a key twice is unusual), or skips it when none does.
func readField[T any](p *itsParser, fields []field[T], seen *uint32, key string, v *T) error {
	for i := range fields {
		if fields[i].key == key {
			p.once(seen, 1<<i)
			return fields[i].read(p, v)
		}
	}
	return p.skip()
}

// metaFields are the fields of metadata the parser reads (the others it skips): selfLink (no
// longer set by the API server), labels and annotations only checked.
var metaFields = [...]field[metav1.ObjectMeta]{
	{keyName, func(p *itsParser, m *metav1.ObjectMeta) error { return p.string(&m.Name) }},
	{"generateName", func(p *itsParser, m *metav1.ObjectMeta) error { return p.string(&m.GenerateName) }},
	{keyNamespace, func(p *itsParser, m *metav1.ObjectMeta) error { return p.string(&m.Namespace) }},
	{"selfLink", func(p *itsParser, _ *metav1.ObjectMeta) error { return p.checkString() }},
	{keyUID, func(p *itsParser, m *metav1.ObjectMeta) error { return p.string((*string)(&m.UID)) }},
	{keyResourceVersion, func(p *itsParser, m *metav1.ObjectMeta) error { return p.string(&m.ResourceVersion) }},
	{"generation", func(p *itsParser, m *metav1.ObjectMeta) error {
		var n *int64
		err := p.int(&n)
		if n != nil {
			m.Generation = *n
		}
		return err
	}},
	{"creationTimestamp", func(p *itsParser, m *metav1.ObjectMeta) error {
		var t *metav1.Time
		err := p.time(&t)
		if t != nil {
			m.CreationTimestamp = *t
		}
		return err
	}},
	{"deletionTimestamp", func(p *itsParser, m *metav1.ObjectMeta) error { return p.time(&m.DeletionTimestamp) }},
	{"deletionGracePeriodSeconds", func(p *itsParser, m *metav1.ObjectMeta) error {
		return p.int(&m.DeletionGracePeriodSeconds)
	}},
	{"labels", func(p *itsParser, _ *metav1.ObjectMeta) error { return p.stringMap() }},
	{"annotations", func(p *itsParser, _ *metav1.ObjectMeta) error { return p.stringMap() }},
	{"ownerReferences", func(p *itsParser, m *metav1.ObjectMeta) error { return p.ownerReferences(&m.OwnerReferences) }},
	{"finalizers", func(p *itsParser, m *metav1.ObjectMeta) error { return p.finalizers(&m.Finalizers) }},
	{keyManagedFields, func(p *itsParser, m *metav1.ObjectMeta) error { return p.managedFields(&m.ManagedFields) }},
}

// string reads a string field; null leaves it as it is.
func (p *itsParser) string(s *string) error {
	switch p.peek() {
	case '"':
		v, err := p.str()
		*s = v
		return err
	case 'n':
		return p.literal("null")
	}
	return p.oddSkip()
}

// int reads an integer field as *n (nil for null); encoding/json's int64 parse is left to the
// standard decoder but for integers of at most 18 digits.
func (p *itsParser) int(n **int64) error {
	switch c := p.peek(); {
	case c == 'n':
		*n = nil
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		if err := p.numberEnd(); err != nil {
			return err
		}
		v, ok := smallInt(p.b[start:p.i])
		if !ok {
			p.odd = true
			return nil
		}
		*n = &v
		return nil
	}
	return p.oddSkip()
}

// time reads a metav1.Time as its UnmarshalJSON does (nil for null).
func (p *itsParser) time(t **metav1.Time) error {
	switch p.peek() {
	case 'n':
		*t = nil
		return p.literal("null")
	case '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		parsed, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			p.odd = true
			return nil
		}
		*t = &metav1.Time{Time: parsed.Local()}
		return nil
	}
	return p.oddSkip()
}

// bool reads a *bool field (nil for null).
func (p *itsParser) bool(b **bool) error {
	switch p.peek() {
	case 'n':
		*b = nil
		return p.literal("null")
	case 't':
		v := true
		*b = &v
		return p.literal("true")
	case 'f':
		v := false
		*b = &v
		return p.literal("false")
	}
	return p.oddSkip()
}

// stringMap checks a map[string]string (null, or an object of strings and nulls) without
// building it: labels and annotations, which the transform drops.
func (p *itsParser) stringMap() error {
	switch p.peek() {
	case 'n':
		return p.literal("null")
	case '{':
		return p.objectRawKeys(func(int, int, bool) error { return p.checkString() })
	}
	return p.oddSkip()
}

// list reads a slice field: nil for null, else non-nil (empty for []), elem reading each
// element (null included) into the next.
func (p *itsParser) list(isNil func(), elem func() error) error {
	switch p.peek() {
	case 'n':
		isNil()
		return p.literal("null")
	case '[':
		return p.array(elem)
	}
	return p.oddSkip()
}

func (p *itsParser) finalizers(f *[]string) error {
	*f = []string{}
	return p.list(func() { *f = nil }, func() error {
		var s string
		err := p.string(&s)
		*f = append(*f, s)
		return err
	})
}

func (p *itsParser) ownerReferences(refs *[]metav1.OwnerReference) error {
	*refs = []metav1.OwnerReference{}
	return p.list(func() { *refs = nil }, func() error {
		if p.peek() == 'n' {
			*refs = append(*refs, metav1.OwnerReference{})
			return p.literal("null")
		}
		if p.peek() != '{' {
			return p.oddSkip()
		}
		r := &p.ownerRef
		*r = metav1.OwnerReference{}
		err := readObject(p, ownerReferenceFields[:], r)
		*refs = append(*refs, *r)
		return err
	})
}

// ownerReferenceFields are the fields of an owner reference the parser reads.
var ownerReferenceFields = [...]field[metav1.OwnerReference]{
	{keyAPIVersion, func(p *itsParser, r *metav1.OwnerReference) error { return p.string(&r.APIVersion) }},
	{keyKind, func(p *itsParser, r *metav1.OwnerReference) error { return p.string(&r.Kind) }},
	{keyName, func(p *itsParser, r *metav1.OwnerReference) error { return p.string(&r.Name) }},
	{keyUID, func(p *itsParser, r *metav1.OwnerReference) error { return p.string((*string)(&r.UID)) }},
	{"controller", func(p *itsParser, r *metav1.OwnerReference) error { return p.bool(&r.Controller) }},
	{"blockOwnerDeletion", func(p *itsParser, r *metav1.OwnerReference) error { return p.bool(&r.BlockOwnerDeletion) }},
}

// statusFieldsV1 stands for the fieldsV1 of a managedFields entry that holds .status: what
// holdsStatus looks for, which is all writtenTime reads of it. Shared by the entries: nothing
// modifies it.
var statusFieldsV1 = metav1.NewFieldsV1(`{"f:status":{}}`)

// managedFields reads managedFields, keeping the entries that writtenTime counts (a time and a
// fieldsV1 that holds .status), with only their time and a fieldsV1 of statusFieldsV1; the
// others' fields are checked for their types only.
func (p *itsParser) managedFields(mfs *[]metav1.ManagedFieldsEntry) error {
	*mfs = nil
	return p.list(func() {}, func() error {
		if p.peek() == 'n' {
			return p.literal("null")
		}
		e := &p.managedEntry
		*e = managedEntry{}
		err := readObject(p, managedEntryFields[:], e)
		if e.time != nil && e.status {
			*mfs = append(*mfs, metav1.ManagedFieldsEntry{Time: e.time, FieldsV1: statusFieldsV1})
		}
		return err
	})
}

// managedEntry is what the parser keeps of a managedFields entry: its time, and whether its
// fieldsV1 holds .status.
type managedEntry struct {
	time   *metav1.Time
	status bool
}

// managedEntryFields are the fields of a managedFields entry the parser reads; the strings only
// checked.
var managedEntryFields = [...]field[managedEntry]{
	{keyManager, func(p *itsParser, _ *managedEntry) error { return p.checkString() }},
	{"operation", func(p *itsParser, _ *managedEntry) error { return p.checkString() }},
	{keyAPIVersion, func(p *itsParser, _ *managedEntry) error { return p.checkString() }},
	{"fieldsType", func(p *itsParser, _ *managedEntry) error { return p.checkString() }},
	{"subresource", func(p *itsParser, _ *managedEntry) error { return p.checkString() }},
	{"time", func(p *itsParser, e *managedEntry) error { return p.time(&e.time) }},
	{keyFieldsV1, func(p *itsParser, e *managedEntry) error {
		if p.peek() == 'n' {
			e.status = false
			return p.literal("null")
		}
		start := p.i
		err := p.skip()
		e.status = fieldsHoldStatus(p.b[start:p.i])
		return err
	}},
}

// spec reads a WorkStatus's spec.
func (p *itsParser) spec(s *WorkStatusSpec) error {
	switch p.peek() {
	case 'n':
		return p.literal("null")
	case '{':
	default:
		return p.oddSkip()
	}
	var seen uint32
	return p.object(func(key string) error {
		if key != "sourceRef" {
			return p.skip()
		}
		p.once(&seen, 1)
		if p.peek() == 'n' {
			return p.literal("null")
		}
		return readObject(p, sourceRefFields[:], &s.SourceRef)
	})
}

// sourceRefFields are the fields of a WorkStatus's spec.sourceRef.
var sourceRefFields = [...]field[SourceRef]{
	{"group", func(p *itsParser, r *SourceRef) error { return p.string(&r.Group) }},
	{"version", func(p *itsParser, r *SourceRef) error { return p.string(&r.Version) }},
	{"resource", func(p *itsParser, r *SourceRef) error { return p.string(&r.Resource) }},
	{keyKind, func(p *itsParser, r *SourceRef) error { return p.string(&r.Kind) }},
	{keyNamespace, func(p *itsParser, r *SourceRef) error { return p.string(&r.Namespace) }},
	{keyName, func(p *itsParser, r *SourceRef) error { return p.string(&r.Name) }},
}

// The ITS cache's typed decode, as controller-runtime makes it for WorkStatus
// (apiutil.RESTClientForGVK: a codec factory of the cluster's scheme, without conversion).
var (
	itsScheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		addWorkStatusToScheme(s)
		return s
	}()
	itsJSON = func() runtime.SerializerInfo {
		codecs := serializer.NewCodecFactory(itsScheme).WithoutConversion()
		info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
		if !ok {
			panic("the ITS codecs have no JSON serializer")
		}
		return info
	}()
	itsObjectDecoder runtime.Decoder = runtime.WithoutVersionDecoder{Decoder: itsJSON.Serializer}
)

// standardWorkStatusEvent decodes one event as client-go's typed watch of WorkStatuses does.
func standardWorkStatusEvent(raw []byte) (watch.EventType, runtime.Object, error) {
	frames := itsJSON.StreamSerializer.NewFrameReader(io.NopCloser(bytes.NewReader(raw)))
	d := restclientwatch.NewDecoder(streaming.NewDecoder(frames, itsJSON.StreamSerializer.Serializer), itsObjectDecoder)
	typ, obj, err := d.Decode()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // cannot happen: raw is one whole event
	}
	return typ, obj, err
}
