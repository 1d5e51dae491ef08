// Command manager runs singleton-operator: one controller-runtime manager with the
// StatefulSingleton reconciler, its pod webhook and the reconciler of the webhook's guard
// configuration, the KubeStellar reported-state reconciler, and metrics served over HTTPS with
// authentication and authorization.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	appscontroller "github.com/singleton-operator/singleton-operator/internal/controller/apps"
	kubestellarcontroller "github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
	"github.com/singleton-operator/singleton-operator/internal/controller/webhookguard"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/lazylog"
	opscheme "github.com/singleton-operator/singleton-operator/internal/scheme"
	"github.com/singleton-operator/singleton-operator/internal/scrapetoken"
	"github.com/singleton-operator/singleton-operator/internal/servingcert"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	// +kubebuilder:scaffold:imports
)

// leaderElectionID names the Lease that the replicas of the operator compete for.
const leaderElectionID = "singleton-operator.statefulsingleton.com"

var (
	// scheme holds every type the manager reads or writes: internal/scheme's, and below the
	// marker those that `operator-sdk create api` adds (move them into internal/scheme, which
	// the tests use too).
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(opscheme.AddToScheme(scheme))
	// +kubebuilder:scaffold:scheme
}

// options holds the command-line flags.
type options struct {
	metricsAddr     string
	secureMetrics   bool
	metricsCertDir  string
	probeAddr       string
	webhookPort     int
	webhookCertDir  string
	enableHTTP2     bool
	leaderElect     bool
	leaseDuration   time.Duration
	renewDeadline   time.Duration
	retryPeriod     time.Duration
	zap             zap.Options
	showVersionOnly bool

	webhookCertSecret        string
	metricsCertSecret        string
	metricsTokenSecret       string
	metricsScraperAccount    string
	webhookServiceName       string
	metricsServiceName       string
	webhookConfigurationName string
	guardConfigurationName   string

	enableWebhooks bool
	gateImage      string

	imageEntrypoints     bool
	imageEntrypointLimit time.Duration

	gateChannelPort     int
	gateChannelPortName string

	reportedStateWorkers   int
	reportedStateClientQPS float64
	reportedStateCompress  bool
	pprofAddr              string
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	opts := parseFlags(flag.CommandLine, os.Args[1:])
	if opts.showVersionOnly {
		fmt.Println(version)
		return
	}
	// Pairs are encoded only into lines written: most reconciles write none (internal/lazylog).
	ctrl.SetLogger(lazylog.Wrap(zap.New(zap.UseFlagOptions(&opts.zap))))
	setupLog.Info("Starting singleton-operator", "version", version)
	registerBuildInfo(version)
	if err := opts.validate(); err != nil {
		exit(err, "Invalid flags")
	}
	setMemoryLimit()
	setGCPercent()

	ctx := ctrl.SetupSignalHandler()
	certs := servingcert.New(servingCertOptions(opts))
	mgr, err := newManager(opts, certs)
	if err != nil {
		exit(err, "Unable to create the manager")
	}
	if err := certs.Setup(ctx, mgr); err != nil {
		exit(err, "Unable to set up the serving certificates")
	}
	if err := setupScrapeToken(mgr, opts); err != nil {
		exit(err, "Unable to set up the metrics scrape token")
	}
	channel, err := setupGateChannel(mgr, opts, certs)
	if err != nil {
		exit(err, "Unable to set up the gate channel")
	}
	if err := setupReconcilers(mgr, opts, channel); err != nil {
		exit(err, "Unable to set up the reconcilers")
	}
	if err := setupWebhooks(ctx, mgr, opts, channel); err != nil {
		exit(err, "Unable to set up the webhooks")
	}
	if err := setupChecks(mgr, opts); err != nil {
		exit(err, "Unable to set up health and readiness checks")
	}
	if err := mgr.Start(ctx); err != nil {
		exit(err, "The manager stopped with an error")
	}
}

