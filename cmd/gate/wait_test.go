package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestWaitForRelease(t *testing.T) {
	const uid = "u-1"
	for _, watch := range []string{watchInotify, watchPoll} {
		t.Run(watch, func(t *testing.T) {
			opts := options{watch: watch, interval: 20 * time.Millisecond}

			t.Run("released before the wait: returns at once", func(t *testing.T) {
				g := NewWithT(t)
				opts.podinfoDir = t.TempDir()
				writeVolume(t, opts.podinfoDir, "1", map[string]string{uidFile: uid, releaseFile: uid})
				g.Expect(waitForRelease(context.Background(), opts, nil)).To(Succeed())
			})

			t.Run("released while waiting", func(t *testing.T) {
				g := NewWithT(t)
				opts.podinfoDir = t.TempDir()
				writeVolume(t, opts.podinfoDir, "1", map[string]string{uidFile: uid, releaseFile: ""})
				done := make(chan error, 1)
				go func() { done <- waitForRelease(context.Background(), opts, nil) }()
				g.Consistently(done, 200*time.Millisecond).ShouldNot(Receive())
				writeVolume(t, opts.podinfoDir, "2", map[string]string{uidFile: uid, releaseFile: "other"})
				g.Consistently(done, 200*time.Millisecond).ShouldNot(Receive(), "another pod's UID")
				writeVolume(t, opts.podinfoDir, "3", map[string]string{uidFile: uid, releaseFile: uid})
				g.Eventually(done, time.Second).Should(Receive(BeNil()))
			})

			t.Run("released by a push while the file says held", func(t *testing.T) {
				g := NewWithT(t)
				opts.podinfoDir = t.TempDir()
				writeVolume(t, opts.podinfoDir, "1", map[string]string{uidFile: uid, releaseFile: ""})
				pushed := make(chan struct{})
				done := make(chan error, 1)
				go func() { done <- waitForRelease(context.Background(), opts, pushed) }()
				g.Consistently(done, 100*time.Millisecond).ShouldNot(Receive())
				close(pushed)
				g.Eventually(done, time.Second).Should(Receive(BeNil()))
			})

			t.Run("canceled while waiting", func(t *testing.T) {
				g := NewWithT(t)
				opts.podinfoDir = t.TempDir()
				writeVolume(t, opts.podinfoDir, "1", map[string]string{uidFile: uid, releaseFile: ""})
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				g.Expect(waitForRelease(ctx, opts, nil)).To(MatchError(context.DeadlineExceeded))
			})

			t.Run("no volume: fails closed", func(t *testing.T) {
				g := NewWithT(t)
				opts.podinfoDir = filepath.Join(t.TempDir(), "absent")
				g.Expect(waitForRelease(context.Background(), opts, nil)).To(MatchError(errNoPodinfo))
			})
		})
	}
}

func TestInstall(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(install(dir)).To(Succeed())
	g.Expect(install(dir)).To(Succeed(), "a restarted init container installs again")

	self, err := os.Executable()
	g.Expect(err).NotTo(HaveOccurred())
	want, err := os.ReadFile(self)
	g.Expect(err).NotTo(HaveOccurred())
	got, err := os.ReadFile(filepath.Join(dir, installedName))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(want))
	info, err := os.Stat(filepath.Join(dir, installedName))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o555)))
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "no temporary file left behind")
}
