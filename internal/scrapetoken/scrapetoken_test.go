package scrapetoken

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func keeper(objs ...*corev1.Secret) (*Keeper, func() *corev1.Secret) {
	b := fake.NewClientBuilder()
	for _, o := range objs {
		b = b.WithObjects(o)
	}
	c := b.Build()
	k := &Keeper{Reader: c, Writer: c, Namespace: "ns", SecretName: "tok", ServiceAccountName: "sa"}
	return k, func() *corev1.Secret {
		var s corev1.Secret
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "tok"}, &s); err != nil {
			return nil
		}
		return &s
	}
}

func TestEnsureCreatesTheTokenSecret(t *testing.T) {
	k, get := keeper()
	if err := k.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := get()
	if s == nil {
		t.Fatal("no Secret made")
	}
	if s.Type != corev1.SecretTypeServiceAccountToken || s.Annotations[corev1.ServiceAccountNameKey] != "sa" {
		t.Errorf("Secret type %q, annotations %v; want a token Secret of ServiceAccount sa", s.Type, s.Annotations)
	}
}

func TestEnsureLeavesAnExistingSecret(t *testing.T) {
	existing := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "tok", Namespace: "ns", Annotations: map[string]string{corev1.ServiceAccountNameKey: "sa"}},
		Type:       corev1.SecretTypeServiceAccountToken,
		Data:       map[string][]byte{"token": []byte("t")},
	}
	k, get := keeper(existing)
	if err := k.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := get(); s == nil || string(s.Data["token"]) != "t" {
		t.Errorf("the existing Secret was changed: %v", s)
	}
}