func parseFlags(fs *flag.FlagSet, args []string) options {
	var o options
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", "0",
		"Address the metrics endpoint binds to, for example :8443 for HTTPS or :8080 for HTTP; 0 turns it off.")
	fs.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS, allowing only callers that may get /metrics (TokenReview and SubjectAccessReview).")
	fs.StringVar(&o.metricsCertDir, "metrics-cert-dir", "",
		"Directory holding tls.crt and tls.key for the metrics endpoint; empty means "+
			"<tmp>/k8s-metrics-server/serving-certs. Without them the manager makes its own certificate "+
			"(--metrics-cert-secret) when POD_NAMESPACE is set, else a self-signed one.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081",
		"Address the /healthz and /readyz endpoints bind to.")
	fs.IntVar(&o.webhookPort, "webhook-port", webhook.DefaultPort, "Port the admission webhook server listens on.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "",
		"Directory holding tls.crt and tls.key for the webhook server; empty means "+
			"<tmp>/k8s-webhook-server/serving-certs. Without them the manager makes its own certificate "+
			"(--webhook-cert-secret) when POD_NAMESPACE is set.")
	fs.StringVar(&o.webhookCertSecret, "webhook-cert-secret", "singleton-operator-webhook-server-cert",
		"Secret of the operator's namespace (env POD_NAMESPACE) that keeps the webhook CA and serving certificate, "+
			"when the webhook certificate directory holds no tls.crt and tls.key.")
	fs.StringVar(&o.metricsTokenSecret, "metrics-token-secret", "singleton-operator-metrics-scraper-token",
		"Secret of the operator's namespace (env POD_NAMESPACE) the manager keeps as a service-account-token "+
			"Secret of --metrics-scraper-service-account, for the ServiceMonitor's bearer token; empty turns it off.")
	fs.StringVar(&o.metricsScraperAccount, "metrics-scraper-service-account", "singleton-operator-metrics-scraper",
		"ServiceAccount of the operator's namespace, bound to the metrics reader role, that Prometheus scrapes as.")
	fs.StringVar(&o.metricsCertSecret, "metrics-cert-secret", "singleton-operator-metrics-server-cert",
		"Secret of the operator's namespace (env POD_NAMESPACE) that keeps the metrics CA and serving certificate, "+
			"when the metrics certificate directory holds no tls.crt and tls.key.")
	fs.StringVar(&o.webhookServiceName, "webhook-service-name", "singleton-operator-webhook-service",
		"Service in front of the webhook server; the webhook serving certificate is for its DNS names.")
	fs.StringVar(&o.metricsServiceName, "metrics-service-name", "singleton-operator-controller-manager-metrics-service",
		"Service in front of the metrics endpoint; the metrics serving certificate is for its DNS names.")
	fs.StringVar(&o.webhookConfigurationName, "webhook-configuration-name",
		"singleton-operator-mutating-webhook-configuration",
		"MutatingWebhookConfiguration of the pod webhook (failurePolicy Ignore): its caBundle gets the CA of the webhook "+
			"certificate the operator makes, and the guard configuration copies its address and caBundle. The ones OLM "+
			"makes are found by their label olm.webhook-description-generate-name=mpod.statefulsingleton.com.")
	fs.StringVar(&o.guardConfigurationName, "guard-webhook-configuration-name", webhookguard.DefaultName,
		"MutatingWebhookConfiguration the leader keeps with one entry per StatefulSingleton, failurePolicy Fail, "+
			"so that the pods a StatefulSingleton selects are refused when the webhook cannot prepare them. "+
			"The manager's ClusterRole may write only the configuration of the default name.")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false,
		"Serve metrics and webhooks over HTTP/2 as well; off by default because of CVE-2023-44487 and CVE-2023-39325.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false,
		"Take part in leader election, so that only one replica of the operator acts at a time.")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second,
		"How long a non-leader waits after the last renewal before it takes the lease.")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew before it gives up leadership.")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second,
		"How often candidates try to take or renew the lease.")
	fs.BoolVar(&o.enableWebhooks, "enable-webhooks", true,
		"Serve the pod webhook that prepares the pods a StatefulSingleton selects.")
	fs.StringVar(&o.gateImage, "gate-image", os.Getenv("RELATED_IMAGE_GATE"),
		"Image holding the pod gate at /gate (normally the operator's own image); defaults to the environment "+
			"variable RELATED_IMAGE_GATE, the OLM convention for related images. Required with --enable-webhooks.")
	fs.BoolVar(&o.imageEntrypoints, "image-entrypoints", true,
		"Read, at admission, the ENTRYPOINT and CMD of the images of application containers without a command, with "+
			"the pod's pull secrets, so that they are wrapped as containers with a command (the fast hand-over) and their "+
			"image pinned to the digest read; false, or an image that cannot be read, holds them by the sidecar "+
			"(docs/gate.md, \"Containers without a command\").")
	fs.DurationVar(&o.imageEntrypointLimit, "image-entrypoint-timeout", podwebhook.DefaultImageBudget,
		"How long the webhook waits for the registries of one pod's images before it holds the containers it could not "+
			"read by the sidecar; at most 3s, inside the webhook's 5 s timeout.")
	fs.IntVar(&o.gateChannelPort, "gate-channel-port", gatechannel.DefaultPort,
		"Port of the channel the supervising gates report to (the fast hand-over, docs/gate.md); 0 turns it off, "+
			"and then no pod is supervised. It needs POD_NAMESPACE and the webhook server's certificate.")
	fs.StringVar(&o.gateChannelPortName, "gate-channel-port-name", "gate-channel",
		"Name of the port of the webhook Service (--webhook-service-name) that targets the gate channel; "+
			"the webhook gives gates its ClusterIP and port.")
	fs.IntVar(&o.reportedStateWorkers, "reportedstate-workers", 8,
		"WDS objects whose reported state is decided and written at once, per ReportedState.")
	fs.Float64Var(&o.reportedStateClientQPS, "reportedstate-client-qps", 0,
		"Requests per second the operator sends to each WDS and ITS at most; 0 means no client-side limit "+
			"(the API servers' priority and fairness still applies).")
	fs.BoolVar(&o.reportedStateCompress, "reportedstate-compression", false,
		"Accept gzip-compressed answers from each WDS and ITS: fewer bytes for a WDS or ITS across a slow link, "+
			"more CPU in both the API server and the operator for every watch event.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "",
		"Address the Go profiler (net/http/pprof, plain HTTP) binds to, for example 127.0.0.1:6060; empty turns it off. "+
			"Profiles show memory and CPU by function; keep the address on loopback.")
	fs.BoolVar(&o.showVersionOnly, "version", false, "Print the version and exit.")
	// Timestamps to the nanosecond (--zap-time-encoding changes it): a hand-over takes tens of
	// milliseconds, and a log read with whole seconds cannot tell its steps apart.
	o.zap = zap.Options{Development: false, TimeEncoder: zapcore.RFC3339NanoTimeEncoder}
	o.zap.BindFlags(fs)
	// The flag set exits on error (flag.ExitOnError), so the error needs no handling here.
	_ = fs.Parse(args)
	return o
}

