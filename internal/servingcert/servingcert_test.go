package servingcert

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestNewServesFromMemoryOnlyWhenManaged(t *testing.T) {
	g := NewWithT(t)
	server := ServerOptions{CertDir: t.TempDir(), SecretName: "cert", ServiceName: "svc"}

	managed := New(Options{Namespace: "ns", Webhook: server, Metrics: server})
	g.Expect(managed.webhook.mode).To(Equal(ModeManaged))
	g.Expect(managed.metrics.mode).To(Equal(ModeManaged))
	g.Expect(managed.WebhookTLSOpts()).To(HaveLen(1))
	g.Expect(managed.MetricsTLSOpts()).To(HaveLen(1))

	disabled := server
	disabled.Disabled = true
	mixed := New(Options{Namespace: "ns", Webhook: server, Metrics: disabled})
	g.Expect(mixed.metrics.mode).To(Equal(ModeDefault))
	g.Expect(mixed.MetricsTLSOpts()).To(BeEmpty())

	outside := New(Options{Webhook: server, Metrics: server})
	g.Expect(outside.webhook.mode).To(Equal(ModeDefault))
	g.Expect(outside.WebhookTLSOpts()).To(BeEmpty())
	g.Expect(outside.MetricsTLSOpts()).To(BeEmpty())
}
