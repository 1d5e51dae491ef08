package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/util/json"
)

func TestMergePatch(t *testing.T) {
	type obj = map[string]any
	for _, tc := range []struct {
		name          string
		current, want obj
		patch         obj
	}{
		{"equal: no patch", obj{"a": int64(1), "b": obj{"c": "x"}}, obj{"a": int64(1), "b": obj{"c": "x"}}, nil},
		{"both empty", nil, obj{}, nil},
		{"a changed value", obj{"a": int64(1)}, obj{"a": int64(2)}, obj{"a": int64(2)}},
		{"a new key", obj{}, obj{"a": "x"}, obj{"a": "x"}},
		{"a key to remove", obj{"a": "x", "b": "y"}, obj{"a": "x"}, obj{"b": nil}},
		{"a nested map: only what differs", obj{"m": obj{"a": int64(1), "b": int64(2)}},
			obj{"m": obj{"a": int64(1), "b": int64(3)}}, obj{"m": obj{"b": int64(3)}}},
		{"a list is replaced whole", obj{"l": []any{"a", "b"}}, obj{"l": []any{"a"}}, obj{"l": []any{"a"}}},
		{"a map becomes a scalar", obj{"m": obj{"a": int64(1)}}, obj{"m": "x"}, obj{"m": "x"}},
		{"null wanted for an absent key: nothing", obj{}, obj{"a": nil}, nil},
		{"null wanted for a present key: removed", obj{"a": "x"}, obj{"a": nil}, obj{"a": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			patch := mergePatch(tc.current, tc.want)
			g.Expect(patch).To(Equal(tc.patch))
			// Applied as the API server applies it, the patch turns current into want.
			cur, err := json.Marshal(orEmpty(tc.current))
			g.Expect(err).NotTo(HaveOccurred())
			raw, err := json.Marshal(orEmpty(patch))
			g.Expect(err).NotTo(HaveOccurred())
			out, err := jsonpatch.MergePatch(cur, raw)
			g.Expect(err).NotTo(HaveOccurred())
			var got obj
			g.Expect(json.Unmarshal(out, &got)).To(Succeed())
			g.Expect(got).To(Equal(withoutNulls(orEmpty(tc.want))))
		})
	}
}

func TestStringMapPatch(t *testing.T) {
	for _, tc := range []struct {
		name          string
		current, want map[string]string
		owned         map[string]bool
		patch         map[string]any
	}{
		{"equal", map[string]string{"a": "1", "x": "y"}, map[string]string{"a": "1"}, nil, nil},
		{"changed and new", map[string]string{"a": "1"}, map[string]string{"a": "2", "b": "3"}, nil,
			map[string]any{"a": "2", "b": "3"}},
		{"an owned key no longer wanted is removed", map[string]string{"a": "1", "x": "y"}, nil,
			map[string]bool{"a": true}, map[string]any{"a": nil}},
		{"an owned key already gone", map[string]string{"x": "y"}, nil, map[string]bool{"a": true}, nil},
		{"another writer's key stays", map[string]string{"x": "y"}, map[string]string{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(stringMapPatch(tc.current, tc.want, tc.owned)).To(Equal(tc.patch))
		})
	}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// withoutNulls drops the null values of m (JSON null is an absent key after a merge patch).
func withoutNulls(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case map[string]any:
			out[k] = withoutNulls(v)
		default:
			out[k] = v
		}
	}
	return out
}
