package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	kfv1alpha1 "github.com/kubestellar/kubeflex/api/v1alpha1"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The names of the sample: the WDS and ITS ControlPlanes (the WDS's name is also the origin
// label of its WorkStatuses, and the sample ReportedState's wdsName).
const (
	wdsName = "wds1"
	itsName = "its1"
)

// spaces are the WDS and the ITS, each a kube-apiserver with its etcd.
type spaces struct {
	wds, its       *framework.APIServer
	wdsClient      client.Client
	itsClient      client.Client
	wdsCfg, itsCfg *rest.Config
}

// startSpaces starts both API servers at once: the WDS with KubeStellar's CRDs and KubeFlex's
// ControlPlane CRD (the WDS is also the KubeFlex hosting cluster here), the ITS with the
// WorkStatus CRD of config/kubestellar and OCM's ManagedCluster. On error, the returned spaces
// hold what started, to be stopped.
func startSpaces() (*spaces, error) {
	ksCRDs, err := framework.ModuleDir("github.com/kubestellar/kubestellar", "config", "crd", "bases")
	if err != nil {
		return nil, err
	}
	kfCRDs, err := framework.ModuleDir("github.com/kubestellar/kubeflex", "config", "crd", "bases")
	if err != nil {
		return nil, err
	}
	ocmCRDs, err := framework.ModuleDir("open-cluster-management.io/api", "cluster", "v1")
	if err != nil {
		return nil, err
	}
	s := &spaces{}
	var wdsErr, itsErr error
	var wg sync.WaitGroup
	wg.Go(func() { s.wds, wdsErr = framework.StartAPIServer("wds", ksCRDs, kfCRDs) })
	wg.Go(func() { s.its, itsErr = framework.StartAPIServer("its", "config/kubestellar", ocmCRDs) })
	wg.Wait()
	if err := errors.Join(wdsErr, itsErr); err != nil {
		return s, err
	}
	s.wdsCfg, s.itsCfg = s.wds.Config, s.its.Config
	if s.wdsClient, err = client.New(s.wdsCfg, client.Options{Scheme: demoScheme()}); err != nil {
		return s, err
	}
	s.itsClient, err = client.New(s.itsCfg, client.Options{Scheme: demoScheme()})
	return s, err
}

// stop stops what started.
func (s *spaces) stop() error {
	var errs []error
	for _, a := range []*framework.APIServer{s.wds, s.its} {
		if a != nil {
			errs = append(errs, a.Stop())
		}
	}
	return errors.Join(errs...)
}

func demoScheme() *runtime.Scheme {
	sc := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(sc))
	utilruntime.Must(controlv1alpha1.AddToScheme(sc))
	utilruntime.Must(kfv1alpha1.AddToScheme(sc))
	return sc
}

// writeKubeconfigs writes wds.kubeconfig and its.kubeconfig into dir.
func (s *spaces) writeKubeconfigs(dir string) error {
	for name, cfg := range map[string]*rest.Config{"wds": s.wdsCfg, "its": s.itsCfg} {
		data, err := framework.Kubeconfig(cfg, cfg.Host)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".kubeconfig"), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// addControlPlanes makes the KubeFlex ControlPlanes KubeStellar's controller-manager finds the
// spaces by, as KubeFlex leaves them: labeled with their type, their kubeconfig in the Secret
// status.secretRef names (key for a client outside the hosting cluster, as here).
func (s *spaces) addControlPlanes(ctx context.Context) error {
	for _, cp := range []struct {
		name, cpType, secret, key string
		cfg                       *rest.Config
	}{
		{wdsName, "wds", "admin-kubeconfig", "kubeconfig", s.wdsCfg},
		{itsName, "its", "vc-vcluster", "config", s.itsCfg},
	} {
		data, err := framework.Kubeconfig(cp.cfg, cp.cfg.Host)
		if err != nil {
			return err
		}
		ns := cp.name + "-system"
		obj := &kfv1alpha1.ControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: cp.name, Labels: map[string]string{"kflex.kubestellar.io/cptype": cp.cpType}},
			Spec:       kfv1alpha1.ControlPlaneSpec{Type: kfv1alpha1.ControlPlaneTypeK8S},
		}
		for _, o := range []client.Object{
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cp.secret}, Data: map[string][]byte{cp.key: data}},
			obj,
		} {
			if err := s.wdsClient.Create(ctx, o); err != nil {
				return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
			}
		}
		now := metav1.Now()
		obj.Status = kfv1alpha1.ControlPlaneStatus{
			Conditions: []kfv1alpha1.ControlPlaneCondition{{
				Type: kfv1alpha1.TypeReady, Status: corev1.ConditionTrue, Reason: kfv1alpha1.ReasonAvailable,
				LastUpdateTime: now, LastTransitionTime: now,
			}},
			SecretRef: &kfv1alpha1.SecretReference{Namespace: ns, Name: cp.secret, Key: cp.key, InClusterKey: cp.key},
		}
		if err := s.wdsClient.Status().Update(ctx, obj); err != nil {
			return fmt.Errorf("the status of ControlPlane %s: %w", cp.name, err)
		}
	}
	return nil
}

// poll waits for cond, every 200 ms, until ctx ends.
func poll(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, cond); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}
