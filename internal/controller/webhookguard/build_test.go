package webhookguard

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

var (
	t0       = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caBundle = []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	// exclusion is the objectSelector requirement that keeps the operator's pods out.
	exclusion = metav1.LabelSelectorRequirement{
		Key: "app.kubernetes.io/name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"singleton-operator"},
	}
)

func singleton(ns, name string, selector metav1.LabelSelector) singletonv1.StatefulSingleton {
	return singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), CreationTimestamp: metav1.NewTime(t0),
		},
		Spec: singletonv1.StatefulSingletonSpec{Selector: selector},
	}
}

func matchLabels(kv ...string) metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

// serviceMain is a main configuration as config/webhook and OLM write it: a Service.
func serviceMain(name string, created time.Time, ca []byte) admissionregistrationv1.MutatingWebhookConfiguration {
	return admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), CreationTimestamp: metav1.NewTime(created)},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: podwebhook.WebhookName,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{
					Namespace: "singleton-operator-system", Name: name + "-service",
					Path: ptr.To(podwebhook.MainPath), Port: ptr.To[int32](443),
				},
				CABundle: ca,
			},
			FailurePolicy: ptr.To(admissionregistrationv1.Ignore),
		}},
	}
}

// urlMain is a main configuration as `make run` and envtest write it: a URL.
func urlMain(name, url string) admissionregistrationv1.MutatingWebhookConfiguration {
	m := serviceMain(name, t0, caBundle)
	m.Webhooks[0].ClientConfig.Service = nil
	m.Webhooks[0].ClientConfig.URL = ptr.To(url)
	return m
}

// guardService is the clientConfig a guard entry gets from serviceMain(name, _, ca).
func guardService(name string, ca []byte) admissionregistrationv1.WebhookClientConfig {
	return admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{
			Namespace: "singleton-operator-system", Name: name + "-service",
			Path: ptr.To(podwebhook.GuardPath), Port: ptr.To[int32](443),
		},
		CABundle: ca,
	}
}

// wantEntry is the entry Build must write for a StatefulSingleton.
func wantEntry(ss singletonv1.StatefulSingleton, cc admissionregistrationv1.WebhookClientConfig,
	selector metav1.LabelSelector,
) admissionregistrationv1.MutatingWebhook {
	return admissionregistrationv1.MutatingWebhook{
		Name:         string(ss.UID) + ".guard.statefulsingleton.com",
		ClientConfig: cc,
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
				Scope: ptr.To(admissionregistrationv1.NamespacedScope),
			},
		}},
		FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
		MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
		NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ss.Namespace}},
		ObjectSelector:          &selector,
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          ptr.To[int32](5),
		AdmissionReviewVersions: []string{"v1"},
		ReinvocationPolicy:      ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
	}
}

