package imageconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"k8s.io/utils/lru"
)

// Defaults of Options.
const (
	// DefaultCacheSize is how many digests' processes a Resolver keeps: a few hundred bytes
	// each.
	DefaultCacheSize = 1024
	// DefaultFailureTTL is how long a Resolver answers an image it could not read, in the same
	// scope, with the same failure, without asking the registry again: so that a registry that
	// cannot be reached costs one time budget per image and interval, not one per pod.
	DefaultFailureTTL = 15 * time.Second
	// maxReason bounds the length of a failure's text, which ends up in an event and an
	// annotation.
	maxReason = 300
)

// Options configure a Resolver.
type Options struct {
	// Transport reaches the registries; nil means remote.DefaultTransport (the environment's
	// proxy settings, the system's CAs).
	Transport http.RoundTripper
	// CacheSize is how many digests are cached; 0 means DefaultCacheSize.
	CacheSize int
	// FailureTTL is how long a failure is remembered; 0 means DefaultFailureTTL, negative off.
	FailureTTL time.Duration
	// Mirrors returns the cluster's current mirror configuration (MirrorWatcher.Config); nil,
	// or a nil answer, means none: every read goes to the repository the reference names.
	Mirrors func() *MirrorConfig
}

// Resolved is what a Resolver found for an image reference.
type Resolved struct {
	// Image is the reference to run: the reference given when it names a digest, else its
	// repository (as written) with the digest the tag pointed to, so that the kubelet pulls
	// and runs exactly the image whose process this is.
	Image string
	// Digest is the manifest's (or the index's) digest.
	Digest string
	// Process is the image's ENTRYPOINT and CMD (for an index, the same on every Linux
	// platform it holds).
	Process Process
}

// Resolver reads images' processes from their registries: a tag is resolved to its digest at
// every call (one HEAD request), and the process of a digest is cached (a digest's content
// never changes), so a digest reference already seen costs no request at all.
type Resolver struct {
	transport  http.RoundTripper
	failureTTL time.Duration
	mirrors    func() *MirrorConfig
	// processes maps a digest to its entry (a Process, or the error that the content itself
	// causes, such as platforms that disagree).
	processes *lru.Cache
	// failures maps scope + "\x00" + image to a failure and when it expires.
	failures *lru.Cache
}

type processEntry struct {
	process Process
	err     error
}

type failureEntry struct {
	err   error
	until time.Time
	// mirrors is the mirror configuration the failure happened under: a new one is tried anew.
	mirrors *MirrorConfig
}

// NewResolver returns a Resolver with the options given.
func NewResolver(o Options) *Resolver {
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	r := &Resolver{transport: tlsOnly{base}, failureTTL: o.FailureTTL, mirrors: o.Mirrors}
	if r.failureTTL == 0 {
		r.failureTTL = DefaultFailureTTL
	}
	size := o.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	r.processes = lru.New(size)
	r.failures = lru.New(size)
	return r
}

// Resolve returns the process and digest of the image, read with the keychain's credentials
// (anonymous where it has none) until ctx ends. scope names the credentials' domain (the
// pod's namespace and pull secrets): a failure is remembered per scope and image for the
// failure TTL, or until the mirror configuration changes.
func (r *Resolver) Resolve(ctx context.Context, image string, keychain authn.Keychain, scope string) (Resolved, error) {
	var mirrors *MirrorConfig
	if r.mirrors != nil {
		mirrors = r.mirrors()
	}
	key := scope + "\x00" + image
	if v, ok := r.failures.Get(key); ok {
		if f, _ := v.(failureEntry); time.Now().Before(f.until) && f.mirrors == mirrors {
			return Resolved{}, f.err
		}
		r.failures.Remove(key)
	}
	res, err := r.resolve(ctx, image, keychain, mirrors)
	if err != nil {
		err = shorten(err)
		if r.failureTTL > 0 {
			r.failures.Add(key, failureEntry{err: err, until: time.Now().Add(r.failureTTL), mirrors: mirrors})
		}
	}
	return res, err
}

