package imageconfig

import (
	"cmp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// MirrorRule is one entry of an OpenShift ImageDigestMirrorSet (spec.imageDigestMirrors) or
// ImageTagMirrorSet (spec.imageTagMirrors).
type MirrorRule struct {
	// Source is a registry host (host[:port]), a repository or a repository prefix
	// (host[:port]/namespace[/...]), or a wildcard host (*.example.com).
	Source string
	// Mirrors are repositories (or prefixes) that hold the same images, in order of preference.
	Mirrors []string
	// NeverContactSource is mirrorSourcePolicy: NeverContactSource.
	NeverContactSource bool
}

// MirrorConfig is the cluster's mirror configuration as the nodes' CRI-O uses it: OpenShift's
// Machine Config Operator writes every ImageDigestMirrorSet and ImageTagMirrorSet into one
// registries.conf entry per source, and a read goes to the entry whose source matches the
// image's repository most specifically. Reads by digest try the entry's digest mirrors, reads by
// tag its tag mirrors, each in order, then the source itself unless a rule for that source
// (digest or tag) says NeverContactSource. The zero value, and nil, have no mirrors.
type MirrorConfig struct {
	entries []mirrorEntry
}

// mirrorEntry is what the nodes' registries.conf holds for one source.
type mirrorEntry struct {
	source        string
	digestMirrors []string
	tagMirrors    []string
	// blocked: the source is never contacted, for reads by digest or by tag.
	blocked bool
}

// NewMirrorConfig merges the rules of the cluster's ImageDigestMirrorSets (digest) and
// ImageTagMirrorSets (tag). Rules for the same source are merged as the Machine Config Operator
// merges them: their mirrors in an order that keeps each rule's order where the rules agree
// (first appearance breaks ties and cycles), and the source is blocked if any of them says
// NeverContactSource. A rule whose mirrors are only its source does nothing.
func NewMirrorConfig(digest, tag []MirrorRule) *MirrorConfig {
	bySource := map[string]*mirrorEntry{}
	entry := func(source string) *mirrorEntry {
		e, ok := bySource[source]
		if !ok {
			e = &mirrorEntry{source: source}
			bySource[source] = e
		}
		return e
	}
	for _, kind := range []struct {
		rules  []MirrorRule
		digest bool
	}{{digest, true}, {tag, false}} {
		lists := map[string][][]string{}
		var sources []string
		for _, r := range kind.rules {
			if !slices.ContainsFunc(r.Mirrors, func(m string) bool { return m != r.Source }) {
				continue
			}
			if _, ok := lists[r.Source]; !ok {
				sources = append(sources, r.Source)
			}
			lists[r.Source] = append(lists[r.Source], r.Mirrors)
			if r.NeverContactSource {
				entry(r.Source).blocked = true
			}
		}
		for _, source := range sources {
			merged := mergeMirrorLists(source, lists[source])
			if kind.digest {
				entry(source).digestMirrors = merged
			} else {
				entry(source).tagMirrors = merged
			}
		}
	}
	c := &MirrorConfig{}
	for _, e := range bySource {
		c.entries = append(c.entries, *e)
	}
	slices.SortFunc(c.entries, func(a, b mirrorEntry) int { return cmp.Compare(a.source, b.source) })
	return c
}

// mergeMirrorLists orders the mirrors of several rules for one source so that each rule's order
// holds where they agree: a topological sort of "comes before" (each list's consecutive pairs,
// and its last element before the source), ties and cycles broken by first appearance. The
// source is left out when it comes last, as it is tried last anyway; a rule that names it
// between mirrors keeps it there.
func mergeMirrorLists(source string, lists [][]string) []string {
	nodes, before := precedence(source, lists)
	out := make([]string, 0, len(nodes))
	done := map[string]bool{}
	ready := func(n string) bool {
		for p := range before[n] {
			if !done[p] {
				return false
			}
		}
		return true
	}
	for len(out) < len(nodes) {
		next := ""
		for _, n := range nodes {
			if !done[n] && (ready(n) || next == "") {
				next = n // the first ready one; else (a cycle) the first remaining one
				if ready(n) {
					break
				}
			}
		}
		done[next] = true
		out = append(out, next)
	}
	if out[len(out)-1] == source {
		out = out[:len(out)-1]
	}
	return out
}

// precedence returns the mirrors and the source in order of first appearance, and for each the
// set of those that must come before it.
func precedence(source string, lists [][]string) (nodes []string, before map[string]map[string]bool) {
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			nodes = append(nodes, n)
		}
	}
	before = map[string]map[string]bool{}
	edge := func(a, b string) {
		if a == b {
			return
		}
		if before[b] == nil {
			before[b] = map[string]bool{}
		}
		before[b][a] = true
	}
	for _, l := range lists {
		for i, m := range l {
			add(m)
			if i > 0 {
				edge(l[i-1], m)
			}
		}
		if !slices.Contains(l, source) {
			edge(l[len(l)-1], source)
		}
	}
	add(source)
	return nodes, before
}

