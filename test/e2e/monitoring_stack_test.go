//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/singleton-operator/singleton-operator/hack/dashboard"
)

// The monitoring stack of the e2e suite: the Prometheus Operator (hack/build-prometheus-operator.sh)
// as a local process, a Prometheus resource configured as OpenShift's user-workload monitoring
// configures its own, and Debian's Prometheus server running the configuration and rules the
// Prometheus Operator rendered from the bundle's ServiceMonitor and PrometheusRule.
const (
	// uwmNamespace plays openshift-user-workload-monitoring.
	uwmNamespace = "e2e-user-workload-monitoring"
	// uwmName is the Prometheus resource's; the Prometheus Operator names what it renders after it.
	uwmName = "user-workload"
	// ruleFor is the per-object alerts' `for` in the test's Prometheus (see shortenFor): the
	// rules are the bundle's as rendered, but for this, so that a test need not wait the 30 s to
	// 10 minutes they ask on a real cluster (config/prometheus/tests unit-tests the real ones).
	ruleFor = "10s"
)

// prometheus is a running Prometheus server, queried over its HTTP API.
type prometheus struct {
	url string
}

// startMonitoring starts the Prometheus Operator and a Prometheus server, and stops them when the
// spec tree ends.
func startMonitoring(ctx context.Context) *prometheus {
	GinkgoHelper()
	operatorBin := os.Getenv("E2E_PROMETHEUS_OPERATOR")
	Expect(operatorBin).NotTo(BeEmpty(), "E2E_PROMETHEUS_OPERATOR names the Prometheus Operator (make test-e2e builds it)")
	prometheusBin := envOr("E2E_PROMETHEUS", "/usr/bin/prometheus")
	Expect(os.Getenv("KUBECONFIG")).NotTo(BeEmpty(), "KUBECONFIG names the local cluster's kubeconfig")
	dir := GinkgoT().TempDir()

	By("starting the Prometheus Operator")
	// It reads KUBECONFIG. No pod of it runs, so the reloader image is only a name.
	startProcess(ctx, filepath.Join(dir, "prometheus-operator.log"), operatorBin,
		"--web.listen-address=127.0.0.1:0", "--kubelet-service=",
		"--prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:v0.89.0",
		"--prometheus-instance-namespaces="+uwmNamespace, "--alertmanager-instance-namespaces="+uwmNamespace,
		"--thanos-ruler-instance-namespaces="+uwmNamespace, "--log-level=info")

	By("creating a Prometheus resource as user-workload monitoring's")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: uwmNamespace}}
	Expect(client.IgnoreAlreadyExists(k8s.Create(ctx, ns))).To(Succeed())
	prom := uwmPrometheus()
	Expect(k8s.Create(ctx, prom)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, prom))).To(Succeed())
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, ns))).To(Succeed())
	})

	By("rendering its configuration and rules into files, and starting Prometheus on them")
	config := renderedConfig(ctx, dir)
	addr := freeLoopbackAddress()
	startProcess(ctx, filepath.Join(dir, "prometheus.log"), prometheusBin,
		"--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	p := &prometheus{url: "http://" + addr}
	Eventually(func() (int, error) {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close() //nolint:errcheck // A read body's close error changes nothing.
		return resp.StatusCode, nil
	}).WithContext(ctx).Should(Equal(http.StatusOK))
	return p
}

// uwmPrometheus is a Prometheus resource with the restrictions of OpenShift's user-workload
// monitoring: no file of the Prometheus pod may be named by a ServiceMonitor, the target's
// labels win over the series' (honorLabels forced off), every series and rule is scoped by the
// `namespace` label of the object that defined it, and namespace selectors of the monitors are
// ignored. No replica runs in the cluster (no image registry here): the server runs beside it.
func uwmPrometheus() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "Prometheus",
		"metadata":   map[string]any{"namespace": uwmNamespace, "name": uwmName},
		"spec": map[string]any{
			"replicas":                        int64(0),
			"version":                         "v2.42.0", // Debian's server; the rendering follows it
			"scrapeInterval":                  "5s",
			"evaluationInterval":              "5s",
			"serviceMonitorSelector":          map[string]any{},
			"serviceMonitorNamespaceSelector": map[string]any{},
			"podMonitorSelector":              map[string]any{},
			"podMonitorNamespaceSelector":     map[string]any{},
			"ruleSelector":                    map[string]any{},
			"ruleNamespaceSelector":           map[string]any{},
			"arbitraryFSAccessThroughSMs":     map[string]any{"deny": true},
			"overrideHonorLabels":             true,
			"overrideHonorTimestamps":         true,
			"ignoreNamespaceSelectors":        true,
			"enforcedNamespaceLabel":          "namespace",
		},
	}}
	return u
}