// validate rejects flag combinations the manager cannot start with.
func (o options) validate() error {
	if o.enableWebhooks && o.gateImage == "" {
		return errors.New("the gate image is empty: set --gate-image or the environment variable RELATED_IMAGE_GATE " +
			"(or turn the webhooks off with --enable-webhooks=false)")
	}
	if o.enableWebhooks && o.guardConfigurationName == "" {
		return errors.New("the guard webhook configuration has no name: set --guard-webhook-configuration-name")
	}
	if o.imageEntrypoints && (o.imageEntrypointLimit <= 0 || o.imageEntrypointLimit > maxImageEntrypointTimeout) {
		return fmt.Errorf("--image-entrypoint-timeout must be above 0 and at most %s (the webhook's timeout is 5 s)",
			maxImageEntrypointTimeout)
	}
	return nil
}

// maxImageEntrypointTimeout leaves the webhook, whose timeout is 5 s, time to list
// StatefulSingletons and answer after the registries.
const maxImageEntrypointTimeout = 3 * time.Second

// memoryLimitRatio is the share of the container's memory limit given to the Go runtime as
// its soft limit: the rest is for what the runtime does not count (the binary, thread stacks
// outside the heap, the kernel's page cache of files).
const memoryLimitRatio = 0.9

// setMemoryLimit gives the Go runtime a soft memory limit of memoryLimitRatio of the
// container's cgroup memory limit (github.com/KimMachineGun/automemlimit), so that the garbage
// collector works harder as the heap nears the limit instead of the kernel killing the process.
// A GOMEMLIMIT in the environment wins (AUTOMEMLIMIT=off, or another ratio, is also read), and
// a cgroup with no limit leaves the runtime as it is. A limit that cannot be read is logged
// and the manager runs without one.
func setMemoryLimit() {
	log := setupLog.WithName("memlimit")
	_, err := memlimit.Set(
		memlimit.WithRatio(memoryLimitRatio),
		memlimit.WithProvider(memlimit.FromCgroup),
		memlimit.WithLogger(slog.New(logr.ToSlogHandler(log))),
	)
	if err != nil {
		log.Info("Running without a Go memory limit", "reason", err.Error())
	}
}

