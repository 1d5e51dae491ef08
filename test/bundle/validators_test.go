package bundle

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/operator-framework/api/pkg/validation"
	"github.com/operator-framework/api/pkg/validation/errors"
	interfaces "github.com/operator-framework/api/pkg/validation/interfaces"
)

// openShiftKube maps the OpenShift 4 minor releases to their Kubernetes minor (4.N ships
// Kubernetes 1.(N+13)), up to the newest release this table knows.
var openShiftKube = map[int]int{16: 29, 17: 30, 18: 31, 19: 32, 20: 33, 21: 34}

// newestOpenShiftMinor is the newest OpenShift 4 minor in openShiftKube.
const newestOpenShiftMinor = 21

// testedKube is the Kubernetes minor of the API servers the project's tests run (hack/build-kube.sh).
const testedKube = 37

// knownFalsePositives are validator warnings that do not apply: the deprecated-API check
// flags any RBAC rule on events.k8s.io events (events.k8s.io/v1beta1 went away in 1.25), but RBAC
// names no API version and the manager uses events.k8s.io/v1.
var knownFalsePositives = []*regexp.Regexp{
	regexp.MustCompile(`deprecated and removed in v1\.25.*Migrate the API\(s\) for events: \(\["ClusterServiceVersion\.Spec\.InstallStrategy\.StrategySpec\.ClusterPermissions\[0\]\.Rules\[\d+\]"\]\)`),
}

// openShiftRange parses com.redhat.openshift.versions ("v4.16", "v4.16-v4.18" or "=v4.17")
// into the OpenShift 4 minors it covers, up to newestOpenShiftMinor when open-ended.
func openShiftRange(value string) ([]int, error) {
	m := regexp.MustCompile(`^(=)?v4\.(\d+)(?:-v4\.(\d+))?$`).FindStringSubmatch(value)
	if m == nil {
		return nil, fmt.Errorf("com.redhat.openshift.versions %q is not v4.N, =v4.N or v4.N-v4.M", value)
	}
	from, _ := strconv.Atoi(m[2])
	to := newestOpenShiftMinor
	switch {
	case m[1] == "=":
		to = from
	case m[3] != "":
		to, _ = strconv.Atoi(m[3])
	}
	if to < from {
		return nil, fmt.Errorf("com.redhat.openshift.versions %q is an empty range", value)
	}
	var out []int
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out, nil
}

// kubeVersionsOfBundle lists the Kubernetes versions the deprecated-API validator must pass for:
// those of every OpenShift release in the bundle's range, and the one the tests run.
func kubeVersionsOfBundle(t *testing.T) []string {
	t.Helper()
	minors, err := openShiftRange(readAnnotations(t)["com.redhat.openshift.versions"])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range minors {
		k, ok := openShiftKube[m]
		if !ok {
			t.Fatalf("OpenShift 4.%d: Kubernetes version unknown; extend openShiftKube", m)
		}
		out = append(out, fmt.Sprintf("1.%d", k))
	}
	return append(out, fmt.Sprintf("1.%d", testedKube))
}

// problems returns the errors, and the warnings that are not known false positives.
func problems(results []errors.ManifestResult) []string {
	var out []string
	for _, r := range results {
		for _, e := range r.Errors {
			out = append(out, fmt.Sprintf("%s: error: %s", r.Name, e.Error()))
		}
	warnings:
		for _, w := range r.Warnings {
			for _, fp := range knownFalsePositives {
				if fp.MatchString(w.Error()) {
					continue warnings
				}
			}
			out = append(out, fmt.Sprintf("%s: warning: %s", r.Name, w.Error()))
		}
	}
	return out
}

func TestDefaultBundleValidators(t *testing.T) {
	b := loadBundle(t)
	NewWithT(t).Expect(problems(validation.DefaultBundleValidators.Validate(b.ObjectsToValidate()...))).To(BeEmpty())
}

// TestOperatorFrameworkSuite runs what `operator-sdk bundle validate --select-optional
// suite=operatorframework` runs, once per Kubernetes version in range.
func TestOperatorFrameworkSuite(t *testing.T) {
	b := loadBundle(t)
	suite := interfaces.Validators{
		validation.OperatorHubV2Validator,
		validation.StandardCapabilitiesValidator,
		validation.StandardCategoriesValidator,
		validation.GoodPracticesValidator,
		validation.AlphaDeprecatedAPIsValidator,
	}
	for _, k := range kubeVersionsOfBundle(t) {
		t.Run("k8s-"+k, func(t *testing.T) {
			objs := append(b.ObjectsToValidate(), map[string]string{"k8s-version": k})
			NewWithT(t).Expect(problems(suite.Validate(objs...))).To(BeEmpty())
		})
	}
}

func TestOpenShiftRange(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "v4.16", want: []int{16, 17, 18, 19, 20, 21}},
		{in: "v4.17-v4.18", want: []int{17, 18}},
		{in: "=v4.19", want: []int{19}},
		{in: "v4.18-v4.17", wantErr: true},
		{in: "4.16", wantErr: true},
		{in: "v4.16,v4.17", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := openShiftRange(tc.in)
			if tc.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}
