package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// KubeStellar v0.30's controller-manager, the baseline: built from the module proxy by
// hack/build-kubestellar.sh and run as a process of its own. It finds the WDS and the ITS as in
// a real install, through KubeFlex ControlPlane objects in its hosting cluster (here the WDS's
// API server doubles as that) whose status names a Secret holding each space's kubeconfig.
const (
	roleKubeStellar = "kubestellar"
	itsName         = "its1"
	// kubeflexModule holds the ControlPlane CRD (the version KubeStellar v0.30's go.mod pins).
	kubeflexModule = "github.com/kubestellar/kubeflex@v0.9.3"
	cpTypeLabel    = "kflex.kubestellar.io/cptype"
	// wecLabel marks the ManagedClusters the Bindings' policies select; each also has its name
	// under "name".
	wecLabel = "bench.statefulsingleton.com/wec"
)

var (
	controlPlaneGVR = schema.GroupVersionResource{
		Group: "tenancy.kflex.kubestellar.org", Version: "v1alpha1", Resource: "controlplanes",
	}
	managedClusterGVR = schema.GroupVersionResource{
		Group: "cluster.open-cluster-management.io", Version: "v1", Resource: "managedclusters",
	}
	bindingPolicyGVR = schema.GroupVersionResource{Group: ksGroup, Version: ksVersion, Resource: "bindingpolicies"}
)

// buildKubeStellar runs hack/build-kubestellar.sh (cached after the first build) and returns
// the binary's path.
func buildKubeStellar(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "hack/build-kubestellar.sh")
	cmd.Dir = framework.RepoRoot()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building KubeStellar's controller-manager: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// downloadedModuleDir is a directory of module@version (downloaded through the module proxy if
// needed), relative to the repository root.
func downloadedModuleDir(ctx context.Context, moduleAtVersion string, elem ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", moduleAtVersion)
	cmd.Dir = framework.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", moduleAtVersion, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory (%w)", moduleAtVersion, err)
	}
	return filepath.Rel(framework.RepoRoot(), filepath.Join(append([]string{m.Dir}, elem...)...))
}

// registerSpaces creates, in the hosting cluster (the WDS), a kubeconfig Secret and a
// ControlPlane for the WDS and for the ITS, as KubeFlex would.
func registerSpaces(ctx context.Context, wds, its *server) error {
	for _, sp := range []struct {
		name, cpType string
		s            *server
	}{{wdsName, "wds", wds}, {itsName, "its", its}} {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: sp.name + "-kubeconfig"},
			Data:       map[string][]byte{keyKubeconfig: sp.s.kubeconfig, "kubeconfig-incluster": sp.s.kubeconfig},
		}
		if _, err := wds.cs.CoreV1().Secrets(opsNS).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return err
		}
		cp := &unstructured.Unstructured{Object: map[string]any{
			fieldAPIVersion: "tenancy.kflex.kubestellar.org/v1alpha1", fieldKind: "ControlPlane",
			fieldMetadata: map[string]any{fieldName: sp.name, fieldLabels: map[string]any{cpTypeLabel: sp.cpType}},
			fieldSpec:     map[string]any{fieldType: "external"},
		}}
		res := wds.dyn.Resource(controlPlaneGVR)
		if _, err := res.Create(ctx, cp, metav1.CreateOptions{}); err != nil {
			return err
		}
		raw, _ := jsonMarshal(map[string]any{fieldStatus: map[string]any{
			fieldConditions: []any{}, "observedGeneration": int64(1),
			"secretRef": map[string]any{fieldName: secret.Name, fieldNamespace: opsNS, "key": "kubeconfig",
				"inClusterKey": "kubeconfig-incluster"},
		}})
		if _, err := res.Patch(ctx, sp.name, types.MergePatchType, raw, metav1.PatchOptions{}, "status"); err != nil {
			return err
		}
	}
	return nil
}

