package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestSplitAdd(t *testing.T) {
	tests := []struct {
		in       string
		src, dst string
		mode     fs.FileMode
		hasMode  bool
		wantErr  bool
	}{
		{in: "bin/manager:/manager", src: "bin/manager", dst: "/manager"},
		{in: "a:/b:0755", src: "a", dst: "/b", mode: 0o755, hasMode: true},
		{in: "a:/tmp:1777", src: "a", dst: "/tmp", mode: 0o777 | fs.ModeSticky, hasMode: true},
		{in: "a", wantErr: true},
		{in: ":/b", wantErr: true},
		{in: "a:/b:99", wantErr: true},
		{in: "a:/b:0755:x", wantErr: true},
	}
	for _, tt := range tests {
		src, dst, mode, err := splitAdd(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("splitAdd(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if src != tt.src || dst != tt.dst || (mode != nil) != tt.hasMode || (mode != nil && *mode != tt.mode) {
			t.Errorf("splitAdd(%q) = %q, %q, %v", tt.in, src, dst, mode)
		}
	}
}

func TestSplitDir(t *testing.T) {
	tests := []struct {
		in      string
		dst     string
		mode    fs.FileMode
		wantErr bool
	}{
		{in: "/data", dst: "/data", mode: 0o755},
		{in: "/data:0700", dst: "/data", mode: 0o700},
		{in: "/tmp:1777", dst: "/tmp", mode: 0o777 | fs.ModeSticky},
		{in: "a:b:0500", dst: "a:b", mode: 0o500},
		{in: "/data:", wantErr: true},
		{in: "/data:99", wantErr: true},
		{in: "/data:17777", wantErr: true},
	}
	for _, tt := range tests {
		dst, mode, err := splitDir(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("splitDir(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (dst != tt.dst || mode != tt.mode) {
			t.Errorf("splitDir(%q) = %q, %v, want %q, %v", tt.in, dst, mode, tt.dst, tt.mode)
		}
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in      []string
		want    map[string]string
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: []string{"k=v"}, want: map[string]string{"k": "v"}},
		{in: []string{"k=", "a=b=c"}, want: map[string]string{"k": "", "a": "b=c"}},
		{in: []string{"k=1", "k=2"}, want: map[string]string{"k": "2"}},
		{in: []string{"k=v", "novalue"}, wantErr: true},
		{in: []string{"=v"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseLabels(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseLabels(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseLabels(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestListFlag(t *testing.T) {
	for in, want := range map[string][]string{
		"/manager":                  {"/manager"},
		"a,b":                       {"a", "b"},
		`["sh", "-c", "echo a, b"]`: {"sh", "-c", "echo a, b"},
		`["arg with \"quotes\""]`:   {`arg with "quotes"`},
		"":                          nil,
		`[]`:                        {},
	} {
		var l list
		if err := l.Set(in); err != nil {
			t.Fatalf("Set(%q): %v", in, err)
		}
		if !l.set || !reflect.DeepEqual(l.value, want) {
			t.Errorf("Set(%q) = %q, want %q", in, l.value, want)
		}
	}
}

// entries lists the headers of a layer tarball.
func entries(t *testing.T, layer []byte) []tar.Header {
	t.Helper()
	var out []tar.Header
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *h)
	}
}

func TestLayerIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("binary"), 0o700); err != nil {
		t.Fatal(err)
	}
	layer := func() []byte {
		tr := newTree()
		if err := tr.addHost(bin, "/usr/bin/tool", nil); err != nil {
			t.Fatal(err)
		}
		if err := tr.addSymlink("tool", "/usr/bin/alias"); err != nil {
			t.Fatal(err)
		}
		if err := tr.addDir("/tmp", 0o777|fs.ModeSticky); err != nil {
			t.Fatal(err)
		}
		b, err := tr.tarball()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := layer()
	// A later modification time and other permissions of the parent must not matter.
	if err := os.Chtimes(bin, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, layer()) {
		t.Fatal("two builds of the same inputs differ")
	}

	headers := entries(t, first)
	got := map[string]tar.Header{}
	names := make([]string, 0, len(headers))
	for _, h := range headers {
		got[h.Name] = h
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: owner %d:%d (%q:%q), mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
	}
	wantNames := []string{"tmp/", "usr/", "usr/bin/", "usr/bin/alias", "usr/bin/tool"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("entries %q, want %q", names, wantNames)
	}
	if h := got["usr/bin/tool"]; h.Mode != 0o700 || h.Size != 6 {
		t.Errorf("tool: mode %o size %d", h.Mode, h.Size)
	}
	if h := got["usr/bin/alias"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "tool" {
		t.Errorf("alias: %+v", h)
	}
	if h := got["tmp/"]; h.Mode != 0o1777 {
		t.Errorf("tmp: mode %o", h.Mode)
	}
}

func TestAddHostDirectory(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(src, "sub"), 0o750),
		os.WriteFile(filepath.Join(src, "sub", "f"), []byte("f"), 0o640),
		os.Symlink("sub/f", filepath.Join(src, "link")),
		os.Symlink(src, filepath.Join(dir, "dirlink")),
		// Whatever the umask.
		os.Chmod(src, 0o750),
		os.Chmod(filepath.Join(src, "sub"), 0o750),
		os.Chmod(filepath.Join(src, "sub", "f"), 0o640),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]tar.Header{
		"opt/":          {Typeflag: tar.TypeDir, Mode: 0o755},
		"opt/app/":      {Typeflag: tar.TypeDir, Mode: 0o750},
		"opt/app/link":  {Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: "sub/f"},
		"opt/app/sub/":  {Typeflag: tar.TypeDir, Mode: 0o750},
		"opt/app/sub/f": {Typeflag: tar.TypeReg, Mode: 0o640, Size: 1},
	}
	// The directory itself, and a symlink to it, give the same entries.
	for _, from := range []string{src, filepath.Join(dir, "dirlink")} {
		tr := newTree()
		if err := tr.addHost(from, "/opt/app", nil); err != nil {
			t.Fatal(err)
		}
		b, err := tr.tarball()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]tar.Header{}
		for _, h := range entries(t, b) {
			got[h.Name] = tar.Header{Typeflag: h.Typeflag, Mode: h.Mode, Linkname: h.Linkname, Size: h.Size}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("addHost(%s):\n got %+v\nwant %+v", from, got, want)
		}
	}

	mode := fs.FileMode(0o700)
	if err := newTree().addHost(filepath.Join(dir, "dirlink"), "/opt/app", &mode); err == nil {
		t.Error("addHost of a directory with a mode: no error")
	}
}

func TestBuildWritesLoadableImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	build := func(out string) {
		err := runBuild([]string{"--tag", "localhost/test:dev", "--out", out,
			"--add", bin + ":/manager", "--entrypoint", "/manager", "--cmd", `["--flag=a, b"]`,
			"--user", "65532:65532", "--workdir", "/", "--env", "A=b", "--label", "k=v"})
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	build(a)
	build(b)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two builds of the same image differ")
	}

	img, err := tarball.ImageFromPath(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !reflect.DeepEqual(c.Entrypoint, []string{"/manager"}) || !reflect.DeepEqual(c.Cmd, []string{"--flag=a, b"}) ||
		c.User != "65532:65532" || c.WorkingDir != "/" || c.Labels["k"] != "v" ||
		!reflect.DeepEqual(c.Env, []string{defaultPath, "A=b"}) {
		t.Errorf("config %+v", c)
	}
	if cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}

	// The OCI layout names the image by tag and by the digest of its manifest blob, which is an
	// OCI manifest of this config: the digest a registry would serve.
	images, ok, err := readArchiveIndex(a)
	if err != nil || !ok || len(images) != 1 {
		t.Fatalf("OCI index: %v %v %+v", ok, err, images)
	}
	files, err := readTarFiles(a, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	digest := images[0].digest
	manifest := files["blobs/sha256/"+strings.TrimPrefix(digest, "sha256:")]
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(manifest)); got != digest {
		t.Fatalf("manifest blob digest %s, index says %s", got, digest)
	}
	var mf v1.Manifest
	if err := json.Unmarshal(manifest, &mf); err != nil {
		t.Fatal(err)
	}
	if mf.MediaType != types.OCIManifestSchema1 || mf.Config.MediaType != types.OCIConfigJSON ||
		len(mf.Layers) != 1 || mf.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest media types %+v", mf)
	}
	id, _ := img.ConfigName()
	if mf.Config.Digest != id || images[0].id != id.String() {
		t.Errorf("config %s, manifest names %s, inspect %s", id, mf.Config.Digest, images[0].id)
	}
	want := []string{"localhost/test:dev", "localhost/test@" + digest}
	if !reflect.DeepEqual(images[0].names, want) {
		t.Errorf("names %q, want %q", images[0].names, want)
	}
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout %q", files["oci-layout"])
	}
}