// defaultGCPercent is the garbage collector's target (GOGC) when the environment sets none.
// Most of the operator's heap is caches that live as long as it does (the reported-state
// connections' above all); at Go's default of 100 the collector lets the heap grow by as much
// again before it collects, and that headroom was two fifths of the resident memory under the
// reported-state benchmark. 75 gives a quarter of it back for about a third more collections,
// which the collector's share of the CPU there (an eighth) affords
// (docs/benchmarks-reportedstate.md, run 11).
const defaultGCPercent = 75

// setGCPercent sets the collector's target to defaultGCPercent, unless GOGC is set.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// servingCertOptions tell which certificates the manager makes for itself (internal/servingcert).
func servingCertOptions(o options) servingcert.Options {
	return servingcert.Options{
		Namespace: os.Getenv("POD_NAMESPACE"),
		Webhook: servingcert.ServerOptions{
			CertDir: o.webhookCertDir, SecretName: o.webhookCertSecret, ServiceName: o.webhookServiceName,
		},
		Metrics: servingcert.ServerOptions{
			CertDir: o.metricsCertDir, SecretName: o.metricsCertSecret, ServiceName: o.metricsServiceName,
			Disabled: o.metricsAddr == "0" || !o.secureMetrics,
		},
		WebhookConfigurationName: o.webhookConfigurationName,
	}
}

func newManager(o options, certs *servingcert.ServingCerts) (ctrl.Manager, error) {
	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   o.metricsAddr,
		SecureServing: o.secureMetrics,
		CertDir:       o.metricsCertDir,
		TLSOpts:       slices.Concat(tlsOpts, certs.MetricsTLSOpts()),
	}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	webhookOpts := webhook.Options{
		Port:    o.webhookPort,
		CertDir: o.webhookCertDir,
		TLSOpts: slices.Concat(tlsOpts, certs.WebhookTLSOpts()),
	}
	return ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Cache:                         cacheOptions(os.Getenv("POD_NAMESPACE")),
		Metrics:                       metricsOpts,
		WebhookServer:                 webhook.NewServer(webhookOpts),
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.leaseDuration,
		RenewDeadline:                 &o.renewDeadline,
		RetryPeriod:                   &o.retryPeriod,
	})
}

// cacheOptions keeps the manager's cache of Secrets (the ReportedStates' kubeconfigs) to the
// operator's own namespace, the only one it may read Secrets in, when it runs in a cluster.
func cacheOptions(namespace string) cache.Options {
	if namespace == "" {
		return cache.Options{}
	}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}: {Namespaces: map[string]cache.Config{namespace: {}}},
	}}
}