func (r *Resolver) resolve(ctx context.Context, image string, keychain authn.Keychain, mirrors *MirrorConfig,
) (Resolved, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return Resolved{}, fmt.Errorf("the image reference does not parse: %w", err)
	}
	if keychain == nil {
		// Anonymous: never the operator's own credentials (authn.DefaultKeychain), which are
		// not the pod's.
		keychain = authn.NewMultiKeychain()
	}
	opts := []remote.Option{
		remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain), remote.WithTransport(r.transport),
		remote.WithUserAgent("singleton-operator"),
		// One quick retry at most: the caller's time budget is short, and the pod falls back to
		// the sidecar rather than wait.
		remote.WithRetryBackoff(remote.Backoff{Duration: 50 * time.Millisecond, Factor: 2, Steps: 2}),
	}
	var digest string
	tagMirrored := false
	if d, ok := ref.(name.Digest); ok {
		digest = d.DigestStr()
	} else {
		tagRoute := mirrors.Route(ref)
		tagMirrored = len(tagRoute.Mirrors) > 0
		digest, err = headTag(tagRoute, ref.Identifier(), opts)
		if err != nil {
			return Resolved{}, err
		}
	}
	// Read by digest where the nodes would pull the pinned reference (the source repository at
	// this digest) from: its digest mirrors, then the source.
	digestRoute := mirrors.Route(ref.Context().Digest(digest))
	if tagMirrored {
		// The nodes may pull this tag from a mirror, maybe because they cannot reach the source:
		// the pinned reference must then be served by a digest mirror too, which they use alike.
		if len(digestRoute.Mirrors) == 0 {
			return Resolved{}, fmt.Errorf("the tag has mirrors (ImageTagMirrorSet, source %s) and its digest has none "+
				"(ImageDigestMirrorSet): pinned, the nodes would pull it from the source", digestRoute.Source)
		}
		digestRoute.Repositories = digestRoute.Mirrors
	}
	entry, ok := r.cached(digest)
	if !ok {
		// So a tag found on a tag mirror is pinned only if its digest could be read from a digest
		// mirror too (unless its process was cached already: a digest's content is the same
		// wherever it is read).
		p, err := fetchByDigest(digestRoute, digest, opts)
		if err != nil && !errors.Is(err, errContent) {
			return Resolved{}, err
		}
		entry = processEntry{process: p, err: err}
		r.processes.Add(digest, entry)
	}
	if entry.err != nil {
		return Resolved{}, entry.err
	}
	return Resolved{Image: pin(image, ref, digest), Digest: digest, Process: entry.process}, nil
}

// headTag resolves the tag to a digest on the route's repositories, in order: the first that
// answers decides.
func headTag(rt Route, tag string, opts []remote.Option) (string, error) {
	failed := attempts{prep: "on"}
	for _, repo := range rt.Repositories {
		desc, err := remote.Head(repo.Tag(tag), opts...)
		if err == nil {
			return desc.Digest.String(), nil
		}
		failed.add(repo, rt, err)
	}
	return "", failed.error("resolving the tag", rt)
}

// fetchByDigest reads the process of the digest from the route's repositories, in order, until
// one answers; a failure that the content itself causes is the same everywhere and ends the
// search.
func fetchByDigest(rt Route, digest string, opts []remote.Option) (Process, error) {
	failed := attempts{prep: "from"}
	for _, repo := range rt.Repositories {
		p, err := fetchProcess(repo.Digest(digest), opts)
		if err == nil || errors.Is(err, errContent) {
			return p, err
		}
		failed.add(repo, rt, err)
	}
	return Process{}, failed.error("reading the image's configuration", rt)
}

// attempts collects the failures of a read along a route, for one error that names where each
// happened: the registry alone when there are no mirrors, as before there were.
type attempts struct {
	prep   string
	wheres []string
	errs   []error
}

func (a *attempts) add(repo name.Repository, rt Route, err error) {
	where := repo.RegistryStr()
	if rt.Source != "" {
		where = repo.String()
	}
	a.wheres = append(a.wheres, where)
	a.errs = append(a.errs, err)
}

func (a *attempts) error(what string, rt Route) error {
	switch {
	case len(a.errs) == 0 && rt.SourceBlocked:
		kind := "tag"
		if rt.ByDigest {
			kind = "digest"
		}
		return fmt.Errorf("%s: the mirror configuration of %s has no %s mirror and never contacts the source",
			what, rt.Source, kind)
	case len(a.errs) == 0:
		return fmt.Errorf("%s: no repository to read from", what)
	case len(a.errs) == 1 && rt.Source == "":
		return fmt.Errorf("%s %s %s: %w", what, a.prep, a.wheres[0], a.errs[0])
	}
	msgs := make([]string, len(a.errs))
	for i, err := range a.errs {
		msgs[i] = fmt.Sprintf("%s %s: %s", a.prep, a.wheres[i], brief(err))
	}
	msg := what + " " + strings.Join(msgs, "; ")
	if rt.SourceBlocked {
		msg += " (the source is never contacted)"
	}
	return &joinedError{msg: msg, errs: a.errs}
}

