package imageconfig

import (
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
)

type answered struct{}

func (answered) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

// Plain HTTP reaches the loopback interface only: a registry elsewhere must speak TLS, since
// its answer to a tag decides which image the pod runs.
func TestTLSOnly(t *testing.T) {
	rt := tlsOnly{answered{}}
	for url, allowed := range map[string]bool{
		"https://10.0.0.5:5000/v2/":        true,
		"https://registry.example.com/v2/": true,
		"http://127.0.0.1:5000/v2/":        true,
		"http://[::1]:5000/v2/":            true,
		"http://localhost:5000/v2/":        true,
		"http://10.0.0.5:5000/v2/":         false,
		"http://registry.local/v2/":        false,
		"http://registry.example.com/v2/":  false,
		"http://127.0.0.1.example.com/v2/": false,
	} {
		g := NewWithT(t)
		req, err := http.NewRequest(http.MethodGet, url, http.NoBody)
		g.Expect(err).NotTo(HaveOccurred())
		resp, err := rt.RoundTrip(req)
		if allowed {
			g.Expect(err).NotTo(HaveOccurred(), url)
			g.Expect(resp.Body.Close()).To(Succeed())
		} else {
			g.Expect(err).To(MatchError(ContainSubstring("plain HTTP")), url)
		}
	}
}
