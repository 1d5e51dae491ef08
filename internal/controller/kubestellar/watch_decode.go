package kubestellar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	restclientwatch "k8s.io/client-go/rest/watch"
)

// The WDS watches' event decoder. client-go decodes a watch event of an unstructured object in
// three scans of its JSON (the framer, the envelope, the object) and builds the whole object,
// of which slimWDSObject then drops most (the managedFields of other managers, kubectl's
// last-applied copy of the object, the pod template). decodeWDSEvent reads an event in one pass
// and builds only what slimWDSObject keeps, skipping the rest unbuilt; its object equals
// slimWDSObject of the standard decode (watch_decode_test.go), which the cache's transform
// then finds slim already. The objects of BOOKMARK events (the reflector reads their
// k8s.io/initial-events-end annotation) and ERROR events are decoded in full; objects that the
// standard decode would not make an unstructured object of as they are (a Status, a kind that
// is missing or spelt twice) go to the standard decoder, as do events whose envelope has a kind
// or apiVersion of its own.
//
// It agrees with the standard decode byte for byte in what it accepts: JSON syntax (also of
// the values it skips), strings unescaped as encoding/json does them (invalid UTF-8 and lone
// surrogates as U+FFFD), numbers as int64 when integral and in range, else float64, the last
// of duplicate keys, a nesting depth of at most 10000 counting the envelope.

// errShortEvent says the bytes end inside the event: read more and decode it again.
var errShortEvent = errors.New("watch event continues past the bytes read")

// maxEventDepth is encoding/json's nesting limit, which the standard framer applies to the
// whole event.
const maxEventDepth = 10000

// decodeWDSEvent decodes the watch event at the start of b, which must begin with '{'. It
// returns the bytes it used; errShortEvent when b ends inside the event.
func decodeWDSEvent(b []byte) (watch.EventType, runtime.Object, int, error) {
	p := &eventParser{b: b}
	typ, obj, err := p.event()
	if err != nil {
		return "", nil, 0, err
	}
	return typ, obj, p.i, nil
}

// eventParser reads JSON from b at i. Syntax errors and errShortEvent end the parse at once;
// a semantic error (a number out of range) is kept in err until the event's end, since the
// standard decode reports a syntax error anywhere in the event first.
type eventParser struct {
	b     []byte
	i     int
	depth int
	err   error
	// strings, if set, interns the keys and the string values that value reads
	// (decodeStatusJSON's).
	strings *stringInterner
}

func (p *eventParser) syntaxErr(what string) error {
	if p.i >= len(p.b) {
		return errShortEvent
	}
	return fmt.Errorf("invalid character %q %s at offset %d of a watch event", p.b[p.i], what, p.i)
}

