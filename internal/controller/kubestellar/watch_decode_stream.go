package kubestellar

import (
	"errors"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// eventStream is the watch.Decoder of a watch's response body: JSON watch events one after the
// other (whitespace between them allowed, as the standard framer allows it), each decoded
// straight from the bytes read by its eventDecoder (decodeWDSEvent for the WDS's objects,
// decodeWorkStatusEvent for the ITS's WorkStatuses). An event that the bytes read so far
// end inside is framed first (its end found without decoding it), so that a slowly arriving
// event is not decoded again and again.
type eventStream struct {
	body       io.ReadCloser
	buf        []byte
	start, end int  // buf[start:end] is read, not yet decoded
	eof        bool // body is at its end (or failed: readErr)
	readErr    error
	frame      eventFrame
	decode     eventDecoder
}

var _ watch.Decoder = &eventStream{}

const eventBufSize = 64 << 10

// eventDecoder decodes the event at the start of its bytes (decodeWDSEvent's contract).
type eventDecoder func([]byte) (watch.EventType, runtime.Object, int, error)

// newEventStream is a stream of the events that decode decodes.
func newEventStream(body io.ReadCloser, decode eventDecoder) *eventStream {
	return &eventStream{body: body, buf: make([]byte, eventBufSize), decode: decode}
}

// Decode returns the next event; io.EOF at the stream's clean end, io.ErrUnexpectedEOF when it
// ends inside an event.
func (s *eventStream) Decode() (watch.EventType, runtime.Object, error) {
	for {
		s.skipSpace()
		if s.start < s.end {
			break
		}
		if s.eof {
			return "", nil, s.endErr(io.EOF)
		}
		s.fill()
	}
	if s.buf[s.start] != '{' {
		return "", nil, s.notAnObject()
	}
	s.frame = eventFrame{}
	for {
		typ, obj, n, err := s.decode(s.buf[s.start:s.end])
		if err == nil {
			s.start += n
			return typ, obj, nil
		}
		if !errors.Is(err, errShortEvent) {
			return "", nil, err
		}
		if s.frame.done {
			return "", nil, errors.New("watch event framed but not decoded") // cannot happen
		}
		// Frame the event: read on until its end is in the buffer, then decode it once.
		for !s.frame.scan(s.buf[s.start:s.end]) {
			if s.eof {
				return "", nil, s.endErr(io.ErrUnexpectedEOF)
			}
			s.fill()
		}
	}
}

// notAnObject reads a stream's next value that is not an object, which ends the stream as the
// standard decode ends it: with an error if the value is complete (or not JSON), quietly if the
// stream ends inside it.
func (s *eventStream) notAnObject() error {
	for {
		b := s.buf[s.start:s.end]
		n := len(b)
		if c := b[0]; s.eof && (c == '-' || (c >= '0' && c <= '9')) {
			b = append(b, ' ') // a number may end where the stream ends
		}
		p := &eventParser{b: b}
		err := p.skip()
		switch {
		case err == nil:
			return errors.New("watch event is not a JSON object")
		case !errors.Is(err, errShortEvent) && p.i < n:
			return err
		case s.eof:
			return s.endErr(io.ErrUnexpectedEOF)
		}
		s.fill()
	}
}

func (s *eventStream) endErr(clean error) error {
	if s.readErr != nil {
		return s.readErr
	}
	return clean
}

func (s *eventStream) skipSpace() {
	for s.start < s.end {
		switch s.buf[s.start] {
		case ' ', '\t', '\n', '\r':
			s.start++
		default:
			return
		}
	}
}

// fill reads more of the body, making room first.
func (s *eventStream) fill() {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.body.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.eof = true
		if !errors.Is(err, io.EOF) {
			s.readErr = err
		}
	}
}

// Close closes the body, which ends a Decode waiting for it.
func (s *eventStream) Close() {
	_ = s.body.Close()
}

// eventFrame finds the end of the JSON value at a buffer's start, scanning only strings and
// brackets, resumable as the buffer grows (pos is relative to the value's start).
type eventFrame struct {
	pos      int
	depth    int
	inString bool
	escaped  bool
	done     bool
}

// scan goes on over b, reporting whether the value's end is in it.
func (f *eventFrame) scan(b []byte) bool {
	for ; f.pos < len(b); f.pos++ {
		c := b[f.pos]
		switch {
		case f.inString:
			switch {
			case f.escaped:
				f.escaped = false
			case c == '\\':
				f.escaped = true
			case c == '"':
				f.inString = false
			}
		case c == '"':
			f.inString = true
		case c == '{' || c == '[':
			f.depth++
		case c == '}' || c == ']':
			f.depth--
			if f.depth == 0 {
				f.pos++
				f.done = true
				return true
			}
		}
	}
	return false
}