// renderedConfig waits for what the Prometheus Operator rendered (the configuration Secret, its
// TLS assets, the rule ConfigMaps), writes it under dir with the paths the Prometheus pod would
// mount rewritten to there, Kubernetes service discovery played by the test (playKubernetesSD),
// and the rules' `for` shortened to ruleFor; it returns the configuration file's path.
func renderedConfig(ctx context.Context, dir string) string {
	GinkgoHelper()
	certs, rules := filepath.Join(dir, "certs"), filepath.Join(dir, "rules")
	var raw []byte
	Eventually(func(g Gomega) {
		secret := &corev1.Secret{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: uwmNamespace, Name: "prometheus-" + uwmName}, secret)).To(Succeed())
		zr, err := gzip.NewReader(bytes.NewReader(secret.Data["prometheus.yaml.gz"]))
		g.Expect(err).NotTo(HaveOccurred())
		raw, err = io.ReadAll(zr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(raw)).To(ContainSubstring("serviceMonitor/"+operatorNamespace+"/"),
			"the bundle's ServiceMonitor is rendered")
		g.Expect(string(raw)).To(ContainSubstring("rule_files"), "the bundle's PrometheusRule is rendered")
	}).WithContext(ctx).Should(Succeed())

	Expect(os.MkdirAll(certs, 0o700)).To(Succeed())
	assets := &corev1.SecretList{}
	Expect(k8s.List(ctx, assets, client.InNamespace(uwmNamespace))).To(Succeed())
	for i := range assets.Items {
		s := &assets.Items[i]
		if !strings.HasPrefix(s.Name, "prometheus-"+uwmName+"-tls-assets") {
			continue
		}
		for key, value := range s.Data {
			Expect(os.WriteFile(filepath.Join(certs, key), value, 0o600)).To(Succeed())
		}
	}
	maps := &corev1.ConfigMapList{}
	Expect(k8s.List(ctx, maps, client.InNamespace(uwmNamespace))).To(Succeed())
	for i := range maps.Items {
		cm := &maps.Items[i]
		if !strings.HasPrefix(cm.Name, "prometheus-"+uwmName+"-rulefiles") {
			continue
		}
		Expect(os.MkdirAll(filepath.Join(rules, cm.Name), 0o700)).To(Succeed())
		for key, value := range cm.Data {
			Expect(os.WriteFile(filepath.Join(rules, cm.Name, key), shortenFor(value), 0o600)).To(Succeed())
		}
	}

	// The config reloader beside the Prometheus pod's server fills these in from its environment.
	text := strings.NewReplacer("$(SHARD)", "0", "$(POD_NAME)", "prometheus-"+uwmName+"-0").Replace(string(raw))
	text = strings.ReplaceAll(text, "/etc/prometheus/certs/", certs+"/")
	text = strings.ReplaceAll(text, "/etc/prometheus/rules/", rules+"/")
	var cfg map[string]any
	Expect(yaml.Unmarshal([]byte(text), &cfg)).To(Succeed())
	scrapes, _ := cfg["scrape_configs"].([]any)
	var sds []endpointsSD
	for i, sc := range scrapes {
		scrape := sc.(map[string]any)
		k8sSDs, _ := scrape["kubernetes_sd_configs"].([]any)
		if len(k8sSDs) == 0 {
			continue
		}
		var files []any
		for j, sd := range k8sSDs {
			sd := sd.(map[string]any)
			Expect(sd["role"]).To(Equal("endpoints"), "the role the bundle's ServiceMonitor renders to")
			names, _ := sd["namespaces"].(map[string]any)["names"].([]any)
			file := filepath.Join(dir, fmt.Sprintf("sd-%d-%d.json", i, j))
			for _, n := range names {
				sds = append(sds, endpointsSD{namespace: n.(string), file: file})
			}
			files = append(files, file)
		}
		delete(scrape, "kubernetes_sd_configs")
		scrape["file_sd_configs"] = []any{map[string]any{"files": files, "refresh_interval": "2s"}}
	}
	playKubernetesSD(ctx, sds)
	out, err := yaml.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, "prometheus.yaml")
	Expect(os.WriteFile(path, out, 0o600)).To(Succeed())
	return path
}

