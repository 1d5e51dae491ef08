// Command gate measures how fast each candidate mechanism of the StatefulSingleton gate
// releases a held pod's application on a real cluster, and prints the table of docs/gate.md.
//
// Release latency: the release annotation patch returns (client clock) -> the application's
// first instruction (test/bench/gate/stamp prints its start time; the cluster runs on this
// machine, so both clocks are the same). For "none" (no gate): the pod create returns -> the
// application starts. Run it with test/bench/gate/run.sh, which builds and imports the images.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type config struct {
	n          int
	namespace  string
	candidates []string
	img        images
	settle     time.Duration // minimum time a pod is held before its release
}

func main() {
	var cfg config
	var cands string
	flag.IntVar(&cfg.n, "n", 20, "pods per candidate")
	flag.StringVar(&cfg.namespace, "namespace", "gate-bench", "namespace to create (restricted PSS) and delete")
	flag.StringVar(&cands, "candidates", strings.Join(allCandidates, ","), "comma-separated candidates")
	flag.StringVar(&cfg.img.gate, "gate-image", "", "image with the gate binary at /gate")
	flag.StringVar(&cfg.img.app, "app-image", "", "image with ENTRYPOINT /stamp")
	flag.DurationVar(&cfg.settle, "settle", 500*time.Millisecond, "hold each pod at least this long (plus 0-1 s)")
	flag.Parse()
	cfg.candidates = strings.Split(cands, ",")
	if cfg.img.gate == "" || cfg.img.app == "" {
		fmt.Fprintln(os.Stderr, "--gate-image and --app-image are required (test/bench/gate/run.sh sets them)")
		os.Exit(2)
	}
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "gate bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	rc, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.namespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return err
	}
	defer func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), cfg.namespace, metav1.DeleteOptions{})
	}()
	waitForServiceAccount(ctx, cs, cfg.namespace)

	latency := map[string]summary{}
	deletion := map[string]summary{}
	for _, cand := range cfg.candidates {
		if !slices.Contains(allCandidates, cand) {
			return fmt.Errorf("unknown candidate %q", cand)
		}
		lat, del, err := measure(ctx, cs, cfg, cand)
		if err != nil {
			return fmt.Errorf("%s: %w", cand, err)
		}
		latency[cand], deletion[cand] = summarize(lat), summarize(del)
	}
	printTable(os.Stdout, "release latency: release patch returned -> app started "+
		"(none: pod create returned -> app started)", allCandidates, latency)
	printTable(os.Stdout, "delete a held pod (none: a running pod) -> object gone", allCandidates, deletion)
	return nil
}

func waitForServiceAccount(ctx context.Context, cs kubernetes.Interface, ns string) {
	for range 100 {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// measure runs cfg.n pods of one candidate, one after the other, and returns their release
// latencies, plus the deletion times of held pods (every fourth pod is deleted while held).
func measure(ctx context.Context, cs kubernetes.Interface, cfg config,
	cand string) (lat, del []time.Duration, err error) {
	for i := range cfg.n + cfg.n/4 {
		name := fmt.Sprintf("%s-%d", cand, i)
		deleteHeld := i >= cfg.n
		d, took, err := onePod(ctx, cs, cfg, cand, name, deleteHeld)
		if err != nil {
			return nil, nil, fmt.Errorf("pod %s: %w", name, err)
		}
		if deleteHeld {
			del = append(del, took)
		} else {
			lat = append(lat, d)
		}
		fmt.Fprintf(os.Stderr, "%s: latency %s delete %s\n", name, d, took)
	}
	return lat, del, nil
}

// heldContainer is the container whose running state means "held, ready to be released".
func heldContainer(cand string) string {
	if strings.HasPrefix(cand, "sidecar") {
		return sidecarContainer
	}
	return appContainer
}

func onePod(ctx context.Context, cs kubernetes.Interface, cfg config, cand, name string,
	deleteHeld bool) (time.Duration, time.Duration, error) {
	pods := cs.CoreV1().Pods(cfg.namespace)
	pod, err := pods.Create(ctx, newPod(name, cand, cfg.img), metav1.CreateOptions{})
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if cand != candNone {
		if err := waitPod(ctx, cs, cfg.namespace, name, running(heldContainer(cand))); err != nil {
			return 0, 0, err
		}
		// Held: give the gate time to settle, with a random phase against periodic probes.
		time.Sleep(cfg.settle + rand.N(time.Second))
		if deleteHeld {
			took, err := deleteAndWait(ctx, cs, cfg.namespace, name)
			return 0, took, err
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, releaseAnnotation, pod.UID)
		if _, err := pods.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return 0, 0, err
		}
		t0 = time.Now()
	}
	if err := waitPod(ctx, cs, cfg.namespace, name, running(appContainer)); err != nil {
		return 0, 0, err
	}
	line, err := stampLine(ctx, cs, cfg.namespace, name)
	if err != nil {
		return 0, 0, err
	}
	if want := append([]string{appEntrypoint}, appArgs...); !slices.Equal(line.Argv, want) {
		return 0, 0, fmt.Errorf("app argv %q, want %q", line.Argv, want)
	}
	latency := time.Unix(0, line.StartUnixNano).Sub(t0)
	took, err := deleteAndWait(ctx, cs, cfg.namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, 0, err
	}
	if deleteHeld || cand == candNone {
		return latency, took, nil
	}
	return latency, 0, nil
}
