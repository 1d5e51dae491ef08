package servingcert

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// ServerOptions describe the certificate of one server.
type ServerOptions struct {
	// CertDir is the server's certificate directory, as given to controller-runtime; empty
	// means controller-runtime's default.
	CertDir string
	// SecretName is the Secret that keeps the certificate in Managed mode.
	SecretName string
	// ServiceName is the Service in front of the server; the certificate is for its names.
	ServiceName string
	// Disabled says that the server serves no TLS (metrics off, or over HTTP): Default mode.
	Disabled bool
}

// Options of the serving certificates of the manager.
type Options struct {
	// Namespace of the operator (env POD_NAMESPACE); empty outside a cluster.
	Namespace string
	Webhook   ServerOptions
	Metrics   ServerOptions
	// WebhookConfigurationName is the MutatingWebhookConfiguration whose caBundle gets the
	// webhook CA in Managed mode; empty injects nothing.
	WebhookConfigurationName string
}

// ServingCerts gives the webhook and metrics servers of one manager their certificates.
type ServingCerts struct {
	opts    Options
	webhook server
	metrics server
}

// server is the mode and the certificate of one server.
type server struct {
	name   string
	opts   ServerOptions
	mode   Mode
	holder *Holder
}

// New chooses the mode of each server (see ChooseMode); call it before the manager is made,
// to pass WebhookTLSOpts and MetricsTLSOpts to its servers.
func New(o Options) *ServingCerts {
	return &ServingCerts{
		opts:    o,
		webhook: newServer("webhook", o.Webhook, DefaultWebhookCertDir, o.Namespace),
		metrics: newServer("metrics", o.Metrics, DefaultMetricsCertDir, o.Namespace),
	}
}

func newServer(name string, o ServerOptions, defaultCertDir, namespace string) server {
	certDir := o.CertDir
	if certDir == "" {
		certDir = defaultCertDir
	}
	mode := ModeDefault
	if !o.Disabled {
		mode = ChooseMode(certDir, namespace)
	}
	return server{name: name, opts: o, mode: mode, holder: NewHolder()}
}

// WebhookCertificate says how the webhook server gets its certificate: its mode, the Holder
// that serves it in Managed mode, and the certificate directory in Files mode. The gate
// channel serves the same certificate.
func (s *ServingCerts) WebhookCertificate() (mode Mode, holder *Holder, certDir string) {
	certDir = s.webhook.opts.CertDir
	if certDir == "" {
		certDir = DefaultWebhookCertDir
	}
	return s.webhook.mode, s.webhook.holder, certDir
}

// WebhookTLSOpts are the options for webhook.Options.TLSOpts: serve from memory in Managed
// mode, nothing otherwise.
func (s *ServingCerts) WebhookTLSOpts() []func(*tls.Config) { return s.webhook.tlsOpts() }

// MetricsTLSOpts are the options for metricsserver.Options.TLSOpts: serve from memory in
// Managed mode, nothing otherwise.
func (s *ServingCerts) MetricsTLSOpts() []func(*tls.Config) { return s.metrics.tlsOpts() }

func (s *server) tlsOpts() []func(*tls.Config) {
	if s.mode != ModeManaged {
		return nil
	}
	return []func(*tls.Config){s.holder.TLSOpt()}
}

// Setup loads the certificates of the Managed servers from their Secrets, creating or renewing
// them as needed, and adds to mgr the Runnables that keep them current and inject the webhook
// CA. Call it before mgr.Start, on every replica.
func (s *ServingCerts) Setup(ctx context.Context, mgr manager.Manager) error {
	log := ctrl.Log.WithName("servingcert")
	writer, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("creating a client for the serving certificates: %w", err)
	}
	for _, srv := range []*server{&s.webhook, &s.metrics} {
		log.Info("Serving certificate mode chosen", "server", srv.name, "mode", srv.mode)
		if srv.mode != ModeManaged {
			continue
		}
		if err := s.setupKeeper(ctx, mgr, writer, srv, log.WithValues("server", srv.name)); err != nil {
			return err
		}
	}
	if s.webhook.mode != ModeManaged || s.opts.WebhookConfigurationName == "" {
		return nil
	}
	injector := &CABundleInjector{
		Reader: mgr.GetAPIReader(),
		Writer: writer,
		Name:   s.opts.WebhookConfigurationName,
		Holder: s.webhook.holder,
		Log:    log.WithValues("server", s.webhook.name),
	}
	if err := mgr.Add(injector); err != nil {
		return fmt.Errorf("adding the webhook CA bundle injector: %w", err)
	}
	return nil
}

// setupKeeper loads the certificate of a Managed server and adds its Keeper to mgr.
func (s *ServingCerts) setupKeeper(
	ctx context.Context, mgr manager.Manager, writer client.Writer, srv *server, log logr.Logger,
) error {
	keeper := &Keeper{
		Reader:   mgr.GetAPIReader(),
		Writer:   writer,
		Secret:   types.NamespacedName{Namespace: s.opts.Namespace, Name: srv.opts.SecretName},
		DNSNames: ServiceDNSNames(srv.opts.ServiceName, s.opts.Namespace),
		Holder:   srv.holder,
		Log:      log,
	}
	if err := keeper.Ensure(ctx); err != nil {
		return fmt.Errorf("loading the %s serving certificate: %w", srv.name, err)
	}
	if err := mgr.Add(keeper); err != nil {
		return fmt.Errorf("adding the %s serving-certificate keeper: %w", srv.name, err)
	}
	return nil
}
