package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// list is a flag holding an argv: a JSON array or a comma-separated list.
type list struct {
	set   bool
	value []string
}

func (l *list) String() string { return strings.Join(l.value, ",") }
func (l *list) Set(v string) error {
	l.set = true
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") {
		var out []string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return fmt.Errorf("not a JSON array of strings: %w", err)
		}
		l.value = out
		return nil
	}
	if v == "" {
		l.value = nil
		return nil
	}
	l.value = strings.Split(v, ",")
	return nil
}

// buildSpec is what the flags of `imagetool build` ask for.
type buildSpec struct {
	tag, out        string
	ref             name.Reference // tag, parsed
	adds            multi          // --add SRC:DST[:MODE]
	dirs            multi          // --dir DST[:MODE]
	links           multi          // --symlink TARGET:LINK
	entrypoint, cmd list
	user, workdir   string
	envs, labels    multi // KEY=VALUE each
	arch            string
}

func runBuild(args []string) error {
	spec, err := parseBuildFlags(args)
	if err != nil {
		return err
	}
	t, err := spec.layerTree()
	if err != nil {
		return err
	}
	img, err := spec.image(t)
	if err != nil {
		return err
	}
	if err := writeArchive(spec.out, spec.ref, img); err != nil {
		return err
	}
	return printImage(spec.out, spec.ref, img)
}

// parseBuildFlags parses the arguments of `imagetool build`. The values of the repeatable
// flags are checked later, where they are used.
func parseBuildFlags(args []string) (*buildSpec, error) {
	s := &buildSpec{arch: runtime.GOARCH}
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	fl.StringVar(&s.tag, "tag", "", "image reference, e.g. localhost/busybox:1.35 (required)")
	fl.StringVar(&s.out, "out", "", "tarball to write (required)")
	fl.Var(&s.adds, "add", "SRC:DST[:MODE] host file or directory SRC as DST (repeatable)")
	fl.Var(&s.dirs, "dir", "DST[:MODE] an empty directory (repeatable)")
	fl.Var(&s.links, "symlink", "TARGET:LINK a symlink LINK -> TARGET (repeatable)")
	fl.Var(&s.entrypoint, "entrypoint", `ENTRYPOINT: JSON array or comma-separated list`)
	fl.Var(&s.cmd, "cmd", `CMD: JSON array or comma-separated list`)
	fl.StringVar(&s.user, "user", "", "USER[:GROUP]")
	fl.StringVar(&s.workdir, "workdir", "", "WORKDIR")
	fl.Var(&s.envs, "env", "KEY=VALUE environment variable (repeatable)")
	fl.Var(&s.labels, "label", "KEY=VALUE label (repeatable)")
	fl.StringVar(&s.arch, "arch", s.arch, "architecture recorded in the image config")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("build: unexpected arguments %q", fl.Args())
	}
	if s.tag == "" || s.out == "" {
		return nil, errors.New("build: --tag and --out are required")
	}
	ref, err := name.ParseReference(s.tag, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("--tag %q: %w", s.tag, err)
	}
	s.ref = ref
	return s, nil
}