// setupScrapeToken keeps the token Secret the ServiceMonitor scrapes with, when the manager
// runs in a cluster (POD_NAMESPACE) with secure metrics.
func setupScrapeToken(mgr ctrl.Manager, o options) error {
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" || o.metricsTokenSecret == "" || o.metricsAddr == "0" || !o.secureMetrics {
		return nil
	}
	return mgr.Add(&scrapetoken.Keeper{
		Reader:             mgr.GetAPIReader(),
		Writer:             mgr.GetClient(),
		Namespace:          ns,
		SecretName:         o.metricsTokenSecret,
		ServiceAccountName: o.metricsScraperAccount,
		Interval:           5 * time.Minute,
	})
}

// gateChannel is the operator's end of the fast hand-over: the ledger the reconciler reads, the
// server the gates talk to, the reports' pods for the reconciler's queue, and where the
// webhook tells gates to connect.
type gateChannel struct {
	ledger  *gatechannel.Ledger
	server  *gatechannel.Server
	events  chan event.GenericEvent
	locator *gatechannel.Locator
}

// setupGateChannel adds the channel's server to the manager on every replica, serving the
// webhook server's certificate with its CA; nil when the channel is off (--gate-channel-port=0,
// outside a cluster, or with webhooks off, since no pod would be supervised).
func setupGateChannel(mgr ctrl.Manager, o options, certs *servingcert.ServingCerts) (*gateChannel, error) {
	namespace := os.Getenv("POD_NAMESPACE")
	mode, holder, certDir := certs.WebhookCertificate()
	if o.gateChannelPort == 0 || namespace == "" || !o.enableWebhooks || mode == servingcert.ModeDefault {
		setupLog.Info("The gate channel is off: hand-overs wait for the kubelet's report of each stop",
			"port", o.gateChannelPort, "namespace", namespace, "webhooks", o.enableWebhooks, "certificateMode", mode)
		return nil, nil
	}
	chain := &gatechannel.Certificates{}
	if mode == servingcert.ModeManaged {
		chain.Leaf, chain.CA = holder.GetCertificate, holder.CA
	} else {
		chain.Leaf = gatechannel.FileLeaf(certDir)
		chain.CA = gatechannel.FileCA(certDir, webhookCABundle(mgr.GetClient(), o.webhookConfigurationName))
	}
	clientset, err := kubernetes.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("creating a clientset for TokenReviews: %w", err)
	}
	ch := &gateChannel{ledger: gatechannel.NewLedger(), events: make(chan event.GenericEvent, 1024)}
	ch.server = &gatechannel.Server{
		Addr:        fmt.Sprintf(":%d", o.gateChannelPort),
		Certificate: chain.GetCertificate,
		Ledger:      ch.ledger,
		Auth: &gatechannel.Authenticator{
			Reviews: clientset.AuthenticationV1().TokenReviews(), TTL: gatechannel.DefaultReviewTTL,
		},
		Pods:    mgr.GetClient(),
		Elected: mgr.Elected(),
		Events:  ch.events,
		Log:     ctrl.Log.WithName("gatechannel"),
	}
	ch.locator = &gatechannel.Locator{
		Reader:   mgr.GetAPIReader(),
		Service:  types.NamespacedName{Namespace: namespace, Name: o.webhookServiceName},
		PortName: o.gateChannelPortName,
		Certs:    chain,
	}
	if err := mgr.Add(ch.server); err != nil {
		return nil, fmt.Errorf("adding the gate channel server: %w", err)
	}
	return ch, nil
}

// webhookCABundle reads the caBundle of the main webhook configuration (by name, or the ones
// OLM makes, by their label) from the cache: with OLM's certificate files the CA is found there.
func webhookCABundle(c client.Reader, name string) func() []byte {
	return func() []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		var found []admissionregistrationv1.MutatingWebhookConfiguration
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cfg); err == nil {
			found = append(found, *cfg)
		} else {
			list := &admissionregistrationv1.MutatingWebhookConfigurationList{}
			if err := c.List(ctx, list, client.HasLabels{webhookguard.OLMWebhookLabel}); err == nil {
				found = list.Items
			}
		}
		for i := range found {
			for j := range found[i].Webhooks {
				if w := &found[i].Webhooks[j]; w.Name == podwebhook.WebhookName && len(w.ClientConfig.CABundle) > 0 {
					return w.ClientConfig.CABundle
				}
			}
		}
		return nil
	}
}

