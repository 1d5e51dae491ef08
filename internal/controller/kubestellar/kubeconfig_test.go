package kubestellar

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

func TestSecretReaderNamespaces(t *testing.T) {
	local := &rest.Config{Host: "https://local"}
	remote := ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "wds"}}
	for _, tc := range []struct {
		name      string
		reader    secretReader
		ref       ksv1alpha1.ClusterRef
		wantLocal bool
		wantErr   string
	}{
		{"the local cluster needs no Secret, in any namespace", secretReader{namespace: "team", allowed: "operators"},
			ksv1alpha1.ClusterRef{}, true, ""},
		{"a Secret outside the operator's namespace is refused before it is read",
			secretReader{namespace: "team", allowed: "operators"}, remote, false, "only in its own namespace operators"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cfg, fingerprint, err := tc.reader.restConfig(context.Background(), tc.ref, local)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(fingerprint).To(Equal("local"))
			g.Expect(cfg.Host).To(Equal(local.Host))
			g.Expect(cfg).NotTo(BeIdenticalTo(local), "a copy, which the connection may tune")
		})
	}
}
