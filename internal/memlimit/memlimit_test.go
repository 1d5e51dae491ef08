package memlimit

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    int64
		wantErr bool
	}{
		{"no limit", nil, 0, false},
		{"a container limit of 512 MiB", map[string]string{EnvContainerLimit: "536870912"}, 483183820, false},
		{"GOMEMLIMIT wins", map[string]string{EnvContainerLimit: "536870912", "GOMEMLIMIT": "300MiB"}, 0, false},
		{"not a number", map[string]string{EnvContainerLimit: "512Mi"}, 0, true},
		{"zero", map[string]string{EnvContainerLimit: "0"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, why, err := Decide(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
			g.Expect(why).NotTo(BeEmpty())
		})
	}
}