func TestBuild(t *testing.T) {
	main := serviceMain("singleton-operator-mutating-webhook-configuration", t0, caBundle)
	guardCC := guardService(main.Name, caBundle)
	db := singleton("shop", "db", matchLabels("app", "db"))
	queue := singleton("shop", "queue", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"queue", "broker"}},
		{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
	}})
	other := singleton("accounts", "ledger", metav1.LabelSelector{
		MatchLabels:      map[string]string{"app": "ledger"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}},
	})
	deleting := singleton("shop", "old", matchLabels("app", "old"))
	deleting.DeletionTimestamp = ptr.To(metav1.NewTime(t0.Add(time.Minute)))
	deleting.Finalizers = []string{singletonv1.FinalizerHandBack}
	badOperator := singleton("shop", "bad-operator", metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bad"}},
	})
	inWithoutValues := singleton("shop", "in-without-values", metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}},
	})
	badKey := singleton("shop", "bad-key", matchLabels("not a key!", "x"))
	empty := singleton("shop", "empty", metav1.LabelSelector{})

	tests := []struct {
		name        string
		main        []admissionregistrationv1.MutatingWebhookConfiguration
		singletons  []singletonv1.StatefulSingleton
		wantHooks   []admissionregistrationv1.MutatingWebhook
		wantSkipped []string // names of the skipped StatefulSingletons
		wantNoMain  bool
	}{
		{
			name:       "matchLabels: the selector and the exclusion of the operator's pods, in its namespace only",
			main:       []admissionregistrationv1.MutatingWebhookConfiguration{main},
			singletons: []singletonv1.StatefulSingleton{db},
			wantHooks: []admissionregistrationv1.MutatingWebhook{wantEntry(db, guardCC, metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "db"}, MatchExpressions: []metav1.LabelSelectorRequirement{exclusion},
			})},
		},
		{
			name:       "matchExpressions, and both: kept, the exclusion added last; entries in namespace and name order",
			main:       []admissionregistrationv1.MutatingWebhookConfiguration{main},
			singletons: []singletonv1.StatefulSingleton{queue, other},
			wantHooks: []admissionregistrationv1.MutatingWebhook{
				wantEntry(other, guardCC, metav1.LabelSelector{
					MatchLabels: map[string]string{"app": "ledger"},
					MatchExpressions: []metav1.LabelSelectorRequirement{
						{Key: "tier", Operator: metav1.LabelSelectorOpExists}, exclusion,
					},
				}),
				wantEntry(queue, guardCC, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"queue", "broker"}},
					{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
					exclusion,
				}}),
			},
		},
		{
			name:       "a StatefulSingleton being deleted keeps its entry: its hand-back needs its pods prepared",
			main:       []admissionregistrationv1.MutatingWebhookConfiguration{main},
			singletons: []singletonv1.StatefulSingleton{deleting},
			wantHooks: []admissionregistrationv1.MutatingWebhook{wantEntry(deleting, guardCC, metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "old"}, MatchExpressions: []metav1.LabelSelectorRequirement{exclusion},
			})},
		},
		{
			name:        "selectors that are no objectSelector are left out and reported; the others keep their entry",
			main:        []admissionregistrationv1.MutatingWebhookConfiguration{main},
			singletons:  []singletonv1.StatefulSingleton{badOperator, db, inWithoutValues, badKey, empty},
			wantSkipped: []string{"bad-key", "bad-operator", "empty", "in-without-values"},
			wantHooks: []admissionregistrationv1.MutatingWebhook{wantEntry(db, guardCC, metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "db"}, MatchExpressions: []metav1.LabelSelectorRequirement{exclusion},
			})},
		},
		{
			name:       "a URL (make run, envtest): the same address with the guard path",
			main:       []admissionregistrationv1.MutatingWebhookConfiguration{urlMain("make-run", "https://127.0.0.1:9443//mutate--v1-pod")},
			singletons: []singletonv1.StatefulSingleton{db},
			wantHooks: []admissionregistrationv1.MutatingWebhook{wantEntry(db, admissionregistrationv1.WebhookClientConfig{
				URL: ptr.To("https://127.0.0.1:9443/mutate--v1-pod-guard"), CABundle: caBundle,
			}, metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "db"}, MatchExpressions: []metav1.LabelSelectorRequirement{exclusion},
			})},
		},
		{
			name: "two main configurations (an OLM upgrade): the newest one's address and CA",
			main: []admissionregistrationv1.MutatingWebhookConfiguration{
				serviceMain("mpod.statefulsingleton.com-new", t0.Add(time.Hour), []byte("new CA")),
				serviceMain("mpod.statefulsingleton.com-old", t0, []byte("old CA")),
			},
			singletons: []singletonv1.StatefulSingleton{db},
			wantHooks: []admissionregistrationv1.MutatingWebhook{wantEntry(db,
				guardService("mpod.statefulsingleton.com-new", []byte("new CA")), metav1.LabelSelector{
					MatchLabels: map[string]string{"app": "db"}, MatchExpressions: []metav1.LabelSelectorRequirement{exclusion},
				})},
		},
		{
			name:       "no StatefulSingleton: a configuration without entries",
			main:       []admissionregistrationv1.MutatingWebhookConfiguration{main},
			singletons: nil,
			wantHooks:  []admissionregistrationv1.MutatingWebhook{},
		},
		{
			name:       "no main configuration: no guard configuration",
			singletons: []singletonv1.StatefulSingleton{db},
			wantNoMain: true,
		},
		{
			name: "a main configuration without the pod webhook: no guard configuration",
			main: []admissionregistrationv1.MutatingWebhookConfiguration{func() admissionregistrationv1.MutatingWebhookConfiguration {
				m := serviceMain("other", t0, caBundle)
				m.Webhooks[0].Name = "other.example.com"
				return m
			}()},
			singletons: []singletonv1.StatefulSingleton{db},
			wantNoMain: true,
		},
		{
			name: "a main webhook with neither Service nor URL: no guard configuration",
			main: []admissionregistrationv1.MutatingWebhookConfiguration{func() admissionregistrationv1.MutatingWebhookConfiguration {
				m := serviceMain("broken", t0, caBundle)
				m.Webhooks[0].ClientConfig.Service = nil
				return m
			}()},
			singletons: []singletonv1.StatefulSingleton{db},
			wantNoMain: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res := Build(Input{Name: "singleton-operator-guard", Main: tt.main, Singletons: tt.singletons})

			skipped := []string{}
			for _, s := range res.Skipped {
				skipped = append(skipped, s.Singleton.Name)
				g.Expect(s.Reason).NotTo(BeEmpty())
			}
			g.Expect(skipped).To(ConsistOf(stringsOrEmpty(tt.wantSkipped)))
			if tt.wantNoMain {
				g.Expect(res.Config).To(BeNil())
				g.Expect(res.NoMain).NotTo(BeEmpty())
				return
			}
			g.Expect(res.NoMain).To(BeEmpty())
			g.Expect(res.Config).NotTo(BeNil())
			g.Expect(res.Config.Name).To(Equal("singleton-operator-guard"))
			g.Expect(res.Config.Labels).To(HaveKeyWithValue("app.kubernetes.io/name", "singleton-operator"))
			g.Expect(res.Config.Webhooks).To(Equal(tt.wantHooks))
			owners := make([]string, 0, len(res.Config.OwnerReferences))
			for _, ref := range res.Config.OwnerReferences {
				g.Expect(ref.APIVersion).To(Equal("admissionregistration.k8s.io/v1"))
				g.Expect(ref.Kind).To(Equal("MutatingWebhookConfiguration"))
				g.Expect(ref.UID).To(Equal(types.UID("uid-" + ref.Name)))
				g.Expect(ref.Controller).To(BeNil())
				g.Expect(ref.BlockOwnerDeletion).To(BeNil())
				owners = append(owners, ref.Name)
			}
			wantOwners := make([]string, 0, len(tt.main))
			for i := range tt.main {
				wantOwners = append(wantOwners, tt.main[i].Name)
			}
			g.Expect(owners).To(ConsistOf(wantOwners), "owned by every main configuration")
		})
	}
}

