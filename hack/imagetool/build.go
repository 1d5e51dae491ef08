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
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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

func runBuild(args []string) error {
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	var (
		tag, out, user, workdir string
		arch                    = runtime.GOARCH
		adds, dirs, links       multi
		envs, labels            multi
		entrypoint, cmd         list
	)
	fl.StringVar(&tag, "tag", "", "image reference, e.g. localhost/busybox:1.35 (required)")
	fl.StringVar(&out, "out", "", "tarball to write (required)")
	fl.Var(&adds, "add", "SRC:DST[:MODE] host file or directory SRC as DST (repeatable)")
	fl.Var(&dirs, "dir", "DST[:MODE] an empty directory (repeatable)")
	fl.Var(&links, "symlink", "TARGET:LINK a symlink LINK -> TARGET (repeatable)")
	fl.Var(&entrypoint, "entrypoint", `ENTRYPOINT: JSON array or comma-separated list`)
	fl.Var(&cmd, "cmd", `CMD: JSON array or comma-separated list`)
	fl.StringVar(&user, "user", "", "USER[:GROUP]")
	fl.StringVar(&workdir, "workdir", "", "WORKDIR")
	fl.Var(&envs, "env", "KEY=VALUE environment variable (repeatable)")
	fl.Var(&labels, "label", "KEY=VALUE label (repeatable)")
	fl.StringVar(&arch, "arch", arch, "architecture recorded in the image config")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("build: unexpected arguments %q", fl.Args())
	}
	if tag == "" || out == "" {
		return errors.New("build: --tag and --out are required")
	}
	ref, err := name.ParseReference(tag, name.WeakValidation)
	if err != nil {
		return fmt.Errorf("--tag %q: %w", tag, err)
	}

	t := newTree()
	for _, a := range adds {
		src, dst, mode, err := splitAdd(a)
		if err != nil {
			return err
		}
		if err := t.addHost(src, dst, mode); err != nil {
			return fmt.Errorf("--add %s: %w", a, err)
		}
	}
	for _, d := range dirs {
		dst, mode := d, fs.FileMode(0o755)
		if i := strings.LastIndex(d, ":"); i >= 0 {
			m, err := parseMode(d[i+1:])
			if err != nil {
				return fmt.Errorf("--dir %s: %w", d, err)
			}
			dst, mode = d[:i], m
		}
		if err := t.addDir(dst, mode); err != nil {
			return fmt.Errorf("--dir %s: %w", d, err)
		}
	}
	for _, l := range links {
		target, link, ok := strings.Cut(l, ":")
		if !ok {
			return fmt.Errorf("--symlink %s: want TARGET:LINK", l)
		}
		if err := t.addSymlink(target, link); err != nil {
			return fmt.Errorf("--symlink %s: %w", l, err)
		}
	}

	layerBytes, err := t.tarball()
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = arch
	cf.Created = v1.Time{Time: epoch}
	cf.Author = "singleton-operator hack/imagetool"
	cf.History = []v1.History{{Created: v1.Time{Time: epoch}, CreatedBy: "hack/imagetool build", Comment: tag}}
	cf.Config.Env = withDefaultPath(envs)
	cf.Config.User = user
	cf.Config.WorkingDir = workdir
	if entrypoint.set {
		cf.Config.Entrypoint = entrypoint.value
	}
	if cmd.set {
		cf.Config.Cmd = cmd.value
	}
	if len(labels) > 0 {
		cf.Config.Labels = map[string]string{}
		for _, l := range labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok || k == "" {
				return fmt.Errorf("--label %s: want KEY=VALUE", l)
			}
			cf.Config.Labels[k] = v
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s digest=%s id=%s\n", out, ref.Name(), digest, id)
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
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		id, err := img.ConfigName()
		if err != nil {
			return err
		}
		fmt.Printf("tags=%s digest=%s id=%s\n", strings.Join(desc.RepoTags, ","), digest, id)
	}
	return nil
}
