package imageconfig_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
)

const digestA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The route of a read: which repositories, in which order, as the nodes' CRI-O would read them.
func TestMirrorConfigRoute(t *testing.T) {
	idms := []imageconfig.MirrorRule{
		{Source: "quay.io/team", Mirrors: []string{"mirror.local/team", "backup.local/team"}},
		{Source: "quay.io/team/special", Mirrors: []string{"special.local/s"}, NeverContactSource: true},
		{Source: "registry.example.com", Mirrors: []string{"mirror.local/example"}},
		{Source: "*.redhat.io", Mirrors: []string{"mirror.local/redhat"}},
		{Source: "docker.io/library", Mirrors: []string{"mirror.local/hub"}},
		{Source: "ghcr.io/only-source", Mirrors: []string{"ghcr.io/only-source"}, NeverContactSource: true},
	}
	itms := []imageconfig.MirrorRule{
		{Source: "quay.io/team", Mirrors: []string{"tags.local/team"}},
		{Source: "tags.example.com", Mirrors: []string{"tags.local/example"}, NeverContactSource: true},
	}
	cfg := imageconfig.NewMirrorConfig(idms, itms)

	cases := []struct {
		name, ref string
		want      []string
		byDigest  bool
		blocked   bool
	}{
		{name: "no source matches", ref: "quay.io/other/app@" + digestA,
			want: []string{"quay.io/other/app"}, byDigest: true},
		{name: "digest: digest mirrors in order, then the source", ref: "quay.io/team/app@" + digestA,
			want: []string{"mirror.local/team/app", "backup.local/team/app", "quay.io/team/app"}, byDigest: true},
		{name: "tag: tag mirrors, then the source", ref: "quay.io/team/app:1",
			want: []string{"tags.local/team/app", "quay.io/team/app"}},
		{name: "the source itself", ref: "quay.io/team@" + digestA,
			want: []string{"mirror.local/team", "backup.local/team", "quay.io/team"}, byDigest: true},
		{name: "prefixes end on a path component", ref: "quay.io/teammate/app@" + digestA,
			want: []string{"quay.io/teammate/app"}, byDigest: true},
		{name: "the longest source wins, and it never contacts the source", ref: "quay.io/team/special/x@" + digestA,
			want: []string{"special.local/s/x"}, byDigest: true, blocked: true},
		{name: "the longest source wins for tags too: it has no tag mirror and is blocked",
			ref: "quay.io/team/special/x:1", want: nil, blocked: true},
		{name: "a registry host", ref: "registry.example.com/a/b/c@" + digestA,
			want: []string{"mirror.local/example/a/b/c", "registry.example.com/a/b/c"}, byDigest: true},
		{name: "a host is not a prefix of another host", ref: "registry.example.com.evil/a@" + digestA,
			want: []string{"registry.example.com.evil/a"}, byDigest: true},
		{name: "a digest mirror does not serve tags", ref: "registry.example.com/a:1",
			want: []string{"registry.example.com/a"}},
		{name: "a tag mirror does not serve digests, yet its NeverContactSource blocks them",
			ref: "tags.example.com/a@" + digestA, want: nil, byDigest: true, blocked: true},
		{name: "tag mirror, blocked source", ref: "tags.example.com/a:1",
			want: []string{"tags.local/example/a"}, blocked: true},
		{name: "a wildcard matches subdomains and replaces the host", ref: "registry.redhat.io/ubi9/ubi@" + digestA,
			want: []string{"mirror.local/redhat/ubi9/ubi", "registry.redhat.io/ubi9/ubi"}, byDigest: true},
		{name: "a wildcard does not match its own domain", ref: "redhat.io/x@" + digestA,
			want: []string{"redhat.io/x"}, byDigest: true},
		{name: "Docker Hub's short names are docker.io/library", ref: "busybox@" + digestA,
			want: []string{"mirror.local/hub/busybox", "index.docker.io/library/busybox"}, byDigest: true},
		{name: "a rule whose only mirror is its source does nothing", ref: "ghcr.io/only-source/x@" + digestA,
			want: []string{"ghcr.io/only-source/x"}, byDigest: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ref, err := name.ParseReference(tc.ref)
			g.Expect(err).NotTo(HaveOccurred())
			rt := cfg.Route(ref)
			g.Expect(repoNames(rt.Repositories)).To(Equal(tc.want))
			g.Expect(rt.ByDigest).To(Equal(tc.byDigest))
			g.Expect(rt.SourceBlocked).To(Equal(tc.blocked))
		})
	}
}

func TestMirrorConfigNone(t *testing.T) {
	g := NewWithT(t)
	ref, err := name.ParseReference("quay.io/team/app:1")
	g.Expect(err).NotTo(HaveOccurred())
	var none *imageconfig.MirrorConfig
	g.Expect(repoNames(none.Route(ref).Repositories)).To(Equal([]string{"quay.io/team/app"}))
	g.Expect(repoNames(imageconfig.NewMirrorConfig(nil, nil).Route(ref).Repositories)).To(
		Equal([]string{"quay.io/team/app"}))
}

// Rules for one source, from several objects, are merged as the Machine Config Operator merges
// them into one registries.conf entry.
func TestMirrorConfigMerge(t *testing.T) {
	ref, err := name.ParseReference("quay.io/app@" + digestA)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		rules []imageconfig.MirrorRule
		want  []string
	}{
		{name: "orders that agree are kept", rules: []imageconfig.MirrorRule{
			{Source: "quay.io", Mirrors: []string{"b.local", "c.local"}},
			{Source: "quay.io", Mirrors: []string{"a.local", "b.local"}},
		}, want: []string{"a.local/app", "b.local/app", "c.local/app", "quay.io/app"}},
		{name: "orders that disagree: first appearance", rules: []imageconfig.MirrorRule{
			{Source: "quay.io", Mirrors: []string{"a.local", "b.local"}},
			{Source: "quay.io", Mirrors: []string{"b.local", "a.local"}},
		}, want: []string{"a.local/app", "b.local/app", "quay.io/app"}},
		{name: "a source named between mirrors stays there", rules: []imageconfig.MirrorRule{
			{Source: "quay.io", Mirrors: []string{"a.local", "quay.io", "b.local"}},
		}, want: []string{"a.local/app", "quay.io/app", "b.local/app", "quay.io/app"}},
		{name: "one rule's NeverContactSource blocks the source", rules: []imageconfig.MirrorRule{
			{Source: "quay.io", Mirrors: []string{"a.local"}},
			{Source: "quay.io", Mirrors: []string{"b.local"}, NeverContactSource: true},
		}, want: []string{"a.local/app", "b.local/app"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rt := imageconfig.NewMirrorConfig(tc.rules, nil).Route(ref)
			g.Expect(repoNames(rt.Repositories)).To(Equal(tc.want))
		})
	}
}

func repoNames(repos []name.Repository) []string {
	if len(repos) == 0 {
		return nil
	}
	out := make([]string, 0, len(repos))
	for _, r := range repos {
		out = append(out, r.String())
	}
	return out
}
