package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestReleased(t *testing.T) {
	const uid = "0d3c4b2e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
	cases := []struct {
		name         string
		uid, release string
		want         bool
	}{
		{name: "no annotation (the kubelet writes an empty file)", uid: uid, release: "", want: false},
		{name: "this pod's UID", uid: uid, release: uid, want: true},
		{name: "trailing newline", uid: uid + "\n", release: uid + "\n", want: true},
		{name: "another pod's UID (copied from a template)", uid: uid, release: "9d3c4b2e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"},
		{name: "a prefix of the UID", uid: uid, release: uid[:8]},
		{name: "the UID with more after it", uid: uid, release: uid + "x"},
		{name: "true is not a UID", uid: uid, release: "true"},
		{name: "empty UID never releases", uid: "", release: ""},
		{name: "blank UID never releases", uid: " \n", release: " "},
		{name: "quoted UID", uid: uid, release: `"` + uid + `"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(released([]byte(c.uid), []byte(c.release))).To(Equal(c.want))
		})
	}
}

// writeVolume lays out dir the way the kubelet's atomic writer does: the files live in a
// hidden directory, reached through the ..data symlink.
func writeVolume(t *testing.T, dir, generation string, files map[string]string) {
	t.Helper()
	g := NewWithT(t)
	data := filepath.Join(dir, "..gen-"+generation)
	g.Expect(os.Mkdir(data, 0o755)).To(Succeed())
	for name, content := range files {
		g.Expect(os.WriteFile(filepath.Join(data, name), []byte(content), 0o644)).To(Succeed())
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err != nil {
			g.Expect(os.Symlink(filepath.Join("..data", name), link)).To(Succeed())
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	g.Expect(os.Symlink(filepath.Base(data), tmp)).To(Succeed())
	g.Expect(os.Rename(tmp, filepath.Join(dir, "..data"))).To(Succeed())
}

func TestReadRelease(t *testing.T) {
	const uid = "u-1"
	cases := []struct {
		name    string
		files   map[string]string
		want    bool
		wantErr bool
	}{
		{name: "released", files: map[string]string{uidFile: uid, releaseFile: uid}, want: true},
		{name: "held", files: map[string]string{uidFile: uid, releaseFile: ""}},
		{name: "no release file: fail closed", files: map[string]string{uidFile: uid}, wantErr: true},
		{name: "no uid file: fail closed", files: map[string]string{releaseFile: uid}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			writeVolume(t, dir, "1", c.files)
			got, err := readRelease(dir)
			if c.wantErr {
				g.Expect(err).To(MatchError(errNoPodinfo))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
		})
	}
}

// FuzzReleased: whatever the files hold, a release means the release file names the pod's
// UID, a non-empty string.
func FuzzReleased(f *testing.F) {
	f.Add([]byte("0d3c4b2e-5f6a"), []byte("0d3c4b2e-5f6a"))
	f.Add([]byte("a\n"), []byte(" a "))
	f.Add([]byte(""), []byte(""))
	f.Add([]byte("x"), []byte("\"x\""))
	f.Fuzz(func(t *testing.T, uid, release []byte) {
		got := released(uid, release)
		again := released(uid, release)
		if got != again {
			t.Fatalf("not deterministic")
		}
		if !got {
			return
		}
		if trim(uid) == "" || trim(uid) != trim(release) {
			t.Fatalf("released with uid %q and release %q", uid, release)
		}
	})
}

func trim(b []byte) string { return strings.Trim(string(b), " \t\r\n") }