func (p *eventParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end of b.
func (p *eventParser) peek() byte {
	p.ws()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// pruning says which of slimWDSObject's cuts an object's decode makes.
type pruning bool

const (
	pruneNone pruning = false
	pruneSlim pruning = true
)

// event reads {"type": ..., "object": ...}: keys case-sensitive, others ignored, the last of
// duplicates winning, as the standard decode of metav1.WatchEvent does.
func (p *eventParser) event() (watch.EventType, runtime.Object, error) {
	typ, typedEnvelope := "", false
	o := eventObject{start: -1}
	err := p.object(func(key string) error {
		switch key {
		case "type":
			if p.peek() == 'n' { // null leaves a string field as it is
				return p.literal("null")
			}
			if p.peek() != '"' {
				if err := p.skip(); err != nil {
					return err
				}
				if p.err == nil {
					p.err = errors.New("watch event type is not a string")
				}
				return nil
			}
			s, err := p.str()
			typ = s
			return err
		case "object":
			return p.eventObject(typ, &o)
		default:
			if strings.EqualFold(key, "kind") || strings.EqualFold(key, "apiVersion") {
				typedEnvelope = true
			}
			return p.skip()
		}
	})
	if err != nil {
		return "", nil, err
	}
	if typedEnvelope {
		// The standard decode reads the envelope's own kind and apiVersion (the API server sends
		// none); let it.
		return standardEvent(p.b[:p.i])
	}
	if p.err != nil {
		return "", nil, p.err
	}
	switch watch.EventType(typ) {
	case watch.Added, watch.Modified, watch.Deleted, watch.Error, watch.Bookmark:
	default:
		return "", nil, fmt.Errorf("got invalid watch event type: %v", typ)
	}
	return p.eventResult(typ, o)
}

// eventObject is where an event's object was read, and how.
type eventObject struct {
	start, end int
	isMap      bool
	obj        map[string]any
	mode       pruning
	plain      bool
}

// eventObject reads an event's object (the last of them counts) as typ, if known yet, wants it.
func (p *eventParser) eventObject(typ string, o *eventObject) error {
	if p.peek() == 'n' { // null leaves the RawExtension as it is
		return p.literal("null")
	}
	o.start = p.i
	if p.peek() != '{' {
		o.isMap = false
		err := p.skip()
		o.end = p.i
		return err
	}
	o.isMap = true
	o.mode = modeFor(typ)
	var err error
	o.obj, o.plain, err = p.topObject(o.mode)
	o.end = p.i
	return err
}

// eventResult makes an event of what event() read.
func (p *eventParser) eventResult(typ string, o eventObject) (watch.EventType, runtime.Object, error) {
	if o.start < 0 || !o.isMap {
		return "", nil, errors.New("unable to decode watch event: its object is not a JSON object")
	}
	raw := p.b[o.start:o.end]
	mode := modeFor(typ)
	obj := o.obj
	if o.mode != mode {
		// The type came after the object (or twice): decode the object again as the type wants.
		q := &eventParser{b: raw, depth: 1}
		q.ws()
		var err error
		if obj, _, err = q.topObject(mode); err != nil {
			return "", nil, err
		}
	}
	if o.plain && plainGVK(obj) {
		return watch.EventType(typ), &unstructured.Unstructured{Object: obj}, nil
	}
	// Anything else, an ERROR's Status say, as the standard decode makes it.
	decoded, err := runtime.Decode(standardObjectDecoder, raw)
	if err != nil {
		return "", nil, fmt.Errorf("unable to decode watch event: %w", err)
	}
	if mode == pruneSlim {
		_, _ = slimWDSObject(decoded)
	}
	return watch.EventType(typ), decoded, nil
}

// standardJSON is the JSON serializer of client-go's dynamic client, whose watches decode an
// event's envelope with its stream serializer and the object with its serializer;
// standardObjectDecoder is the latter. basicTypes are the kinds it decodes into typed objects
// (metav1's), as the dynamic client's scheme has them.
var (
	standardJSON = func() runtime.SerializerInfo {
		info, ok := runtime.SerializerInfoForMediaType(
			dynamic.ConfigFor(&rest.Config{}).NegotiatedSerializer.SupportedMediaTypes(), runtime.ContentTypeJSON)
		if !ok {
			panic("client-go's dynamic client has no JSON serializer")
		}
		return info
	}()
	standardObjectDecoder runtime.Decoder = standardJSON.Serializer
	basicTypes                            = func() *runtime.Scheme {
		s := runtime.NewScheme()
		metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
		return s
	}()
)

// standardEvent decodes one event as client-go's dynamic client decodes it, and slims its object
// as decodeWDSEvent does.
func standardEvent(raw []byte) (watch.EventType, runtime.Object, error) {
	frames := standardJSON.StreamSerializer.NewFrameReader(io.NopCloser(bytes.NewReader(raw)))
	d := restclientwatch.NewDecoder(streaming.NewDecoder(frames, standardJSON.StreamSerializer.Serializer),
		standardObjectDecoder)
	typ, obj, err := d.Decode()
	if err != nil {
		return "", nil, err
	}
	if modeFor(string(typ)) == pruneSlim {
		_, _ = slimWDSObject(obj)
	}
	return typ, obj, nil
}

// plainGVK says whether the standard decode makes an unstructured object of obj, as it is: a
// kind and a version, not one of basicTypes.
func plainGVK(obj map[string]any) bool {
	apiVersion, ok1 := obj["apiVersion"].(string)
	kind, ok2 := obj["kind"].(string)
	if !ok1 || !ok2 || kind == "" {
		return false
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && gv.Version != "" && !basicTypes.Recognizes(gv.WithKind(kind))
}

// modeFor says how an event's object is decoded: slimmed as the cache keeps it, but a BOOKMARK
// (the reflector reads its k8s.io/initial-events-end annotation, and no transform runs on it)
// and an ERROR (a Status for apierrors.FromObject) in full.
func modeFor(typ string) pruning {
	switch watch.EventType(typ) {
	case watch.Bookmark, watch.Error:
		return pruneNone
	}
	return pruneSlim
}

// open reads the opening bracket of an object or array one level deeper, and its closing one
// too when nothing is between them (empty).
func (p *eventParser) open(opening, closing byte, what string) (empty bool, err error) {
	if p.peek() != opening {
		return false, p.syntaxErr("looking for the beginning of an " + what)
	}
	p.depth++
	if p.depth > maxEventDepth {
		return false, errors.New("watch event exceeds the maximum nesting depth")
	}
	p.i++
	if p.peek() == closing {
		p.i++
		p.depth--
		return true, nil
	}
	return false, nil
}

// object reads an object, calling member with p at each value (after its key and colon) to
// read or skip it.
func (p *eventParser) object(member func(key string) error) error {
	return p.objectRawKeys(func(start, end int, plain bool) error {
		if plain && p.strings == nil {
			return member(string(p.b[start:end]))
		}
		q := eventParser{b: p.b[:end+1], i: start - 1, strings: p.strings}
		key, err := q.key()
		if err != nil {
			return err
		}
		return member(key)
	})
}

// objectRawKeys reads an object as object does, giving member each key as p.b[start:end], its
// body between the quotes, checked but not unescaped unless plain (no escapes, ASCII only).
func (p *eventParser) objectRawKeys(member func(start, end int, plain bool) error) error {
	if empty, err := p.open('{', '}', "object"); err != nil || empty {
		return err
	}
	for {
		if p.peek() != '"' {
			return p.syntaxErr("looking for the beginning of an object key string")
		}
		end, plain, err := p.strEnd()
		if err != nil {
			return err
		}
		start := p.i + 1
		p.i = end + 1
		if p.peek() != ':' {
			return p.syntaxErr("after object key")
		}
		p.i++
		p.ws()
		if err := member(start, end, plain); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return nil
		default:
			return p.syntaxErr("after object key:value pair")
		}
	}
}

// array reads an array, calling elem with p at each element.
func (p *eventParser) array(elem func() error) error {
	if empty, err := p.open('[', ']', "array"); err != nil || empty {
		return err
	}
	for {
		p.ws()
		if err := elem(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return nil
		default:
			return p.syntaxErr("after array element")
		}
	}
}

// value reads any value in full.
func (p *eventParser) value() (any, error) {
	switch c := p.peek(); c {
	case '{':
		m := map[string]any{}
		err := p.object(func(key string) error {
			v, err := p.value()
			m[key] = v
			return err
		})
		return m, err
	case '[':
		a := make([]any, 0)
		err := p.array(func() error {
			v, err := p.value()
			a = append(a, v)
			return err
		})
		return a, err
	case '"':
		if p.strings != nil {
			return p.strValue()
		}
		return p.str()
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number()
		}
		return nil, p.syntaxErr("looking for beginning of value")
	}
}

// skip reads a value, checking its syntax, without building it.
func (p *eventParser) skip() error {
	switch c := p.peek(); c {
	case '{':
		return p.objectRawKeys(func(int, int, bool) error { return p.skip() })
	case '[':
		return p.array(p.skip)
	case '"':
		return p.skipStr()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.numberEnd()
		}
		return p.syntaxErr("looking for beginning of value")
	}
}