// supervision is what the webhook asks for each pod it prepares.
func (ch *gateChannel) supervision(ctx context.Context) (podwebhook.Supervision, error) {
	e, err := ch.locator.Endpoint(ctx)
	if err != nil {
		return podwebhook.Supervision{}, err
	}
	return podwebhook.Supervision{Operator: e.URL, ServerName: e.ServerName, CASHA256: e.CASHA256}, nil
}

func setupReconcilers(mgr ctrl.Manager, o options, channel *gateChannel) error {
	ssr := &appscontroller.StatefulSingletonReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("statefulsingleton-controller"),
	}
	if channel != nil {
		ssr.Gate, ssr.GateEvents, ssr.Releases = channel.ledger, channel.events, channel.server
	}
	if err := ssr.SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&kubestellarcontroller.Reconciler{
		Client:          mgr.GetClient(),
		Recorder:        mgr.GetEventRecorder("reportedstate-controller"),
		Config:          mgr.GetConfig(),
		SecretNamespace: os.Getenv("POD_NAMESPACE"),
		APIReader:       mgr.GetAPIReader(),
		InCluster:       inCluster(),
		Workers:         o.reportedStateWorkers,
		ClientQPS:       float32(o.reportedStateClientQPS),
		Compression:     o.reportedStateCompress,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	// +kubebuilder:scaffold:builder
	return nil
}

// setupWebhooks registers the pod webhook and the reconciler of its guard configuration,
// unless webhooks are off.
func setupWebhooks(ctx context.Context, mgr ctrl.Manager, o options, channel *gateChannel) error {
	if !o.enableWebhooks {
		setupLog.Info("Webhooks are off: selected pods are created unprepared and reported as unguarded")
		return nil
	}
	var supervision func(context.Context) (podwebhook.Supervision, error)
	if channel != nil {
		supervision = channel.supervision
	}
	var images *podwebhook.ImageResolution
	if o.imageEntrypoints {
		mirrors, err := imageconfig.WatchMirrors(ctx, mgr)
		if err != nil {
			return err
		}
		images = &podwebhook.ImageResolution{
			Resolver: imageconfig.NewResolver(imageconfig.Options{Mirrors: mirrors.Config}), Budget: o.imageEntrypointLimit,
		}
	}
	if err := podwebhook.SetupPodWebhookWithManager(ctx, mgr, o.gateImage, supervision, images); err != nil {
		return err
	}
	return (&webhookguard.Reconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("webhookguard-controller"),
		Name:     o.guardConfigurationName,
		MainName: o.webhookConfigurationName,
	}).SetupWithManager(mgr)
}

func setupChecks(mgr ctrl.Manager, o options) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("informers", cacheSynced(mgr.GetCache())); err != nil {
		return err
	}
	if !o.enableWebhooks {
		return nil
	}
	return mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker())
}

// cacheSyncCheckTimeout bounds one readiness check's wait for the caches; below the kubelet's
// default probe timeout of one second.
const cacheSyncCheckTimeout = 500 * time.Millisecond

// cacheSynced is ready once every informer of the manager's cache has synced: the webhook
// Service sends admissions only to replicas whose StatefulSingleton cache is complete.
func cacheSynced(c cache.Informers) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), cacheSyncCheckTimeout)
		defer cancel()
		if !c.WaitForCacheSync(ctx) {
			return errors.New("the informer caches have not synced yet")
		}
		return nil
	}
}

func exit(err error, msg string) {
	setupLog.Error(err, msg)
	os.Exit(1)
}

// inCluster says whether the operator runs in a pod, as KubeStellar's own controllers decide it
// (an in-cluster config can be made): a KubeFlex ControlPlane's kubeconfig is then read at the
// Secret's inClusterKey.
func inCluster() bool {
	_, err := rest.InClusterConfig()
	return err == nil
}
