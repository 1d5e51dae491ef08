package kubestellar

import (
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// tuneClientConfig sets how every client of one WDS or ITS (cluster, discovery, watches, writes)
// talks to it.
//
// Rate: none on the client side unless qps > 0; then one token bucket that every client of the
// cluster draws from, so that the limit is the cluster's, not each client's.
//
// Compression: none unless compress. client-go starts an informer's watch as a streaming list,
// and the API server then gzips that watch event by event for its whole life when the request
// accepts gzip: a compressor reset and flushed for each event of a few KB in the API server, a
// gzip member decoded for each here, on the path of every WorkStatus change to the WDS, and a
// tenth of the operator's CPU (docs/benchmarks-reportedstate.md, run 13). KubeStellar's
// controllers, built with an older client-go, watch uncompressed. The requests say so
// themselves (identityEncoding): rest.Config's DisableCompression reaches only the transports
// client-go builds, not the shared default one it uses for a server with no TLS settings of its
// own. A WDS or ITS across a slow link may be worth the CPU (--reportedstate-compression).
func tuneClientConfig(cfg *rest.Config, qps float32, compress bool) {
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	if qps > 0 {
		cfg.QPS, cfg.Burst = qps, int(2*qps)
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
	}
	if !compress {
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return identityEncoding{rt} })
	}
}

// identityEncoding asks for uncompressed answers to every request that names no encoding.
type identityEncoding struct{ next http.RoundTripper }

func (t identityEncoding) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Accept-Encoding") != "" {
		return t.next.RoundTrip(req)
	}
	req = req.Clone(req.Context()) // a RoundTripper must not change the request it is given
	req.Header.Set("Accept-Encoding", "identity")
	return t.next.RoundTrip(req)
}
