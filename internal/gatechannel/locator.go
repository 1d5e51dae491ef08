package gatechannel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Endpoint is what the webhook gives a supervised gate to reach the channel
// (gatewire.FlagOperator, FlagServerName, FlagCASHA256).
type Endpoint struct {
	// URL is https://<the Service's ClusterIP>:<its channel port>: the gate needs no DNS.
	URL        string
	ServerName string
	CASHA256   string
}

// locatorTTL is how long the Service's address is kept before it is read again.
const locatorTTL = time.Minute

// Locator finds the channel's Endpoint: the ClusterIP and channel port of the operator's
// Service, read from the API (one Service, by name, kept for locatorTTL), the name its
// certificate is for (Certificates.ServerName), and the hash of the CA.
type Locator struct {
	Reader client.Reader
	// Service is the operator's Service (the webhook Service), whose port named PortName
	// targets the channel.
	Service  types.NamespacedName
	PortName string
	Certs    *Certificates

	mu      sync.Mutex
	address string
	expires time.Time
}

// Endpoint returns the channel's endpoint, or why there is none.
func (l *Locator) Endpoint(ctx context.Context) (Endpoint, error) {
	hash, err := l.Certs.CASHA256()
	if err != nil {
		return Endpoint{}, err
	}
	name, err := l.Certs.ServerName()
	if err != nil {
		return Endpoint{}, err
	}
	address, err := l.serviceAddress(ctx)
	if err != nil {
		return Endpoint{}, err
	}
	return Endpoint{URL: "https://" + address, ServerName: name, CASHA256: hash}, nil
}

func (l *Locator) serviceAddress(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.address != "" && time.Now().Before(l.expires) {
		return l.address, nil
	}
	svc := &corev1.Service{}
	if err := l.Reader.Get(ctx, l.Service, svc); err != nil {
		return "", fmt.Errorf("reading the Service %s: %w", l.Service, err)
	}
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone {
		return "", fmt.Errorf("the Service %s has no ClusterIP", l.Service)
	}
	for _, p := range svc.Spec.Ports {
		if p.Name == l.PortName {
			l.address = net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
			l.expires = time.Now().Add(locatorTTL)
			return l.address, nil
		}
	}
	return "", errors.New("the Service " + l.Service.String() + " has no port named " + l.PortName)
}