// layerTree collects the files of the layer: the --add flags, then --dir, then --symlink.
func (s *buildSpec) layerTree() (*tree, error) {
	t := newTree()
	for _, a := range s.adds {
		if err := addFlag(t, a); err != nil {
			return nil, err
		}
	}
	for _, d := range s.dirs {
		if err := dirFlag(t, d); err != nil {
			return nil, err
		}
	}
	for _, l := range s.links {
		if err := symlinkFlag(t, l); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addFlag adds the host file or directory of an --add SRC:DST[:MODE] to t.
func addFlag(t *tree, a string) error {
	src, dst, mode, err := splitAdd(a)
	if err != nil {
		return err
	}
	if err := t.addHost(src, dst, mode); err != nil {
		return fmt.Errorf("--add %s: %w", a, err)
	}
	return nil
}

// dirFlag adds the directory of a --dir DST[:MODE] to t.
func dirFlag(t *tree, d string) error {
	dst, mode, err := splitDir(d)
	if err != nil {
		return fmt.Errorf("--dir %s: %w", d, err)
	}
	if err := t.addDir(dst, mode); err != nil {
		return fmt.Errorf("--dir %s: %w", d, err)
	}
	return nil
}

// symlinkFlag adds the symlink of a --symlink TARGET:LINK to t.
func symlinkFlag(t *tree, l string) error {
	target, link, ok := strings.Cut(l, ":")
	if !ok {
		return fmt.Errorf("--symlink %s: want TARGET:LINK", l)
	}
	if err := t.addSymlink(target, link); err != nil {
		return fmt.Errorf("--symlink %s: %w", l, err)
	}
	return nil
}

// image makes the image: one layer, the files of t, and the config of the flags, with the
// media types of an OCI image.
func (s *buildSpec) image(t *tree) (v1.Image, error) {
	layer, err := layerOf(t)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	baseConfig, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf, err := s.config(baseConfig)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigFile(img, cf)
}

// layerOf makes the layer of t.
func layerOf(t *tree) (v1.Layer, error) {
	layerBytes, err := t.tarball()
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// config returns a copy of base with the platform, a fixed creation time and history, and
// the runtime settings of the flags.
func (s *buildSpec) config(base *v1.ConfigFile) (*v1.ConfigFile, error) {
	labels, err := parseLabels(s.labels)
	if err != nil {
		return nil, err
	}
	cf := base.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = s.arch
	cf.Created = v1.Time{Time: epoch}
	cf.Author = "singleton-operator hack/imagetool"
	cf.History = []v1.History{{Created: v1.Time{Time: epoch}, CreatedBy: "hack/imagetool build", Comment: s.tag}}
	cf.Config.Env = withDefaultPath(s.envs)
	cf.Config.User = s.user
	cf.Config.WorkingDir = s.workdir
	if s.entrypoint.set {
		cf.Config.Entrypoint = s.entrypoint.value
	}
	if s.cmd.set {
		cf.Config.Cmd = s.cmd.value
	}
	if labels != nil {
		cf.Config.Labels = labels
	}
	return cf, nil
}

// printImage prints the tarball, the reference, the manifest digest, the image ID and the
// reference by digest (repository@sha256:..., under which the tarball also names the image).
func printImage(out string, ref name.Reference, img v1.Image) error {
	ids, err := identify(img)
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s ref=%s\n", out, ref.Name(), ids, digestReference(ref, digest))
	return nil
}

// splitAdd parses SRC:DST[:MODE].
func splitAdd(a string) (src, dst string, mode *fs.FileMode, err error) {
	parts := strings.Split(a, ":")
	switch len(parts) {
	case 2:
	case 3:
		m, err := parseMode(parts[2])
		if err != nil {
			return "", "", nil, fmt.Errorf("--add %s: %w", a, err)
		}
		mode = &m
	default:
		return "", "", nil, fmt.Errorf("--add %s: want SRC:DST[:MODE]", a)
	}
	if parts[0] == "" || parts[1] == "" {
		return "", "", nil, fmt.Errorf("--add %s: want SRC:DST[:MODE]", a)
	}
	return parts[0], parts[1], mode, nil
}

// splitDir parses DST[:MODE]; the mode defaults to 0755.
func splitDir(d string) (dst string, mode fs.FileMode, err error) {
	i := strings.LastIndex(d, ":")
	if i < 0 {
		return d, 0o755, nil
	}
	m, err := parseMode(d[i+1:])
	if err != nil {
		return "", 0, err
	}
	return d[:i], m, nil
}

// parseLabels parses KEY=VALUE labels into a map; no labels give nil.
func parseLabels(labels []string) (map[string]string, error) {
	if len(labels) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(labels))
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %s: want KEY=VALUE", l)
		}
		out[k] = v
	}
	return out, nil
}

// parseMode parses an octal mode such as 0755 or 1777.
func parseMode(s string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("mode %q: want octal permissions such as 0755", s)
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m, nil
}

// withDefaultPath returns envs with a default PATH first unless envs sets PATH.
func withDefaultPath(envs []string) []string {
	for _, e := range envs {
		if strings.HasPrefix(e, "PATH=") {
			return append([]string(nil), envs...)
		}
	}
	return append([]string{defaultPath}, envs...)
}

func runInspect(args []string) error {
	if len(args) != 1 {
		return errors.New("inspect: want one tarball")
	}
	images, ok, err := readArchiveIndex(args[0])
	if err != nil {
		return err
	}
	if ok {
		for _, im := range images {
			fmt.Printf("names=%s digest=%s id=%s\n", strings.Join(im.names, ","), im.digest, im.id)
		}
		return nil
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(args[0]) })
	if err != nil {
		return err
	}
	for _, desc := range m {
		var tag *name.Tag
		if len(desc.RepoTags) > 0 {
			t, err := name.NewTag(desc.RepoTags[0], name.WeakValidation)
			if err != nil {
				return err
			}
			tag = &t
		}
		img, err := tarball.ImageFromPath(args[0], tag)
		if err != nil {
			return err
		}
		ids, err := identify(img)
		if err != nil {
			return err
		}
		fmt.Printf("tags=%s %s\n", strings.Join(desc.RepoTags, ","), ids)
	}
	return nil
}

// identify returns "digest=<manifest digest> id=<config digest>" of an image.
func identify(img v1.Image) (string, error) {
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	id, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("digest=%s id=%s", digest, id), nil
}
