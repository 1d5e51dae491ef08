package servingcert

import (
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

func TestSetCABundle(t *testing.T) {
	ca := []byte("ca")
	webhooks := func(bundles ...string) *admissionregistrationv1.MutatingWebhookConfiguration {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		for _, b := range bundles {
			var bundle []byte
			if b != "" {
				bundle = []byte(b)
			}
			cfg.Webhooks = append(cfg.Webhooks, admissionregistrationv1.MutatingWebhook{
				ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: bundle},
			})
		}
		return cfg
	}
	tests := []struct {
		name        string
		cfg         *admissionregistrationv1.MutatingWebhookConfiguration
		wantChanged bool
	}{
		{"no webhooks", webhooks(), false},
		{"every webhook has the CA", webhooks("ca", "ca"), false},
		{"no caBundle yet", webhooks("", ""), true},
		{"one webhook cleared", webhooks("ca", ""), true},
		{"an old CA", webhooks("old"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(SetCABundle(tt.cfg, ca)).To(Equal(tt.wantChanged))
			for _, w := range tt.cfg.Webhooks {
				g.Expect(w.ClientConfig.CABundle).To(Equal(ca))
			}
		})
	}
}