// Route is where a read of an image reference goes.
type Route struct {
	// Repositories are the repositories to read from, in order: mirrors, then the reference's
	// own repository unless its source is never contacted. Empty when there is nowhere to read.
	Repositories []name.Repository
	// ByDigest: the read is by digest (digest mirrors apply), else by tag (tag mirrors apply).
	ByDigest bool
	// Mirrors are the mirrors among Repositories (not the reference's own repository), in order.
	Mirrors []name.Repository
	// Source is the matching rule's source, empty when none matches.
	Source string
	// SourceBlocked: the reference's own repository is not in Repositories (NeverContactSource).
	SourceBlocked bool
}

// Route returns where a read of ref goes: its repository alone when no source matches it. A
// mirror that does not make a repository name is left out.
func (c *MirrorConfig) Route(ref name.Reference) Route {
	_, byDigest := ref.(name.Digest)
	own := ref.Context()
	rt := Route{ByDigest: byDigest}
	e, n := c.match(repositoryKey(own))
	if e == nil {
		rt.Repositories = []name.Repository{own}
		return rt
	}
	rt.Source = e.source
	mirrors := e.tagMirrors
	if byDigest {
		mirrors = e.digestMirrors
	}
	rest := repositoryKey(own)[n:]
	for _, m := range mirrors {
		if m == e.source {
			rt.Repositories = append(rt.Repositories, own)
			continue
		}
		repo, err := name.NewRepository(m + rest)
		if err != nil {
			continue
		}
		rt.Repositories = append(rt.Repositories, repo)
		rt.Mirrors = append(rt.Mirrors, repo)
	}
	if e.blocked {
		rt.SourceBlocked = true
	} else {
		rt.Repositories = append(rt.Repositories, own)
	}
	return rt
}

// match returns the entry whose source matches key most specifically (the longest source; a
// host wins over a wildcard of the same length), and how many leading bytes of key it matched.
func (c *MirrorConfig) match(key string) (*mirrorEntry, int) {
	if c == nil {
		return nil, 0
	}
	var best *mirrorEntry
	bestMatched := 0
	for i := range c.entries {
		e := &c.entries[i]
		matched, ok := sourceMatches(e.source, key)
		if !ok {
			continue
		}
		if best == nil || len(e.source) > len(best.source) ||
			len(e.source) == len(best.source) && strings.HasPrefix(best.source, "*.") {
			best, bestMatched = e, matched
		}
	}
	return best, bestMatched
}

// sourceMatches says whether source matches the repository key (host[:port]/path), and how much
// of key it covers: the whole source, on a path component boundary; for a wildcard
// (*.example.com), the host, which must be a subdomain of it (and have no port).
func sourceMatches(source, key string) (int, bool) {
	if suffix, ok := strings.CutPrefix(source, "*"); ok {
		host, _, _ := strings.Cut(key, "/")
		return len(host), strings.HasPrefix(suffix, ".") && strings.HasSuffix(host, suffix)
	}
	if key == source || strings.HasPrefix(key, source+"/") {
		return len(source), true
	}
	return 0, false
}

// repositoryKey is the repository as the nodes name it (host[:port]/path): Docker Hub is
// docker.io, as CRI-O normalizes it and as mirror sources name it.
func repositoryKey(repo name.Repository) string {
	host := repo.RegistryStr()
	if host == name.DefaultRegistry {
		host = "docker.io"
	}
	return host + "/" + repo.RepositoryStr()
}
