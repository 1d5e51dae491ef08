package servingcert

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func TestChooseMode(t *testing.T) {
	dirWith := func(t *testing.T, files ...string) string {
		dir := t.TempDir()
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name      string
		files     []string
		namespace string
		want      Mode
	}{
		{"mounted files in a cluster", []string{"tls.crt", "tls.key"}, "ns", ModeFiles},
		{"mounted files outside a cluster", []string{"tls.crt", "tls.key"}, "", ModeFiles},
		{"no files in a cluster", nil, "ns", ModeManaged},
		{"a certificate without its key in a cluster", []string{"tls.crt"}, "ns", ModeManaged},
		{"no files outside a cluster", nil, "", ModeDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(ChooseMode(dirWith(t, tt.files...), tt.namespace)).To(Equal(tt.want))
		})
	}
}
