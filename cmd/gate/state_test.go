package main

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func TestCountStart(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	for want := 1; want <= 3; want++ {
		n, err := countStart(dir, "app")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(n).To(Equal(want))
	}
	n, err := countStart(dir, "other")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(1), "counted per container")
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(2), "no temporary file left behind")

	g.Expect(os.WriteFile(filepath.Join(dir, "bad"+startsSuffix), []byte("x"), 0o644)).To(Succeed())
	_, err = countStart(dir, "bad")
	g.Expect(err).To(MatchError(ContainSubstring("does not hold a start count")))

	_, err = countStart(filepath.Join(dir, "absent"), "app")
	g.Expect(err).To(HaveOccurred(), "no state directory: the start fails")
}

func TestMarker(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(hasMarker(dir, "app")).To(BeFalse())
	g.Expect(writeMarker(dir, "app", 2)).To(Succeed())
	g.Expect(hasMarker(dir, "app")).To(BeTrue())
	g.Expect(hasMarker(dir, "other")).To(BeFalse(), "per container")
	g.Expect(os.ReadFile(markerPath(dir, "app"))).To(Equal([]byte("2\n")))
	g.Expect(removeMarker(dir, "app")).To(Succeed())
	g.Expect(hasMarker(dir, "app")).To(BeFalse())
	g.Expect(removeMarker(dir, "app")).To(Succeed(), "removing twice is fine")
}
