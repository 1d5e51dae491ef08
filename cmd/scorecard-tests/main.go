// Command scorecard-tests runs one custom scorecard test of singleton-operator against the
// cluster it runs in and prints its scorecard v1alpha3 TestStatus as JSON, as scorecard expects
// from a test image's entrypoint ([scorecard-tests, <test name>], see
// bundle/tests/scorecard/config.yaml):
//
//	scorecard-tests <test> [flags]
//
// The tests (cmd/scorecard-tests/checks): statefulsingleton-ready, webhook-gates-selected-pods,
// metrics-require-auth. Its objects go into $SCORECARD_NAMESPACE, which scorecard sets; the
// ServiceAccount scorecard runs it with needs config/scorecard/rbac.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	"github.com/operator-framework/api/pkg/manifests"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/cmd/scorecard-tests/checks"
	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// options are the flags after the test name.
type options struct {
	namespace         string
	operatorNamespace string
	bundleDir         string
	workloadImage     string
	metricsURL        string
	metricsService    string
	metricsCASecret   string
	timeout           time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("scorecard-tests", flag.ContinueOnError)
	fs.StringVar(&o.namespace, "namespace", envOr("SCORECARD_NAMESPACE", "default"),
		"Namespace the test creates its objects in.")
	fs.StringVar(&o.operatorNamespace, "operator-namespace", "",
		"Namespace the operator runs in; empty means --namespace.")
	fs.StringVar(&o.bundleDir, "bundle", "/bundle",
		"The bundle (scorecard mounts it at /bundle); its relatedImages name the workload image.")
	fs.StringVar(&o.workloadImage, "workload-image", "",
		"Image of the test workloads; empty means relatedImages \"gate\" of the bundle.")
	fs.StringVar(&o.metricsService, "metrics-service", "singleton-operator-controller-manager-metrics-service",
		"Service of the manager's metrics endpoint, in the operator's namespace.")
	fs.StringVar(&o.metricsURL, "metrics-url", "",
		"The metrics URL; empty means https://<metrics-service>.<operator-namespace>.svc:8443/metrics.")
	fs.StringVar(&o.metricsCASecret, "metrics-ca-secret", "singleton-operator-metrics-server-cert",
		"Secret of the operator's namespace holding the metrics CA (key ca.crt).")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "How long each wait of a test may take.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.operatorNamespace == "" {
		o.operatorNamespace = o.namespace
	}
	if o.metricsURL == "" {
		o.metricsURL = fmt.Sprintf("https://%s.%s.svc:8443/metrics", o.metricsService, o.operatorNamespace)
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(os.Stderr, "usage: scorecard-tests <test> [flags]; tests: %v\n", checks.Names())
		return 2
	}
	name := args[0]
	o, err := parseFlags(args[1:])
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	status := runCheck(ctx, name, o)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(status); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runCheck builds the test's environment from the cluster and the bundle, and runs it.
func runCheck(ctx context.Context, name string, o options) scapiv1alpha3.TestStatus {
	if _, ok := checks.Checks[name]; !ok {
		return checks.Run(ctx, name, checks.Env{})
	}
	env, err := environment(ctx, o)
	if err != nil {
		return scapiv1alpha3.TestStatus{Results: []scapiv1alpha3.TestResult{{
			Name: name, State: scapiv1alpha3.ErrorState, Errors: []string{err.Error()}, Suggestions: []string{},
		}}}
	}
	return checks.Run(ctx, name, env)
}

func environment(ctx context.Context, o options) (checks.Env, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return checks.Env{}, fmt.Errorf("no cluster to test: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return checks.Env{}, err
	}
	image := o.workloadImage
	if image == "" {
		if image, err = gateImage(o.bundleDir); err != nil {
			return checks.Env{}, err
		}
	}
	env := checks.Env{
		Config: cfg, Client: c, Namespace: o.namespace, WorkloadImage: image,
		MetricsURL: o.metricsURL, Timeout: o.timeout,
	}
	var secret corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: o.operatorNamespace, Name: o.metricsCASecret}, &secret); err == nil {
		env.MetricsCA = secret.Data["ca.crt"]
	}
	return env, nil
}

// gateImage returns the image relatedImages calls "gate" in the bundle's CSV.
func gateImage(bundleDir string) (string, error) {
	b, err := manifests.GetBundleFromDir(bundleDir)
	if err != nil {
		return "", fmt.Errorf("reading the bundle (--bundle): %w", err)
	}
	if b.CSV == nil {
		return "", errors.New("the bundle holds no ClusterServiceVersion")
	}
	for _, ri := range b.CSV.Spec.RelatedImages {
		if ri.Name == "gate" {
			return ri.Image, nil
		}
	}
	return "", errors.New(`the bundle's relatedImages name no "gate" image; set --workload-image`)
}