// createInventory creates an OCM ManagedCluster per WEC in the ITS, which KubeStellar's binding
// controller resolves the policies' cluster selectors against.
func createInventory(ctx context.Context, w workload, its *server) error {
	for k := range w.wecs {
		mc := &unstructured.Unstructured{Object: map[string]any{
			fieldAPIVersion: "cluster.open-cluster-management.io/v1", fieldKind: "ManagedCluster",
			fieldMetadata: map[string]any{fieldName: w.wec(k),
				fieldLabels: map[string]any{wecLabel: "true", "name": w.wec(k)}},
			fieldSpec: map[string]any{"hubAcceptsClient": true},
		}}
		if _, err := its.dyn.Resource(managedClusterGVR).Create(ctx, mc, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// createBindingPolicies creates, for every Binding of the workload, the BindingPolicy of the
// same name from which KubeStellar's binding controller resolves that Binding: KubeStellar's
// status controller reads its binding controller's resolutions, not Binding objects.
func createBindingPolicies(ctx context.Context, w workload, wds *server, concurrency int) error {
	bindings := w.bindings()
	return parallel(ctx, len(bindings), concurrency, func(ctx context.Context, i int) error {
		b := bindings[i]
		var selector map[string]any
		if len(b.Spec.Destinations) == 1 {
			selector = map[string]any{"matchLabels": map[string]any{"name": b.Spec.Destinations[0].ClusterId}}
		} else {
			selector = map[string]any{"matchLabels": map[string]any{wecLabel: "true"}}
		}
		names := make([]any, 0, len(b.Spec.Workload.NamespaceScope))
		var collectors []any
		single, multi := false, false
		for j := range b.Spec.Workload.NamespaceScope {
			c := &b.Spec.Workload.NamespaceScope[j]
			names = append(names, c.Name)
			single, multi = c.WantSingletonReportedState, c.WantMultiWECReportedState
			collectors = nil
			for _, sc := range c.StatusCollectors {
				collectors = append(collectors, sc)
			}
		}
		clause := map[string]any{
			"apiGroup": groupApps, "resources": []any{resourceDeployments}, "namespaces": []any{workloadNS},
			"objectNames": names,
		}
		if single {
			clause["wantSingletonReportedState"] = true
		}
		if multi {
			clause["wantMultiWECReportedState"] = true
		}
		if len(collectors) > 0 {
			clause["statusCollectors"] = collectors
		}
		bp := &unstructured.Unstructured{Object: map[string]any{
			fieldAPIVersion: ksGroup + "/" + ksVersion, fieldKind: "BindingPolicy",
			fieldMetadata: map[string]any{fieldName: b.Name},
			fieldSpec:     map[string]any{"clusterSelectors": []any{selector}, "downsync": []any{clause}},
		}}
		_, err := wds.dyn.Resource(bindingPolicyGVR).Create(ctx, bp, metav1.CreateOptions{})
		return err
	})
}

// startKubeStellar runs KubeStellar's controller-manager with its binding and status
// controllers (its status controller refuses to start without its binding controller) against
// the hosting cluster (the WDS), its log in dir/kubestellar.log, its client limits (requests/s,
// burst twice that) qps towards both spaces.
func startKubeStellar(bin, dir string, wds *server, qps int) (*operator, error) {
	kubeconfig := filepath.Join(dir, "hosting.kubeconfig")
	if err := os.WriteFile(kubeconfig, wds.kubeconfig, 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "kubestellar.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--controllers=binding,status", "--wds-name="+wdsName, "--its-name="+itsName,
		fmt.Sprintf("--wds-qps=%d", qps), fmt.Sprintf("--wds-burst=%d", 2*qps),
		fmt.Sprintf("--its-qps=%d", qps), fmt.Sprintf("--its-burst=%d", 2*qps),
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", port), "--health-probe-bind-address=",
		"--pprof-bind-address=")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	op, err := startProcess(cmd, logFile, "", "")
	if op != nil {
		// It does not stop on SIGTERM (its main ends in select{}): killed after 5 s.
		op.grace = 5 * time.Second
	}
	return op, err
}

// clearStatus removes the status of every workload Deployment but its collisionCount (which
// the API server does not let decrease), so that the next controller's first sync starts from
// nothing, as the first one did.
func clearStatus(ctx context.Context, w workload, wds *server, concurrency int) error {
	deps := wds.cs.AppsV1().Deployments(workloadNS)
	return parallel(ctx, w.objects, concurrency, func(ctx context.Context, i int) error {
		d, err := deps.Get(ctx, w.object(i), metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Status = appsv1.DeploymentStatus{CollisionCount: d.Status.CollisionCount}
		_, err = deps.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	})
}