func (p *eventParser) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if p.i >= len(p.b) {
			return errShortEvent
		}
		if p.b[p.i] != word[k] {
			return p.syntaxErr("in literal " + word)
		}
		p.i++
	}
	return nil
}

// numberEnd reads a number's syntax.
func (p *eventParser) numberEnd() error {
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.b) {
		return errShortEvent
	}
	switch c := p.b[p.i]; {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return p.syntaxErr("in numeric literal")
	}
	if p.i >= len(p.b) {
		return errShortEvent
	}
	if p.b[p.i] == '.' {
		p.i++
		if err := p.someDigits("after decimal point in numeric literal"); err != nil {
			return err
		}
	}
	if c := p.b[p.i]; c == 'e' || c == 'E' {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if err := p.someDigits("in exponent of numeric literal"); err != nil {
			return err
		}
	}
	return nil
}

// digits reads decimal digits, returning how many.
func (p *eventParser) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// someDigits reads at least one digit, followed by more of the event.
func (p *eventParser) someDigits(where string) error {
	n := p.digits()
	switch {
	case p.i >= len(p.b):
		return errShortEvent
	case n == 0:
		return p.syntaxErr(where)
	}
	return nil
}

// number reads a number as the apimachinery decoder gives it: int64 when it has no fraction
// point and fits, else float64; one out of float64's range is an error (kept in p.err).
func (p *eventParser) number() (any, error) {
	start := p.i
	if err := p.numberEnd(); err != nil {
		return nil, err
	}
	lit := p.b[start:p.i]
	if n, ok := smallInt(lit); ok {
		return n, nil
	}
	s := string(lit)
	if !strings.Contains(s, ".") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("number %s does not fit a float64", s)
	}
	return f, nil
}