func TestBuildReportsWhySelectorsAreSkipped(t *testing.T) {
	g := NewWithT(t)
	main := serviceMain("main", t0, caBundle)
	bad := singleton("shop", "bad", metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bad"}},
	})
	res := Build(Input{Name: "guard", Main: []admissionregistrationv1.MutatingWebhookConfiguration{main},
		Singletons: []singletonv1.StatefulSingleton{bad}})
	g.Expect(res.Skipped).To(HaveLen(1))
	g.Expect(res.Skipped[0].Reason).To(ContainSubstring("spec.selector.matchExpressions[0].operator"))
	g.Expect(res.Skipped[0].Reason).To(ContainSubstring("Bad"))
}

func TestBuildDoesNotChangeItsInput(t *testing.T) {
	g := NewWithT(t)
	main := serviceMain("main", t0, caBundle)
	db := singleton("shop", "db", matchLabels("app", "db"))
	in := Input{Name: "guard", Main: []admissionregistrationv1.MutatingWebhookConfiguration{main},
		Singletons: []singletonv1.StatefulSingleton{db}}
	before := Input{Name: in.Name, Main: []admissionregistrationv1.MutatingWebhookConfiguration{*main.DeepCopy()},
		Singletons: []singletonv1.StatefulSingleton{*db.DeepCopy()}}
	res := Build(in)
	res.Config.Webhooks[0].ClientConfig.CABundle[0] = 'X'
	res.Config.Webhooks[0].ObjectSelector.MatchLabels["app"] = "changed"
	g.Expect(in).To(Equal(before))
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