func TestReferenceNames(t *testing.T) {
	h, _ := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
	for in, want := range map[string][2]string{
		"localhost/x:v1":            {"localhost/x:v1", "localhost/x@" + h.String()},
		"busybox:1.35":              {"docker.io/library/busybox:1.35", "docker.io/library/busybox@" + h.String()},
		"quay.io:443/a/b:c":         {"quay.io:443/a/b:c", "quay.io:443/a/b@" + h.String()},
		"localhost/x@" + h.String(): {"localhost/x@" + h.String(), "localhost/x@" + h.String()},
	} {
		ref, err := name.ParseReference(in, name.WeakValidation)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]string{referenceName(ref), digestReference(ref, h)}; got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestServeAnswersPullsByTagAndDigest(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "f")
	if err := os.WriteFile(bin, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "img.tar")
	if err := runBuild([]string{"--tag", "localhost/team/app:v1", "--out", out, "--add", bin + ":/f"}); err != nil {
		t.Fatal(err)
	}
	images, _, err := readArchiveIndex(out)
	if err != nil {
		t.Fatal(err)
	}
	digest := images[0].digest
	content, err := loadRegistryContent([]string{out})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(content)
	defer srv.Close()

	get := func(method, path string) (int, http.Header, []byte) {
		req, err := http.NewRequest(method, srv.URL+path, http.NoBody)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, body
	}
	if code, _, _ := get(http.MethodGet, "/v2/"); code != http.StatusOK {
		t.Errorf("/v2/: %d", code)
	}
	for _, ref := range []string{"v1", digest} {
		code, h, body := get(http.MethodGet, "/v2/team/app/manifests/"+ref)
		if code != http.StatusOK || h.Get("Docker-Content-Digest") != digest ||
			h.Get("Content-Type") != string(types.OCIManifestSchema1) ||
			fmt.Sprintf("sha256:%x", sha256.Sum256(body)) != digest {
			t.Errorf("manifest %s: %d %v", ref, code, h)
		}
		var mf v1.Manifest
		if err := json.Unmarshal(body, &mf); err != nil {
			t.Fatal(err)
		}
		code, _, blob := get(http.MethodGet, "/v2/team/app/blobs/"+mf.Layers[0].Digest.String())
		if code != http.StatusOK || fmt.Sprintf("sha256:%x", sha256.Sum256(blob)) != mf.Layers[0].Digest.String() {
			t.Errorf("layer blob: %d", code)
		}
	}
	if code, _, _ := get(http.MethodHead, "/v2/team/app/manifests/v2"); code != http.StatusNotFound {
		t.Errorf("unknown tag: %d", code)
	}
	if code, _, _ := get(http.MethodPut, "/v2/team/app/manifests/v1"); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", code)
	}
}