// smallInt parses an integer literal of at most 18 digits without allocating.
func smallInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// strEnd finds the closing quote of the string at p.i, checking its syntax; it returns
// whether the string needs unescaping (escapes or bytes outside ASCII).
func (p *eventParser) strEnd() (int, bool, error) {
	start := p.i + 1
	plain := true
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			return j, plain, nil
		case c == '\\':
			plain = false
			j++
			if j >= len(p.b) {
				return 0, false, errShortEvent
			}
			switch p.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 0; k < 4; k++ {
					j++
					if j >= len(p.b) {
						return 0, false, errShortEvent
					}
					if !isHex(p.b[j]) {
						p.i = j
						return 0, false, p.syntaxErr("in \\u hexadecimal character escape")
					}
				}
			default:
				p.i = j
				return 0, false, p.syntaxErr("in string escape code")
			}
		case c < ' ':
			p.i = j
			return 0, false, p.syntaxErr("in string literal")
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return 0, false, errShortEvent
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (p *eventParser) skipStr() error {
	end, _, err := p.strEnd()
	if err != nil {
		return err
	}
	p.i = end + 1
	return nil
}

// str reads a string, unescaped as encoding/json unescapes it.
func (p *eventParser) str() (string, error) {
	end, plain, err := p.strEnd()
	if err != nil {
		return "", err
	}
	raw := p.b[p.i+1 : end]
	p.i = end + 1
	if plain || (utf8.Valid(raw) && !hasBackslash(raw)) {
		return string(raw), nil
	}
	return unescape(raw), nil
}

// key reads an object's key: a string, interned when p interns strings and it needs no
// unescaping.
func (p *eventParser) key() (string, error) {
	if p.strings == nil {
		return p.str()
	}
	end, plain, err := p.strEnd()
	if err != nil {
		return "", err
	}
	if !plain {
		return p.str()
	}
	s := p.strings.key(p.b[p.i+1 : end])
	p.i = end + 1
	return s, nil
}

// strValue reads a string value, boxed: interned when it needs no unescaping.
func (p *eventParser) strValue() (any, error) {
	end, plain, err := p.strEnd()
	if err != nil {
		return nil, err
	}
	if !plain {
		return p.str()
	}
	v := p.strings.value(p.b[p.i+1 : end])
	p.i = end + 1
	return v, nil
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// unescape decodes a string's body whose syntax strEnd checked.
func unescape(s []byte) string {
	out := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := hex4(s[r+2 : r+6])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:r+6])); dec != unicode.ReplacementChar {
							out = utf8.AppendRune(out, dec)
							r += 6
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // '"', '\\', '/'
				out = append(out, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return string(out)
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
