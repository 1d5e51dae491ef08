package kubestellar

import (
	"context"
	"strings"
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
		{"the local cluster needs no Secret, in the operator's namespace", secretReader{namespace: "operators", allowed: "operators"},
			ksv1alpha1.ClusterRef{}, true, ""},
		{"the local cluster needs no Secret, in any namespace when the operator serves every one",
			secretReader{namespace: "team"}, ksv1alpha1.ClusterRef{}, true, ""},
		{"outside the operator's namespace even the local cluster is refused: the operator's own credentials",
			secretReader{namespace: "team", allowed: "operators"}, ksv1alpha1.ClusterRef{}, false,
			"only ReportedStates in the operator's namespace operators are served"},
		{"a Secret outside the operator's namespace is refused before it is read",
			secretReader{namespace: "team", allowed: "operators"}, remote, false, "namespace operators"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cfg, fingerprint, err := tc.reader.restConfig(context.Background(), tc.ref, local)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				g.Expect(configReason(err)).To(Equal(ksv1alpha1.ReasonNamespaceNotServed))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(fingerprint).To(Equal("local"))
			g.Expect(cfg.Host).To(Equal(local.Host))
			g.Expect(cfg).NotTo(BeIdenticalTo(local), "a copy, which the connection may tune")
		})
	}
}

// A kubeconfig from a Secret can make the operator neither run a program nor read a file
// (docs/design.md, R5): every entry is checked, not only the current context's.
func TestInertConfig(t *testing.T) {
	const inline = `apiVersion: v1
kind: Config
clusters:
- name: wds
  cluster: {server: "https://wds.example:6443", certificate-authority-data: Zm9v}
users:
- name: op
  user: {token: abc}
contexts:
- name: wds
  context: {cluster: wds, user: op}
current-context: wds
`
	for _, tc := range []struct {
		name, extra, wantErr string
	}{
		{"inline credentials load", "", ""},
		{"an exec plugin is refused", "- name: other\n  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}}\n",
			`user "other" sets exec`},
		{"an auth provider is refused", "- name: other\n  user: {auth-provider: {name: oidc}}\n", `user "other" sets auth-provider`},
		{"a token file is refused", "- name: other\n  user: {tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}\n",
			`user "other" sets tokenFile`},
		{"certificate and key paths are refused", "- name: other\n  user: {client-certificate: /etc/x.crt, client-key: /etc/x.key}\n",
			`user "other" sets client-certificate, user "other" sets client-key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			data := inline
			if tc.extra != "" {
				data = strings.Replace(inline, "contexts:", tc.extra+"contexts:", 1)
			}
			cfg, err := inertConfig([]byte(data))
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(cfg.Host).To(Equal("https://wds.example:6443"))
				g.Expect(cfg.BearerToken).To(Equal("abc"))
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			g.Expect(configReason(err)).To(Equal(ksv1alpha1.ReasonKubeconfigRefused))
		})
	}
	t.Run("a CA path is refused", func(t *testing.T) {
		g := NewWithT(t)
		_, err := inertConfig([]byte(strings.Replace(inline, "certificate-authority-data: Zm9v",
			"certificate-authority: /etc/kubernetes/pki/ca.crt", 1)))
		g.Expect(err).To(MatchError(ContainSubstring(`cluster "wds" sets certificate-authority`)))
	})
	t.Run("a kubeconfig that does not parse keeps the reason KubeconfigInvalid", func(t *testing.T) {
		g := NewWithT(t)
		_, err := inertConfig([]byte("clusters: ["))
		g.Expect(err).To(HaveOccurred())
		g.Expect(configReason(err)).To(Equal(ksv1alpha1.ReasonKubeconfigInvalid))
	})
}