// brief is err without what the line names already (the request's URL): the status and the
// registry's error codes, or the network's error.
func brief(err error) string {
	var te *transport.Error
	if errors.As(err, &te) {
		msg := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
		for _, d := range te.Errors {
			msg += fmt.Sprintf(", %s: %s", d.Code, d.Message)
		}
		return msg
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// joinedError is several failures in one line (an event's, an annotation's).
type joinedError struct {
	msg  string
	errs []error
}

func (e *joinedError) Error() string   { return e.msg }
func (e *joinedError) Unwrap() []error { return e.errs }

func (r *Resolver) cached(digest string) (processEntry, bool) {
	v, ok := r.processes.Get(digest)
	if !ok {
		return processEntry{}, false
	}
	e, ok := v.(processEntry)
	return e, ok
}

// errContent marks the failures that the digest's content itself causes: they are cached
// with the digest, as its content never changes.
var errContent = errors.New("")

type contentError struct{ msg string }

func (e contentError) Error() string        { return e.msg }
func (e contentError) Is(target error) bool { return target == errContent }

// fetchProcess reads the process of the manifest or index at ref (a digest reference, which
// go-containerregistry checks the content against). For an index, every Linux platform's
// configuration is read, and they must agree: the node, and so the platform, is not known at
// admission.
func fetchProcess(ref name.Digest, opts []remote.Option) (Process, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return Process{}, err
	}
	switch {
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return Process{}, err
		}
		return processOf(img)
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return Process{}, err
		}
		return indexProcess(idx)
	default:
		return Process{}, contentError{fmt.Sprintf("the manifest's media type %q is neither an image nor an index",
			desc.MediaType)}
	}
}

func processOf(img v1.Image) (Process, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return Process{}, err
	}
	return Process{Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd}, nil
}

// indexProcess reads the configurations of the index's Linux images at once and returns
// their process when they all agree.
func indexProcess(idx v1.ImageIndex) (Process, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return Process{}, err
	}
	var platforms []v1.Descriptor
	for i := range im.Manifests {
		m := &im.Manifests[i]
		// Attestations ("unknown/unknown") and other systems' images are never run here; an
		// entry without a platform might be.
		if m.MediaType.IsImage() && (m.Platform == nil || m.Platform.OS == "linux") {
			platforms = append(platforms, *m)
		}
	}
	if len(platforms) == 0 {
		return Process{}, contentError{"the image index holds no Linux image"}
	}
	processes := make([]Process, len(platforms))
	errs := make([]error, len(platforms))
	var wg sync.WaitGroup
	for i := range platforms {
		wg.Go(func() {
			img, err := idx.Image(platforms[i].Digest)
			if err == nil {
				processes[i], err = processOf(img)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Process{}, err
	}
	for i := 1; i < len(processes); i++ {
		if !processes[i].Equal(processes[0]) {
			return Process{}, contentError{fmt.Sprintf(
				"the image index's platforms disagree on ENTRYPOINT and CMD (%s and %s), and the node is not known at admission",
				platformString(platforms[0].Platform), platformString(platforms[i].Platform))}
		}
	}
	return processes[0], nil
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "no platform"
	}
	return p.String()
}

// pin returns the reference the container should run: image itself when it names a digest,
// else its repository as written (without the tag) at digest. The tag is dropped because not
// every container runtime accepts a reference with both.
func pin(image string, ref name.Reference, digest string) string {
	tag, ok := ref.(name.Tag)
	if !ok {
		return image
	}
	base := image
	if suffix := ":" + tag.TagStr(); strings.HasSuffix(image, suffix) &&
		strings.LastIndex(image, ":") > strings.LastIndex(image, "/") {
		base = strings.TrimSuffix(image, suffix)
	}
	return base + "@" + digest
}

// tlsOnly refuses plain HTTP to anything but the loopback interface. go-containerregistry
// falls back to plain HTTP for registries named by a private (RFC 1918) address or a .local
// name when HTTPS fails; there, someone on the network could answer a tag's HEAD with the
// digest of another image of the repository (an older one, say), which the pod would then be
// pinned to. Such registries keep the sidecar; the loopback interface is the operator's own.
type tlsOnly struct{ base http.RoundTripper }

func (t tlsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !loopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("plain HTTP to %s refused: the image's digest must come over TLS", req.URL.Host)
	}
	return t.base.RoundTrip(req)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shorten bounds an error's text: registries answer with long bodies.
func shorten(err error) error {
	msg := err.Error()
	if len(msg) <= maxReason {
		return err
	}
	return errors.New(msg[:maxReason] + " (cut short)")
}
