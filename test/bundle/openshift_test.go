package bundle

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

const (
	// scrapeTokenSecret and scraperAccount are the defaults of the manager's
	// --metrics-token-secret and --metrics-scraper-service-account (main.go).
	scrapeTokenSecret = "singleton-operator-metrics-scraper-token"
	scraperAccount    = "singleton-operator-metrics-scraper"
)

// fileFields lists the fields of v, at any depth, whose name says they read a file of the
// Prometheus pod (bearerTokenFile, caFile, certFile, keyFile, credentialsFile, passwordFile...).
func fileFields(path string, v any) []string {
	var found []string
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			p := path + "." + k
			if strings.HasSuffix(strings.ToLower(k), "file") {
				found = append(found, p)
			}
			found = append(found, fileFields(p, sub)...)
		}
	case []any:
		for i, sub := range v {
			found = append(found, fileFields(fmt.Sprintf("%s[%d]", path, i), sub)...)
		}
	}
	sort.Strings(found)
	return found
}

func TestFileFieldsFindsFileCredentials(t *testing.T) {
	g := NewWithT(t)
	ep := map[string]any{"endpoints": []any{map[string]any{
		"bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
		"tlsConfig":       map[string]any{"caFile": "a", "certFile": "b", "keyFile": "c", "serverName": "x"},
	}}}
	g.Expect(fileFields("spec", ep)).To(Equal([]string{
		"spec.endpoints[0].bearerTokenFile",
		"spec.endpoints[0].tlsConfig.caFile",
		"spec.endpoints[0].tlsConfig.certFile",
		"spec.endpoints[0].tlsConfig.keyFile",
	}))
	g.Expect(fileFields("spec", map[string]any{"endpoints": []any{map[string]any{"port": "https"}}})).To(BeEmpty())
}

// TestServiceMonitorReadsNoFiles: OpenShift's user-workload monitoring runs its Prometheus
// Operator with arbitraryFSAccessThroughSMs denied and drops a ServiceMonitor that names a file
// (bearerTokenFile, tlsConfig caFile, certFile, keyFile). Every credential comes from a Secret.
func TestServiceMonitorReadsNoFiles(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	monitors := objectsOfKind(b, "ServiceMonitor")
	g.Expect(monitors).NotTo(BeEmpty())
	for _, m := range monitors {
		g.Expect(fileFields("spec", m.Object["spec"])).To(BeEmpty(),
			"ServiceMonitor %s reads a file of the Prometheus pod", m.GetName())
	}
}