// shortenFor sets the `for` of the per-object alerts (StatefulSingleton*, ReportedState*) of a
// rule file to ruleFor, so that the fault specs see them fire in seconds. The manager's alerts
// keep theirs: the other specs of the suite make reconcile errors and restarts on purpose, which
// a real `for` of 10 or 15 minutes absorbs, and "no manager alert fires" then means what it says.
func shortenFor(file string) []byte {
	GinkgoHelper()
	var rules struct {
		Groups []struct {
			Name  string           `json:"name"`
			Rules []map[string]any `json:"rules"`
		} `json:"groups"`
	}
	Expect(yaml.Unmarshal([]byte(file), &rules)).To(Succeed())
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			name, _ := r["alert"].(string)
			if strings.HasPrefix(name, "StatefulSingleton") || strings.HasPrefix(name, "ReportedState") {
				r["for"] = ruleFor
			}
		}
	}
	out, err := yaml.Marshal(rules)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// startProcess starts a program with its output in logFile, and stops it when the spec tree
// ends; if the program ends first, the spec fails with the end of its log.
func startProcess(ctx context.Context, logFile, name string, args ...string) {
	GinkgoHelper()
	log, err := os.Create(logFile)
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	Expect(cmd.Start()).To(Succeed(), "starting %s", name)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Printf("the end of %s's log:\n%s\n", filepath.Base(name), tail(logFile))
		}
		_ = cmd.Process.Kill()
		<-exited
		_ = log.Close()
	})
	Consistently(exited).WithContext(ctx).WithTimeout(time.Second).ShouldNot(BeClosed(),
		func() string { return filepath.Base(name) + " exited at once:\n" + tail(logFile) })
}

// tail returns the last lines of a file, for a failure message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// freeLoopbackAddress returns a loopback address with a port nothing listens on.
func freeLoopbackAddress() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

// sample is one series of an instant query's result.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query runs an instant PromQL query.
func (p *prometheus) query(ctx context.Context, q string) ([]sample, error) {
	body, err := p.get(ctx, "/api/v1/query?query="+url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var answer struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, err
	}
	out := make([]sample, 0, len(answer.Data.Result))
	for _, r := range answer.Data.Result {
		var v float64
		if s, ok := r.Value[1].(string); ok {
			if _, err := fmt.Sscan(s, &v); err != nil {
				return nil, err
			}
		}
		out = append(out, sample{Metric: r.Metric, Value: v})
	}
	return out, nil
}

// diagnose prints what a failed monitoring spec needs to be understood: the rule groups' health,
// the alerts, and the StatefulSingleton and ReportedState gauges as Prometheus holds them.
func (p *prometheus) diagnose(ctx context.Context) {
	for _, path := range []string{"/api/v1/rules", "/api/v1/alerts", "/api/v1/targets"} {
		body, err := p.get(context.WithoutCancel(ctx), path)
		GinkgoWriter.Printf("%s: %v\n%s\n", path, err, body)
	}
	for _, q := range []string{`{__name__=~"statefulsingleton_.*|reportedstate_connected"}`} {
		series, err := p.query(context.WithoutCancel(ctx), q)
		GinkgoWriter.Printf("%s: %v\n%v\n", q, err, series)
	}
}

// alert is one alert as Prometheus's API shows it.
type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// alerts returns the pending and firing alerts.
func (p *prometheus) alerts(ctx context.Context) ([]alert, error) {
	body, err := p.get(ctx, "/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var answer struct {
		Data struct {
			Alerts []alert `json:"alerts"`
		} `json:"data"`
	}
	return answer.Data.Alerts, json.Unmarshal(body, &answer)
}

