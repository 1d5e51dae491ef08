package main

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

func TestGateImageFlag(t *testing.T) {
	t.Run("defaults to RELATED_IMAGE_GATE", func(t *testing.T) {
		g := NewWithT(t)
		t.Setenv("RELATED_IMAGE_GATE", "localhost/singleton-operator:v1")
		o := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), nil)
		g.Expect(o.gateImage).To(Equal("localhost/singleton-operator:v1"))
		g.Expect(o.enableWebhooks).To(BeTrue())
		g.Expect(o.validate()).To(Succeed())
	})
	t.Run("required only with webhooks", func(t *testing.T) {
		g := NewWithT(t)
		t.Setenv("RELATED_IMAGE_GATE", "")
		o := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), nil)
		g.Expect(o.validate()).To(MatchError(ContainSubstring("RELATED_IMAGE_GATE")))
		o = parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), []string{"--enable-webhooks=false"})
		g.Expect(o.validate()).To(Succeed())
	})
}

func TestGuardConfigurationFlag(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("RELATED_IMAGE_GATE", "localhost/singleton-operator:v1")
	o := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), nil)
	g.Expect(o.guardConfigurationName).To(Equal("singleton-operator-guard"), "the name the ClusterRole may write")
	o = parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), []string{"--guard-webhook-configuration-name="})
	g.Expect(o.validate()).To(MatchError(ContainSubstring("--guard-webhook-configuration-name")))
	o = parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError),
		[]string{"--guard-webhook-configuration-name=", "--enable-webhooks=false"})
	g.Expect(o.validate()).To(Succeed())
}

func TestImageEntrypointFlags(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("RELATED_IMAGE_GATE", "localhost/singleton-operator:v1")
	o := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), nil)
	g.Expect(o.imageEntrypoints).To(BeTrue())
	g.Expect(o.imageEntrypointLimit).To(Equal(2 * time.Second))
	g.Expect(o.validate()).To(Succeed())
	o = parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), []string{"--image-entrypoint-timeout=4s"})
	g.Expect(o.validate()).To(MatchError(ContainSubstring("--image-entrypoint-timeout")))
	o = parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError),
		[]string{"--image-entrypoint-timeout=4s", "--image-entrypoints=false"})
	g.Expect(o.validate()).To(Succeed())
}

func TestCacheSyncedCheck(t *testing.T) {
	g := NewWithT(t)
	req := httptest.NewRequest(http.MethodGet, "/readyz/informers", http.NoBody)
	g.Expect(cacheSynced(&informertest.FakeInformers{Synced: ptr.To(false)})(req)).
		To(MatchError(ContainSubstring("not synced")))
	g.Expect(cacheSynced(&informertest.FakeInformers{Synced: ptr.To(true)})(req)).To(Succeed())
}

// The build info is served with what the binary knows of its build.
func TestBuildInfo(t *testing.T) {
	registerBuildInfo("1.2.3")
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "singleton_operator_build_info" {
			continue
		}
		labels := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["version"] != "1.2.3" || labels["goversion"] != runtime.Version() || labels["revision"] == "" {
			t.Fatalf("build info labels %v", labels)
		}
		if v := f.GetMetric()[0].GetGauge().GetValue(); v != 1 {
			t.Fatalf("build info is %v, want 1", v)
		}
		return
	}
	t.Fatal("singleton_operator_build_info is not served")
}

// TestGCPercent: the collector's target is defaultGCPercent unless GOGC is set, which wins.
func TestGCPercent(t *testing.T) {
	g := NewWithT(t)
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "") // t.Setenv restores it; unset it for the first case
	g.Expect(os.Unsetenv("GOGC")).To(Succeed())
	setGCPercent()
	g.Expect(debug.SetGCPercent(100)).To(Equal(defaultGCPercent))

	t.Setenv("GOGC", "200")
	setGCPercent()
	g.Expect(debug.SetGCPercent(100)).To(Equal(100), "GOGC set: left as it was")
}
