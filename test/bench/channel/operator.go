package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	"github.com/singleton-operator/singleton-operator/internal/servingcert"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

const (
	container  = "app"
	namespace  = "bench"
	serverName = "singleton-operator-webhook-service.singleton-operator.svc"
)

// gateSession is what a gate knows of its session: the channel's address and CA, its pod's token.
type gateSession struct {
	URL        string `json:"url"`
	ServerName string `json:"serverName"`
	CAPEM      []byte `json:"caPEM"`
	Token      string `json:"token"`
}

type operator struct {
	api          *framework.APIServer
	sessionsFile string
	stopManager  context.CancelFunc
	done         chan error
}

// startOperator starts an API server, n pods prepared by the webhook for a supervised gate, a
// token bound to each, and a manager serving the channel from its pod cache.
func startOperator(ctx context.Context, n int) (*operator, error) {
	api, err := framework.StartAPIServer("channel-bench", "config/crd/bases")
	if err != nil {
		return nil, err
	}
	op := &operator{api: api}
	if err := op.start(ctx, n); err != nil {
		op.stop()
		return nil, err
	}
	return op, nil
}

func (op *operator) start(ctx context.Context, n int) error {
	ca, err := servingcert.NewCA("channel bench CA", time.Now())
	if err != nil {
		return err
	}
	leaf, err := servingcert.NewLeaf(ca,
		servingcert.ServiceDNSNames("singleton-operator-webhook-service", "singleton-operator"), time.Now())
	if err != nil {
		return err
	}
	holder := servingcert.NewHolder()
	if err := holder.Set(&servingcert.Bundle{CA: ca, Leaf: leaf}); err != nil {
		return err
	}
	certs := &gatechannel.Certificates{Leaf: holder.GetCertificate, CA: holder.CA}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	clientset, err := kubernetes.NewForConfig(op.api.Config)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(ca.Cert.Raw)
	sessions, err := preparePods(ctx, op.api, clientset, n, gateOptions(addr, hex.EncodeToString(sum[:])))
	if err != nil {
		return err
	}
	for i := range sessions {
		sessions[i].URL, sessions[i].ServerName, sessions[i].CAPEM = "https://"+addr, serverName, holder.CA()
	}
	raw, err := json.Marshal(sessions)
	if err != nil {
		return err
	}
	op.sessionsFile = filepath.Join(os.TempDir(), fmt.Sprintf("channel-bench-%d.json", os.Getpid()))
	if err := os.WriteFile(op.sessionsFile, raw, 0o600); err != nil {
		return err
	}

	mgr, err := ctrl.NewManager(op.api.Config, ctrl.Options{
		Scheme:                 op.api.Env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return err
	}
	server := &gatechannel.Server{
		Addr:        addr,
		Certificate: certs.GetCertificate,
		Ledger:      gatechannel.NewLedger(),
		Auth:        &gatechannel.Authenticator{Reviews: clientset.AuthenticationV1().TokenReviews(), TTL: 10 * time.Second},
		Pods:        mgr.GetClient(),
		Elected:     mgr.Elected(),
		Log:         ctrl.Log.WithName("gatechannel"),
	}
	if err := mgr.Add(server); err != nil {
		return err
	}
	mctx, cancel := context.WithCancel(ctx)
	op.stopManager, op.done = cancel, make(chan error, 1)
	go func() { op.done <- mgr.Start(mctx) }()
	// The pods in the cache before the measurement starts, as in an operator that has run.
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("the manager's cache did not sync")
	}
	list := &corev1.PodList{}
	return mgr.GetClient().List(ctx, list)
}

func gateOptions(addr, caSHA256 string) podwebhook.InjectOptions {
	return podwebhook.InjectOptions{Singleton: "db", GateImage: "localhost/gate:bench",
		Supervision: &podwebhook.Supervision{Operator: "https://" + addr, ServerName: serverName, CASHA256: caSHA256}}
}

// preparePods creates n pods as the webhook prepares them for a supervised gate, and a token
// bound to each, as the kubelet projects it.
func preparePods(ctx context.Context, api *framework.APIServer, cs *kubernetes.Clientset, n int,
	opts podwebhook.InjectOptions,
) ([]gateSession, error) {
	if err := api.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, err
	}
	if err := api.Client.Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: container},
	}); err != nil {
		return nil, err
	}
	sessions := make([]gateSession, 0, n)
	for i := range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: namespace, Name: fmt.Sprintf("db-%d", i), Labels: map[string]string{"app": "db"},
			},
			Spec: corev1.PodSpec{
				ServiceAccountName: container,
				NodeName:           "node-1",
				Containers: []corev1.Container{
					{Name: container, Image: "localhost/app:bench", Command: []string{"/bin/db"}},
				},
			},
		}
		if err := podwebhook.Inject(pod, opts); err != nil {
			return nil, err
		}
		if err := api.Client.Create(ctx, pod); err != nil {
			return nil, err
		}
		token, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, container, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{
				Audiences: []string{gatewire.Audience}, ExpirationSeconds: ptr.To(int64(3600)),
				BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, gateSession{Token: token.Status.Token})
	}
	return sessions, nil
}

// openSessions reads the server's gauge of open sessions.
func (op *operator) openSessions() int {
	families, err := metrics.Registry.Gather()
	if err != nil {
		return -1
	}
	for _, f := range families {
		if f.GetName() == "statefulsingleton_gate_sessions" && len(f.GetMetric()) == 1 {
			return int(f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	return -1
}

func (op *operator) stop() {
	if op.stopManager != nil {
		op.stopManager()
		if err := <-op.done; err != nil {
			fmt.Fprintln(os.Stderr, "stopping the manager:", err)
		}
	}
	if op.sessionsFile != "" {
		_ = os.Remove(op.sessionsFile)
	}
	_ = op.api.Stop()
}