// firing returns the names of the firing alerts whose labels include match, sorted.
func (p *prometheus) firing(ctx context.Context, match map[string]string) ([]string, error) {
	all, err := p.alerts(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range all {
		if a.State != "firing" {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && a.Labels[k] == v
		}
		if ok {
			names = append(names, a.Labels["alertname"])
		}
	}
	return names, nil
}

func (p *prometheus) get(ctx context.Context, path string) ([]byte, error) {
	return dashboard.Get(ctx, p.url, path)
}

// ignoreGone is nil for a NotFound error.
func ignoreGone(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// endpointsSD is one namespace of a kubernetes_sd_config with role endpoints, and the file_sd
// file that stands for it.
type endpointsSD struct {
	namespace, file string
}

// playKubernetesSD stands in for Prometheus's Kubernetes service discovery, which Debian builds
// its Prometheus without: until the spec tree ends, it writes every 2 s the targets that role
// endpoints discovers (each ready address and port of the namespaces' Endpoints) with the
// __meta_kubernetes_* labels the rendered relabelings read, so that those relabelings, the
// scrape and its credentials stay the real ones.
func playKubernetesSD(ctx context.Context, sds []endpointsSD) {
	GinkgoHelper()
	// The spec tree's own context, not the node's that starts it, which ends with that node.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	write := func() error {
		byFile := map[string][]fileSDGroup{}
		for _, sd := range sds {
			groups, err := endpointsTargets(ctx, sd.namespace)
			if err != nil {
				return err
			}
			byFile[sd.file] = append(byFile[sd.file], groups...)
		}
		for file, groups := range byFile {
			b, err := json.Marshal(groups)
			if err != nil {
				return err
			}
			if err := os.WriteFile(file+".tmp", b, 0o600); err != nil {
				return err
			}
			if err := os.Rename(file+".tmp", file); err != nil {
				return err
			}
		}
		return nil
	}
	Expect(write()).To(Succeed())
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Second):
				if err := write(); err != nil {
					GinkgoWriter.Printf("service discovery: %v\n", err)
				}
			}
		}
	}()
	DeferCleanup(func() {
		close(done)
		<-stopped
		cancel()
	})
}

// fileSDGroup is one group of a file_sd file.
type fileSDGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// endpointsTargets is what role endpoints discovers in a namespace.
func endpointsTargets(ctx context.Context, namespace string) ([]fileSDGroup, error) {
	var groups []fileSDGroup
	list := &corev1.EndpointsList{}
	if err := k8s.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	for i := range list.Items {
		ep := &list.Items[i]
		svc := &corev1.Service{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), svc); err != nil {
			continue
		}
		for _, subset := range ep.Subsets {
			for _, addr := range subset.Addresses {
				for _, port := range subset.Ports {
					labels := map[string]string{
						"__meta_kubernetes_namespace":              namespace,
						"__meta_kubernetes_endpoints_name":         ep.Name,
						"__meta_kubernetes_service_name":           svc.Name,
						"__meta_kubernetes_endpoint_port_name":     port.Name,
						"__meta_kubernetes_endpoint_ready":         "true",
						"__meta_kubernetes_endpoint_port_protocol": string(port.Protocol),
					}
					for k, v := range svc.Labels {
						labels["__meta_kubernetes_service_label_"+sanitizeLabel(k)] = v
						labels["__meta_kubernetes_service_labelpresent_"+sanitizeLabel(k)] = "true"
					}
					if ref := addr.TargetRef; ref != nil {
						labels["__meta_kubernetes_endpoint_address_target_kind"] = ref.Kind
						labels["__meta_kubernetes_endpoint_address_target_name"] = ref.Name
						if ref.Kind == "Pod" {
							addPodLabels(ctx, labels, namespace, ref.Name, port.Port)
						}
					}
					groups = append(groups, fileSDGroup{
						Targets: []string{net.JoinHostPort(addr.IP, fmt.Sprint(port.Port))}, Labels: labels,
					})
				}
			}
		}
	}
	return groups, nil
}

// addPodLabels adds the labels role endpoints gives a target that is a pod's port.
func addPodLabels(ctx context.Context, labels map[string]string, namespace, name string, port int32) {
	pod := &corev1.Pod{}
	if k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, pod) != nil {
		return
	}
	labels["__meta_kubernetes_pod_name"] = pod.Name
	labels["__meta_kubernetes_pod_phase"] = string(pod.Status.Phase)
	labels["__meta_kubernetes_pod_node_name"] = pod.Spec.NodeName
	labels["__meta_kubernetes_pod_ip"] = pod.Status.PodIP
	for k, v := range pod.Labels {
		labels["__meta_kubernetes_pod_label_"+sanitizeLabel(k)] = v
		labels["__meta_kubernetes_pod_labelpresent_"+sanitizeLabel(k)] = "true"
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for _, p := range c.Ports {
			if p.ContainerPort == port {
				labels["__meta_kubernetes_pod_container_name"] = c.Name
				labels["__meta_kubernetes_pod_container_port_name"] = p.Name
			}
		}
	}
}

// notLabelChar is what Prometheus replaces in a Kubernetes label key to make a label name.
var notLabelChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// sanitizeLabel makes a Kubernetes label key a Prometheus label name, as Prometheus does.
func sanitizeLabel(k string) string {
	return notLabelChar.ReplaceAllString(k, "_")
}
