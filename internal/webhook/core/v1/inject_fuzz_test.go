package v1

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzInject checks that Inject is idempotent and that the gate execs exactly the argv the
// container had: command then args, every byte kept.
func FuzzInject(f *testing.F) {
	f.Add("/bin/db\x00--port=5432", "a b\x00\"q\"\x00it's\x00x,y", "")
	f.Add("", "serve", "")
	f.Add("sh\x00-c", "exec db", "app")
	f.Fuzz(func(t *testing.T, command, args, ungated string) {
		c := corev1.Container{Name: "app", Image: "app:1", Command: split(command), Args: split(args)}
		pod := newPod(c, corev1.Container{Name: "istio-proxy", Image: "proxy:1", Command: split(command)})
		pod.Annotations = map[string]string{AnnotationUngatedContainers: ungated}
		if err := Inject(pod, testOpts); err != nil {
			if strings.Contains(ungated, "app") {
				return
			}
			t.Fatalf("Inject: %v", err)
		}
		once := pod.DeepCopy()
		if err := Inject(pod, testOpts); err != nil {
			t.Fatalf("second Inject: %v", err)
		}
		if !equalPods(once, pod) {
			t.Fatal("Inject twice differs from Inject once")
		}
		unlabelled := once.DeepCopy()
		unlabelled.Labels = map[string]string{"app": "db"}
		if err := Inject(unlabelled, testOpts); err != nil || !equalPods(once, unlabelled) {
			t.Fatalf("Inject of a prepared spec without its labels differs from Inject once (err %v)", err)
		}
		app := &pod.Spec.Containers[0]
		if len(c.Command) == 0 {
			if !slices.Equal(app.Command, c.Command) || !slices.Equal(app.Args, c.Args) {
				t.Fatalf("a container without a command changed: %q %q", app.Command, app.Args)
			}
			return
		}
		argv, ok := decodeArgv(app)
		if !ok || !slices.Equal(argv, slices.Concat(c.Command, c.Args)) {
			t.Fatalf("gate argv %q, want %q", app.Command, slices.Concat(c.Command, c.Args))
		}
		if !slices.Equal(pod.Spec.Containers[1].Command, c.Command) {
			t.Fatal("the proxy changed")
		}
	})
}

// split turns a NUL-separated string into a list; empty means none.
func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

func equalPods(a, b *corev1.Pod) bool {
	ja, _ := a.Marshal()
	jb, _ := b.Marshal()
	return bytes.Equal(ja, jb)
}
