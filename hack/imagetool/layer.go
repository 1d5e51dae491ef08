package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// epoch is the modification time of every entry of a layer.
var epoch = time.Unix(0, 0).UTC()

// entry is one file, directory or symlink of a layer.
type entry struct {
	name     string      // path in the image, relative (no leading slash), cleaned
	typ      byte        // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	mode     fs.FileMode // permission bits (and setuid/setgid/sticky)
	src      string      // host file of a regular file
	linkname string      // target of a symlink
}

// tree collects the entries of a layer; later additions replace earlier ones of the same path.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

// imagePath cleans an absolute or relative path in the image into the form of tar names.
func imagePath(p string) (string, error) {
	c := path.Clean("/" + p)
	if c == "/" {
		return "", fmt.Errorf("%q: the root directory is not a valid destination", p)
	}
	return strings.TrimPrefix(c, "/"), nil
}

// parents adds the missing parent directories of name, mode 0755.
func (t *tree) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	if e, ok := t.entries[dir]; ok {
		if e.typ != tar.TypeDir {
			return fmt.Errorf("%s: parent %s is not a directory", name, dir)
		}
		return nil
	}
	if err := t.parents(dir); err != nil {
		return err
	}
	t.entries[dir] = &entry{name: dir, typ: tar.TypeDir, mode: 0o755}
	return nil
}

func (t *tree) put(e *entry) error {
	if err := t.parents(e.name); err != nil {
		return err
	}
	if old, ok := t.entries[e.name]; ok && old.typ == tar.TypeDir && e.typ == tar.TypeDir {
		// Re-adding a directory only changes its mode.
		old.mode = e.mode
		return nil
	}
	t.entries[e.name] = e
	return nil
}

// addDir adds an empty directory.
func (t *tree) addDir(dst string, mode fs.FileMode) error {
	name, err := imagePath(dst)
	if err != nil {
		return err
	}
	return t.put(&entry{name: name, typ: tar.TypeDir, mode: mode})
}

// addSymlink adds the symlink dst -> target.
func (t *tree) addSymlink(target, dst string) error {
	name, err := imagePath(dst)
	if err != nil {
		return err
	}
	if target == "" {
		return fmt.Errorf("symlink %s: empty target", dst)
	}
	return t.put(&entry{name: name, typ: tar.TypeSymlink, mode: 0o777, linkname: target})
}

// addHost adds the host file or directory src as dst. A directory is copied recursively
// (files, directories and symlinks; anything else is an error). mode, when not nil, replaces
// the permissions of a regular file given directly as src.
func (t *tree) addHost(src, dst string, mode *fs.FileMode) error {
	name, err := imagePath(dst)
	if err != nil {
		return err
	}
	src, info, err := statHost(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return t.addHostFile(src, name, info, mode)
	}
	if mode != nil {
		return fmt.Errorf("%s: a mode applies to a file, not a directory", src)
	}
	return t.addHostDir(src, name)
}

// statHost describes the host file src given to addHost. A symlink stands for the file or
// directory it points at; a directory that way is returned as src/., the path that walks it.
func statHost(src string) (string, fs.FileInfo, error) {
	info, err := os.Lstat(src)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return src, info, err
	}
	if info, err = os.Stat(src); err != nil {
		return src, nil, err
	}
	if info.IsDir() {
		src += "/."
	}
	return src, info, nil
}

// addHostFile adds src, a host file that is not a directory, as name: a regular file with
// its own permissions, or mode when not nil.
func (t *tree) addHostFile(src, name string, info fs.FileInfo, mode *fs.FileMode) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file, directory or symlink", src)
	}
	m := permissions(info.Mode())
	if mode != nil {
		m = *mode
	}
	return t.put(&entry{name: name, typ: tar.TypeReg, mode: m, src: src})
}

// addHostDir copies the host directory src to name recursively; symlinks inside it are
// kept as symlinks.
func (t *tree) addHostDir(src, name string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e, err := hostEntry(p, path.Join(name, filepath.ToSlash(rel)), info)
		if err != nil {
			return err
		}
		return t.put(e)
	})
}

// hostEntry is the entry name for the host file p of a directory walk: a directory, a
// regular file or a symlink (not followed); anything else is an error.
func hostEntry(p, name string, info fs.FileInfo) (*entry, error) {
	switch {
	case info.IsDir():
		return &entry{name: name, typ: tar.TypeDir, mode: permissions(info.Mode())}, nil
	case info.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		return &entry{name: name, typ: tar.TypeSymlink, mode: 0o777, linkname: link}, nil
	case info.Mode().IsRegular():
		return &entry{name: name, typ: tar.TypeReg, mode: permissions(info.Mode()), src: p}, nil
	default:
		return nil, fmt.Errorf("%s: not a regular file, directory or symlink", p)
	}
}

// permissions keeps the permission bits of a host mode, and setuid, setgid and sticky.
func permissions(m fs.FileMode) fs.FileMode {
	out := m.Perm()
	if m&fs.ModeSetuid != 0 {
		out |= fs.ModeSetuid
	}
	if m&fs.ModeSetgid != 0 {
		out |= fs.ModeSetgid
	}
	if m&fs.ModeSticky != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// tarMode converts permissions to the mode bits of a tar header.
func tarMode(m fs.FileMode) int64 {
	out := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}

// tarball writes the layer: entries sorted by name, owned by 0:0, all dated epoch.
func (t *tree) tarball() ([]byte, error) {
	names := make([]string, 0, len(t.entries))
	for n := range t.entries {
		names = append(names, n)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := t.entries[n]
		hdr := &tar.Header{
			Typeflag: e.typ,
			Name:     e.name,
			Mode:     tarMode(e.mode),
			ModTime:  epoch,
			Format:   tar.FormatPAX,
		}
		switch e.typ {
		case tar.TypeDir:
			hdr.Name += "/"
		case tar.TypeSymlink:
			hdr.Linkname = e.linkname
		case tar.TypeReg:
			info, err := os.Stat(e.src)
			if err != nil {
				return nil, err
			}
			hdr.Size = info.Size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		if e.typ == tar.TypeReg {
			if err := copyFile(tw, e.src, hdr.Size); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if n != size {
		return fmt.Errorf("%s: changed while it was read (%d of %d bytes)", src, n, size)
	}
	return nil
}