// TestScraperIsAuthorizedOutOfTheBox: the ServiceAccount whose token the ServiceMonitor sends
// gets the metrics-reader rule from the CSV (OLM binds it in the install namespace), and the
// manager, which makes the token Secret, may create Secrets in its namespace.
func TestScraperIsAuthorizedOutOfTheBox(t *testing.T) {
	g := NewWithT(t)
	spec := loadBundle(t).CSV.Spec.InstallStrategy.StrategySpec

	var scraperRules []rbacv1.PolicyRule
	for _, p := range spec.ClusterPermissions {
		if p.ServiceAccountName == scraperAccount {
			scraperRules = append(scraperRules, p.Rules...)
		}
	}
	g.Expect(scraperRules).To(ConsistOf(rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
		"the CSV must give %s exactly get on /metrics", scraperAccount)

	manager := deploymentSpecs(loadBundle(t).CSV)[0].Spec.Template.Spec
	canCreateSecrets := false
	for _, p := range spec.Permissions {
		if p.ServiceAccountName != manager.ServiceAccountName {
			continue
		}
		for _, r := range p.Rules {
			if contains(r.APIGroups, "") && contains(r.Resources, "secrets") && contains(r.Verbs, "create") &&
				contains(r.Verbs, "get") && len(r.ResourceNames) == 0 {
				canCreateSecrets = true
			}
		}
	}
	g.Expect(canCreateSecrets).To(BeTrue(), "the manager must get and create Secrets in its namespace (the scrape token)")

	for _, c := range manager.Containers {
		for _, a := range c.Args {
			g.Expect(a).NotTo(HavePrefix("--metrics-token-secret="), "the ServiceMonitor names the default Secret")
			g.Expect(a).NotTo(HavePrefix("--metrics-scraper-service-account="), "the CSV names the default ServiceAccount")
		}
	}
	g.Expect(corev1.ServiceAccountTokenKey).To(Equal("token"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// targetLabels are the labels Prometheus sets from the scrape target. OpenShift's user-workload
// monitoring forces honorLabels off, so a series' own label of one of these names is renamed
// exported_<name>, and namespace is set to the operator's.
var targetLabels = []string{"namespace", "pod", "service", "job", "instance", "container", "endpoint"}

var (
	// perObjectMetric matches the metrics that carry an object's namespace label of their own;
	// not the series recorded from them (`object:statefulsingleton_held_pods:max`), which the
	// recording rule already labeled object_namespace (and which this check reads as rules too).
	perObjectMetric = regexp.MustCompile(`(?:^|[^:\w])(statefulsingleton|reportedstate)_[a-z_]+`)
	groupingClause  = regexp.MustCompile(`\b(by|without)\s*\(([^)]*)\)`)
	// objectNamespace is the scheme of config/prometheus/alerts.yaml: object_namespace from
	// namespace, then from exported_namespace when there is one.
	objectNamespaceFromNamespace = `"object_namespace", "$1", "namespace", "(.*)"`
	objectNamespaceFromExported  = `"object_namespace", "$1", "exported_namespace", "(.+)"`
)

// uwmLabelProblems says why an alert would read differently under user-workload monitoring.
func uwmLabelProblems(expr string, annotations map[string]string) []string {
	if !perObjectMetric.MatchString(expr) {
		return nil
	}
	var problems []string
	for _, m := range groupingClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[2], ",") {
			l = strings.TrimSpace(l)
			for _, t := range targetLabels {
				if l == t || l == "exported_"+t {
					problems = append(problems, fmt.Sprintf("groups %s (%s) by %s, which user-workload monitoring rewrites", m[1], m[2], l))
				}
			}
		}
	}
	grouped := false
	for _, m := range groupingClause.FindAllStringSubmatch(expr, -1) {
		if m[1] == "by" && strings.Contains(m[2], "object_namespace") {
			grouped = true
		}
	}
	if !grouped {
		problems = append(problems, "does not group by object_namespace")
	}
	if strings.Count(expr, objectNamespaceFromNamespace) != len(perObjectMetric.FindAllString(expr, -1)) ||
		strings.Count(expr, objectNamespaceFromExported) != len(perObjectMetric.FindAllString(expr, -1)) {
		problems = append(problems, "does not set object_namespace from namespace and exported_namespace for every per-object metric")
	}
	for k, v := range annotations {
		for _, t := range targetLabels {
			if strings.Contains(v, "$labels."+t+" ") || strings.Contains(v, "$labels."+t+"}") ||
				strings.Contains(v, "$labels.exported_"+t) {
				problems = append(problems, fmt.Sprintf("annotation %s prints $labels.%s", k, t))
			}
		}
	}
	return problems
}

func TestUWMLabelProblemsFindsRewrittenGrouping(t *testing.T) {
	g := NewWithT(t)
	g.Expect(uwmLabelProblems(`max by (namespace, name) (statefulsingleton_held_pods) > 0`,
		map[string]string{"summary": "{{ $labels.namespace }}/{{ $labels.name }}"})).To(HaveLen(4))
	g.Expect(uwmLabelProblems(`max by (object_namespace, name) (label_replace(statefulsingleton_held_pods, "object_namespace", "$1", "namespace", "(.*)")) > 0`,
		nil)).To(ConsistOf(ContainSubstring("every per-object metric")))
	g.Expect(uwmLabelProblems(`max by (object_namespace, name) (label_replace(label_replace(statefulsingleton_held_pods, `+
		objectNamespaceFromNamespace+`), `+objectNamespaceFromExported+`)) > 0`,
		map[string]string{"summary": "{{ $labels.object_namespace }}/{{ $labels.name }}"})).To(BeEmpty())
	// A series recorded per object is already labeled object_namespace.
	g.Expect(uwmLabelProblems(`object:statefulsingleton_held_pods:max > 0`, nil)).To(BeEmpty())
	g.Expect(uwmLabelProblems(`max by (name) (object:statefulsingleton_held_pods:max + statefulsingleton_held_pods)`, nil)).
		To(ContainElement("does not group by object_namespace"))
	// The manager's own series have no namespace of their own: grouping by it is fine.
	g.Expect(uwmLabelProblems(`sum by (namespace, controller) (rate(controller_runtime_reconcile_total[5m]))`, nil)).To(BeEmpty())
}

// TestAlertsReadTheSameUnderUWM: no alert over per-object series groups by, or prints, a label
// that OpenShift's user-workload monitoring rewrites (config/prometheus/tests runs them in
// both label shapes).
func TestAlertsReadTheSameUnderUWM(t *testing.T) {
	b := loadBundle(t)
	rules := objectsOfKind(b, "PrometheusRule")
	NewWithT(t).Expect(rules).NotTo(BeEmpty())
	for _, pr := range rules {
		groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
		for _, gr := range groups {
			rs, _, _ := unstructured.NestedSlice(gr.(map[string]any), "rules")
			for _, r := range rs {
				rule := r.(map[string]any)
				name, _ := rule["alert"].(string)
				if name == "" {
					name, _ = rule["record"].(string)
				}
				expr, _ := rule["expr"].(string)
				annotations, _, _ := unstructured.NestedStringMap(rule, "annotations")
				t.Run(name, func(t *testing.T) {
					NewWithT(t).Expect(uwmLabelProblems(expr, annotations)).To(BeEmpty())
				})
			}
		}
	}
}

// TestConsoleMetadata: what the OpenShift console shows of the operator. The uninstall message
// says to delete the StatefulSingletons before the operator, and why; the description and the
// keywords cover KubeStellar's reported state; the arch and os labels put the operator in the
// console's filters.
func TestConsoleMetadata(t *testing.T) {
	csv := loadBundle(t).CSV

	t.Run("uninstall message", func(t *testing.T) {
		g := NewWithT(t)
		msg := csv.Annotations["operator.openshift.io/uninstall-message"]
		g.Expect(msg).NotTo(BeEmpty(), "operator.openshift.io/uninstall-message")
		g.Expect(msg).To(ContainSubstring("StatefulSingleton"))
		g.Expect(msg).To(ContainSubstring("finalizer"), "the message says why the order matters")
		first, then := strings.Index(msg, "delete every StatefulSingleton"), strings.Index(msg, "uninstall the operator")
		g.Expect(first).To(BeNumerically(">=", 0))
		g.Expect(then).To(BeNumerically(">", first), "StatefulSingletons first, then the operator")
		g.Expect(msg).To(ContainSubstring(singletonv1.FinalizerHandBack))
		g.Expect(msg).To(ContainSubstring(singletonv1.FinalizerRelease))
		g.Expect(msg).To(ContainSubstring("Delete all operand instances"), "names the console's way to delete the operands")
		g.Expect(msg).To(ContainSubstring("held"), "says what happens to a pod still held")
	})
	t.Run("operand delete", func(t *testing.T) {
		// Deleting a StatefulSingleton loses nothing (its workload is handed back and keeps
		// running) and is the first step of an uninstall, so the console's "Delete all operand
		// instances" stays offered; the uninstall message asks to wait for them (docs/bundle.md).
		NewWithT(t).Expect(csv.Annotations).NotTo(HaveKeyWithValue("console.openshift.io/disable-operand-delete", "true"))
	})
	t.Run("KubeStellar in the description and keywords", func(t *testing.T) {
		g := NewWithT(t)
		for _, w := range []string{"KubeStellar", "ReportedState", "WDS", "WEC", "ITS"} {
			g.Expect(csv.Spec.Description).To(ContainSubstring(w))
		}
		g.Expect(csv.Spec.Keywords).To(ContainElements("kubestellar", "multi-cluster", "reported state", "ReportedState", "CombinedStatus"))
		g.Expect(csv.Spec.Description).To(ContainSubstring("CombinedStatus"))
	})
	t.Run("arch and os labels", func(t *testing.T) {
		g := NewWithT(t)
		for _, l := range []string{"operatorframework.io/arch.amd64", "operatorframework.io/arch.arm64", "operatorframework.io/os.linux"} {
			g.Expect(csv.Labels).To(HaveKeyWithValue(l, "supported"))
		}
	})
}

// byDigest reports whether an image reference is pinned by digest.
func byDigest(image string) bool {
	return regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(image)
}

// imageLike matches a string that is an image reference on a registry (a host with a dot, or
// localhost, then a path) with a tag or a digest, wherever it appears: an annotation, an
// argument, an environment variable of any name.
var imageLike = regexp.MustCompile(`^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+)(:[0-9]+)?/[a-z0-9._/-]+` +
	`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$`)

// imageKeys are the fields that hold an image, with or without a registry host or a tag.
var imageKeys = map[string]bool{"image": true, "containerImage": true}

// bundleImage is one image reference found in the bundle, and where.
type bundleImage struct{ file, path, image string }

// imagesIn lists the image references in v, a decoded YAML document: the values of imageKeys,
// the value of every environment variable named RELATED_IMAGE_* or *_IMAGE, and any string or
// --flag=value that looks like an image reference on a registry.
func imagesIn(file, path string, v any) []bundleImage {
	var out []bundleImage
	switch v := v.(type) {
	case map[string]any:
		envImage := false
		if n, ok := v["name"].(string); ok {
			if val, ok := v["value"].(string); ok && (strings.HasPrefix(n, "RELATED_IMAGE_") || strings.HasSuffix(n, "_IMAGE")) {
				out = append(out, bundleImage{file, path + "[" + n + "]", val})
				envImage = true
			}
		}
		for k, sub := range v {
			p := path + "." + k
			if envImage && k == "value" {
				continue
			}
			if s, ok := sub.(string); ok && imageKeys[k] {
				out = append(out, bundleImage{file, p, s})
				continue
			}
			out = append(out, imagesIn(file, p, sub)...)
		}
	case []any:
		for i, sub := range v {
			out = append(out, imagesIn(file, fmt.Sprintf("%s[%d]", path, i), sub)...)
		}
	case string:
		// A flag's value counts too: --some-image=registry/repo:tag.
		if flag, value, ok := strings.Cut(v, "="); ok && strings.HasPrefix(flag, "--") {
			v = value
		}
		if imageLike.MatchString(v) {
			out = append(out, bundleImage{file, path, v})
		}
	}
	return out
}

// bundleImages lists every image reference in every file of the bundle directory dir.
func bundleImages(t *testing.T, dir string) []bundleImage {
	t.Helper()
	var out []bundleImage
	for rel, content := range readTree(t, dir) {
		for i, doc := range strings.Split(content, "\n---") {
			var v any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			out = append(out, imagesIn(rel, fmt.Sprintf("[%d]", i), v)...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file+out[i].path < out[j].file+out[j].path })
	return out
}

// notMirrored are the images of the bundle that are not part of an install and need no mirror:
// operator-sdk's own scorecard test image, which `operator-sdk scorecard` runs for its basic
// and olm suites from a developer's machine (bundle/tests/scorecard/config.yaml). It is
// published by tag only, and test/bundle runs those checks itself (docs/bundle.md,
// "Disconnected").
var notMirrored = regexp.MustCompile(`^quay\.io/operator-framework/scorecard-test:v[0-9.]+$`)

func TestImagesInFindsEveryKind(t *testing.T) {
	g := NewWithT(t)
	digest := "r.example/x@sha256:" + strings.Repeat("a", 64)
	doc := map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{"containerImage": "x:v1", "other": "quay.io/a/b:v2"}},
		"spec": map[string]any{"containers": []any{map[string]any{
			"image": digest,
			"args":  []any{"--sidecar=localhost/side:1", "--name=apps.example.com/v1"},
			"env": []any{
				map[string]any{"name": "RELATED_IMAGE_GATE", "value": "gate"},
				map[string]any{"name": "PROXY_IMAGE", "value": "localhost:5000/p:1"},
				map[string]any{"name": "URL", "value": "https://example.com/a:b"},
			},
		}}},
	}
	images := imagesIn("f", "", doc)
	found := make([]string, 0, len(images))
	for _, im := range images {
		found = append(found, im.image)
	}
	g.Expect(found).To(ConsistOf("x:v1", "quay.io/a/b:v2", digest, "localhost/side:1", "gate", "localhost:5000/p:1"))
	g.Expect(byDigest(digest)).To(BeTrue())
	g.Expect(byDigest("r/x:v1")).To(BeFalse())
	g.Expect(notMirrored.MatchString("quay.io/operator-framework/scorecard-test:v1.42.2")).To(BeTrue())
	g.Expect(notMirrored.MatchString("quay.io/operator-framework/scorecard-test@sha256:" + strings.Repeat("a", 64))).To(BeFalse())
}

// TestDisconnectedNeedsDigests: features.operators.openshift.io/disconnected "true" promises
// that mirroring relatedImages is enough, which holds only if every image the operator runs or
// injects is named by digest (a mirror maps digests, not tags) and listed there. The test
// looks at every file of the bundle: the Deployment's containers, environment variables (the
// gate image), annotations (containerImage), relatedImages, the scorecard configuration.
func TestDisconnectedNeedsDigests(t *testing.T) {
	g := NewWithT(t)
	csv := loadBundle(t).CSV
	if csv.Annotations["features.operators.openshift.io/disconnected"] != "true" {
		return
	}
	images := bundleImages(t, bundleDir(t))
	g.Expect(images).NotTo(BeEmpty())
	related := map[string]bool{}
	for _, ri := range csv.Spec.RelatedImages {
		related[ri.Image] = true
	}
	for _, im := range images {
		if notMirrored.MatchString(im.image) && strings.HasPrefix(im.file, "tests/") {
			continue
		}
		g.Expect(byDigest(im.image)).To(BeTrue(),
			"disconnected is claimed but %s%s names %q, not pinned by digest", im.file, im.path, im.image)
		if strings.HasPrefix(im.file, "manifests/") {
			g.Expect(related).To(HaveKey(im.image), "%s%s names %q, which relatedImages does not list", im.file, im.path, im.image)
		}
	}
}
