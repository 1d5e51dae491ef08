package main

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func TestLookPath(t *testing.T) {
	present := map[string]bool{
		"/usr/bin/app": true, "/bin/app": true, "/bin/sh": true, "./local": true, "rel/app": true,
	}
	executable := func(p string) bool { return present[p] }
	cases := []struct {
		name, file, path string
		want             string
		wantErr          bool
	}{
		{name: "absolute", file: "/bin/sh", path: "", want: "/bin/sh"},
		{name: "absolute, absent", file: "/bin/nope", path: "/bin", wantErr: true},
		{name: "first PATH entry wins", file: "app", path: "/usr/bin:/bin", want: "/usr/bin/app"},
		{name: "PATH order", file: "app", path: "/bin:/usr/bin", want: "/bin/app"},
		{name: "skips directories without it", file: "sh", path: "/usr/bin:/bin", want: "/bin/sh"},
		{name: "empty entry is the working directory", file: "local", path: "/usr/bin::/bin", want: "./local"},
		{name: "dot entry", file: "local", path: ".", want: "./local"},
		{name: "relative with slash, PATH not used", file: "rel/app", path: "/usr/bin", want: "rel/app"},
		{name: "not found", file: "nope", path: "/usr/bin:/bin", wantErr: true},
		{name: "empty PATH finds nothing", file: "app", path: "", wantErr: true},
		{name: "empty command", file: "", path: "/bin", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := lookPath(c.file, c.path, executable)
			if c.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
		})
	}
}

func TestIsExecutable(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "exe")
	g.Expect(os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)).To(Succeed())
	plain := filepath.Join(dir, "plain")
	g.Expect(os.WriteFile(plain, nil, 0o644)).To(Succeed())
	link := filepath.Join(dir, "link")
	g.Expect(os.Symlink("exe", link)).To(Succeed())

	g.Expect(isExecutable(exe)).To(BeTrue())
	g.Expect(isExecutable(link)).To(BeTrue(), "symlinks are followed")
	g.Expect(isExecutable(plain)).To(BeFalse())
	g.Expect(isExecutable(dir)).To(BeFalse(), "a directory is not a program")
	g.Expect(isExecutable(filepath.Join(dir, "absent"))).To(BeFalse())
}
