package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestKeepCollisionCount(t *testing.T) {
	tests := []struct {
		name          string
		want, current map[string]any
		expected      map[string]any
	}{
		{
			name:     "a lower count is raised to the current one",
			want:     map[string]any{"replicas": int64(1), "collisionCount": int64(1)},
			current:  map[string]any{"collisionCount": int64(3)},
			expected: map[string]any{"replicas": int64(1), "collisionCount": int64(3)},
		},
		{
			name:     "a higher count is kept",
			want:     map[string]any{"collisionCount": float64(4)},
			current:  map[string]any{"collisionCount": int64(3)},
			expected: map[string]any{"collisionCount": float64(4)},
		},
		{
			name:     "no count wanted: the current one is left out too (removing it is allowed)",
			want:     map[string]any{"replicas": int64(1)},
			current:  map[string]any{"collisionCount": int64(3)},
			expected: map[string]any{"replicas": int64(1)},
		},
		{
			name:     "no current count: want as it is",
			want:     map[string]any{"collisionCount": int64(0)},
			current:  map[string]any{},
			expected: map[string]any{"collisionCount": int64(0)},
		},
		{
			name:     "no current status",
			want:     map[string]any{"collisionCount": int64(0)},
			expected: map[string]any{"collisionCount": int64(0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			before := map[string]any{}
			for k, v := range tt.want {
				before[k] = v
			}
			g.Expect(keepCollisionCount(tt.want, tt.current)).To(Equal(tt.expected))
			g.Expect(tt.want).To(Equal(before), "want, which may be a cache's, is left as it was")
		})
	}
}
