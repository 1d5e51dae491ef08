package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// waitPod returns once done(pod) holds, following a watch of that one pod.
func waitPod(ctx context.Context, cs kubernetes.Interface, ns, name string,
	done func(*corev1.Pod) (bool, error)) error {
	pod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if ok, err := done(pod); ok || err != nil {
		return err
	}
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: pod.ResourceVersion,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Deleted:
			return fmt.Errorf("pod %s deleted", name)
		case watch.Error:
			return fmt.Errorf("watching pod %s: %v", name, ev.Object)
		case watch.Added, watch.Modified:
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ok, err := done(p); ok || err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("watch of pod %s ended: %w", name, ctx.Err())
}

func findStatus(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

// running reports whether the named container (main or init) runs; a terminated app fails.
func running(container string) func(*corev1.Pod) (bool, error) {
	return func(p *corev1.Pod) (bool, error) {
		s := findStatus(p.Status.ContainerStatuses, container)
		if s == nil {
			s = findStatus(p.Status.InitContainerStatuses, container)
		}
		if s == nil {
			return false, nil
		}
		if t := s.State.Terminated; t != nil {
			return false, fmt.Errorf("container %s terminated: %s (exit %d) %s", container, t.Reason, t.ExitCode, t.Message)
		}
		if w := s.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" &&
			w.Reason != "PodInitializing" {
			return false, fmt.Errorf("container %s waiting: %s %s", container, w.Reason, w.Message)
		}
		return s.State.Running != nil, nil
	}
}

// stampLine reads the app's first log line, retrying briefly: the log may trail the status.
func stampLine(ctx context.Context, cs kubernetes.Interface, ns, name string) (stampOutput, error) {
	var last error
	for range 100 {
		raw, err := cs.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Container: appContainer}).DoRaw(ctx)
		if err == nil {
			first, _, _ := strings.Cut(string(raw), "\n")
			var line stampOutput
			if err = json.Unmarshal([]byte(first), &line); err == nil {
				return line, nil
			}
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return stampOutput{}, fmt.Errorf("no stamp line from %s: %w", name, last)
}

// stampOutput is the line test/bench/gate/stamp prints.
type stampOutput struct {
	StartUnixNano int64    `json:"startUnixNano"`
	Argv          []string `json:"argv"`
}

// deleteAndWait deletes the pod and waits until the object is gone; it returns how long that took.
func deleteAndWait(ctx context.Context, cs kubernetes.Interface, ns, name string) (time.Duration, error) {
	start := time.Now()
	if err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return 0, err
	}
	for {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if strings.Contains(err.Error(), "not found") {
				return time.Since(start), nil
			}
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
