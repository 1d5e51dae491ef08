package apps

// The scenarios of the model checker: each one seeds a small world near a situation (built by
// running the model itself, so that every object is as the real actors would leave it) and
// enables the events that matter there. expectViolation marks the scenarios on which the code
// as it is breaks a property: the test passes when the explorer finds that violation (and logs
// its trace), and fails when it finds none. Set it to "" when the fix lands: the scenario must
// then pass.
//
//	go test ./internal/controller/apps/ -run TestModelCheck -v
//	go test ./internal/controller/apps/ -run 'TestModelCheck/hole_2' -v -modelcheck.depth=12
//	make test-modelcheck

import (
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// scenario is a seeded world and the events enabled in it.
type scenario struct {
	name string
	// setup builds the initial world.
	setup func(b *seeder)
	// singletons lists the StatefulSingleton names that may exist; the first is the one setup
	// usually creates.
	singletons []string
	enable     kindSet
	// budget bounds how many times an event kind may happen; kinds not listed are unbounded.
	budget map[evKind]int
	// The operator's caches that lag behind the API (worldConfig).
	lagPods, lagSS, lagNodes bool
	// failClosed: the webhook's admission refuses selected pods while it is down.
	failClosed bool
	checks     checkSet
	// depth is the breadth-first bound of the default run; deepExtra is added to it, on top of
	// -modelcheck.deeper, when that flag asks for a deeper run (make test-modelcheck): the
	// scenarios of the fast path are cheap per state but need long traces.
	depth, deepExtra int
	// expectViolation is the property the code as it is violates here ("S1", "S2", "S3"), or
	// "" when every property must hold.
	expectViolation string
	// op replaces the production code (nil: productionOperator).
	op operatorAdapter
	// broken removes a safety piece of the fast path from the world (the gate, the server); the
	// operator's pieces are removed with op: realOperator{broken: ...}.
	broken brokenPiece
}

var scenarios = []scenario{
	// Known holes.
	{
		name: "hole 1: rename a StatefulSingleton (create b, delete a), then roll out",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		singletons:      []string{"a", "b"},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evCreateSS, evDeleteSS, evRolloutRestart),
		budget:          map[evKind]int{evCreateSS: 1, evDeleteSS: 1, evRolloutRestart: 1},
		checks:          checkS1,
		depth:           9,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "hole 2: StatefulSet db-0 stuck Terminating on a lost node, its finalizer stripped",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().statefulSet().settle().do(evNodeLost, "n1", 0)
		},
		enable: operatorKinds | kubeletKinds | stsKinds | kinds(evForceDelete, evStripFinalizer),
		budget: map[evKind]int{evForceDelete: 1, evStripFinalizer: 1},
		checks: checkS1,
		depth:  9,
		// The new db-0 passes the "vanished" guard: the status names the old one by name only.
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "hole 2 on a live node: the finalizer stripped before the kubelet acts on a force delete",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().statefulSet().settle()
		},
		enable:          operatorKinds | kubeletKinds | stsKinds | kinds(evForceDelete, evStripFinalizer),
		budget:          map[evKind]int{evForceDelete: 1, evStripFinalizer: 1},
		checks:          checkS1,
		depth:           9,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "hole 6: a release recorded in the status that the pod cache has not shown yet",
		setup: func(b *seeder) {
			// The first pod is held and not released yet; a rollout has begun.
			b.nodes("n1", "n2").singleton().deployment()
			b.do(evRSCreate, "", 1).do(evStart, "db-r1-2", 0).do(evRolloutRestart, "", 0)
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | syncKinds,
		lagPods:         true,
		lagSS:           true,
		checks:          checkS1,
		depth:           9,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},

	// Other holes the explorer finds.
	{
		name: "an adopted unguarded pod force-deleted before its containers stopped",
		setup: func(b *seeder) {
			// The Deployment's pod predates the StatefulSingleton: it runs unguarded; a rollout
			// brings a held pod.
			b.nodes("n1", "n2").deployment().settle().singleton().settle()
			b.do(evRolloutRestart, "", 0).do(evRSCreate, "", 2)
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evForceDelete),
		budget:          map[evKind]int{evForceDelete: 1},
		checks:          checkS1,
		depth:           8,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "a Terminated status reported before the deletion, while the kubelet restarts the container",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
			b.do(evRolloutRestart, "", 0).do(evRSCreate, "", 2)
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evCrash, evRestartContainer),
		budget:          map[evKind]int{evCrash: 1, evRestartContainer: 1},
		checks:          checkS1,
		depth:           10,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "a running pod labeled managed=true without the gate (S3)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").deployment().settle().singleton().settle()
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evLabelManaged, evRolloutRestart),
		budget:          map[evKind]int{evLabelManaged: 1, evRolloutRestart: 1},
		checks:          checkS1 | checkS3,
		depth:           8,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "a running pod labeled managed=true without the gate is counted as held (S1)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").deployment().settle().singleton().settle()
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evLabelManaged, evRolloutRestart),
		budget:          map[evKind]int{evLabelManaged: 1, evRolloutRestart: 1},
		checks:          checkS1,
		depth:           8,
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},
	{
		name: "webhook down during a rollout, failurePolicy Ignore (S3)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | kinds(evWebhookDown, evWebhookUp, evRolloutRestart),
		budget: map[evKind]int{evWebhookDown: 1, evWebhookUp: 1, evRolloutRestart: 1},
		checks: checkS3,
		depth:  8,
		// By design of failurePolicy Ignore; the fail-closed scenario below must pass.
		expectViolation: "S3",
	},
	{
		name: "webhook down during a rollout, fail-closed for selected pods",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable:     operatorKinds | kubeletKinds | deployKinds | kinds(evWebhookDown, evWebhookUp, evRolloutRestart),
		budget:     map[evKind]int{evWebhookDown: 1, evWebhookUp: 1, evRolloutRestart: 1},
		failClosed: true,
		checks:     checkAll,
		depth:      12,
	},
	{
		name: "fail-closed webhook deciding from a cache that has not seen a new StatefulSingleton (S3)",
		setup: func(b *seeder) {
			// The Deployment runs before any StatefulSingleton exists.
			b.nodes("n1", "n2").deployment().settle()
		},
		enable:     operatorKinds | kubeletKinds | deployKinds | syncKinds | kinds(evCreateSS, evRolloutRestart),
		budget:     map[evKind]int{evCreateSS: 1, evRolloutRestart: 1},
		lagSS:      true,
		failClosed: true,
		checks:     checkS3,
		depth:      8,
		// A limit, documented (docs/webhook.md): a pod created in the moment between a
		// StatefulSingleton's creation and its guard entry goes through the main entry, whose
		// failurePolicy is Ignore; the operator then treats it as unguarded, as a pod that
		// predates the StatefulSingleton. Create the StatefulSingleton before the workload.
		expectViolation: "S3",
	},
	{
		name: "the released pod vanished on a lost node, then the node is fenced as asked: the new pod waits for ever (S2)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds |
			kinds(evNodeLost, evForceDelete, evStripFinalizer, evDeleteNode, evTaint),
		budget: map[evKind]int{evNodeLost: 1, evForceDelete: 1, evStripFinalizer: 1, evDeleteNode: 1, evTaint: 1},
		checks: checkS2,
		depth:  10,
		// A limit, documented (docs/design.md S1): an administrator removes the finalizer of a
		// pod whose stop the kubelet reported but the operator had not read yet; the object is
		// gone, its node healthy, and the operator holds, asking for a fence or for the
		// confirmed-stopped annotation (a person's action the model does not play).
		expectViolation: "S2",
	},
	{
		name: "the StatefulSingleton deleted mid-rollout: the old ReplicaSet's replacement is not prepared",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | kinds(evRolloutRestart, evDeleteSS),
		budget: map[evKind]int{evRolloutRestart: 1, evDeleteSS: 1},
		checks: checkAll,
		depth:  12,
		// The transition in flight finishes under the rule, but the webhook prepares no pod for a
		// StatefulSingleton being deleted: the old ReplicaSet's replacement of the pod the
		// operator stopped runs at once, beside the pod just released.
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},

	{
		name: "the selector edited away mid-rollout: the old ReplicaSet's replacement is not prepared",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | kinds(evEditSelector, evRolloutRestart),
		budget: map[evKind]int{evEditSelector: 2, evRolloutRestart: 1},
		checks: checkAll,
		depth:  12,
		// A limit, documented (docs/design.md S1): a selector edited so that it matches no pod
		// ends the guarantee for the workload's new pods at once; the pod just released is still
		// the StatefulSingleton's, and the old ReplicaSet's replacement, selected by nothing, is
		// not prepared and may start beside it. That overlap is outside the contract, and the
		// checker's S1 leaves it out (startApp: a pod created unprepared, while nothing selected
		// the workload, after the release); the scenario checks that nothing else overlaps.
		expectViolation: "",
	},
	{
		name: "a node deleted as fenced registers again before the pod GC's quarantine ends",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds |
			kinds(evRolloutRestart, evNodeLost, evDeleteNode, evNodeRecover, evPodGC),
		budget: map[evKind]int{evRolloutRestart: 1, evNodeLost: 1, evDeleteNode: 1, evNodeRecover: 1},
		checks: checkS1 | checkS3,
		depth:  9,
		// NodeDeleted is taken for a stop for good: the finalizer goes, the old pod object stays
		// (the pod GC deletes orphans only after 40 s), and a kubelet that registers again
		// restarts it.
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},

	{
		name: "a second rollout during a hand-over, caches lagging behind the API",
		setup: func(b *seeder) {
			// A rollout under way: the new pod is armed, the old one was asked to stop and the
			// kubelet reports it stopped.
			b.nodes("n1", "n2").singleton().deployment().settle()
			b.handOverArmed().do(evReconcile, "a", 0).do(evKill, "db-r1-2", 0).do(evReport, "db-r1-2", 0)
		},
		enable:  operatorKinds | kubeletKinds | deployKinds | syncKinds | kinds(evRolloutRestart),
		budget:  map[evKind]int{evRolloutRestart: 1},
		lagPods: true, lagSS: true,
		checks: checkS1,
		depth:  10,
		// Hole 6 again: the long run's random walks found it from a steady state (35 events).
		expectViolation: "", // found on the code before docs/design.md S1 as it stands; must hold now
	},

	// What must hold.
	{
		name: "caches lagging behind the API during a rollout, from a steady state",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable:  operatorKinds | kubeletKinds | deployKinds | syncKinds | kinds(evRolloutRestart),
		budget:  map[evKind]int{evRolloutRestart: 1},
		lagPods: true, lagSS: true, lagNodes: true,
		checks: checkAll,
		depth:  14,
	},
	{
		name: "a node fenced by the out-of-service taint comes back (taint removed once its pods moved off)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds |
			kinds(evRolloutRestart, evNodeLost, evTaint, evUntaint, evNodeRecover, evPodGC),
		budget: map[evKind]int{evRolloutRestart: 1, evNodeLost: 1, evTaint: 1, evUntaint: 1, evNodeRecover: 1},
		checks: checkAll,
		depth:  11,
	},
	{
		name: "a pod relabeled out of the selector: its replacement waits (the vanished guard)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | kinds(evRelabelOut),
		budget: map[evKind]int{evRelabelOut: 1},
		checks: checkAll,
		depth:  10,
	},
	{
		name: "Deployment rollouts",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | kinds(evRolloutRestart, evDeletePod),
		budget: map[evKind]int{evRolloutRestart: 2, evDeletePod: 1},
		checks: checkAll,
		depth:  11,
	},
	{
		name: "StatefulSet rollouts",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().statefulSet().settle()
		},
		enable: operatorKinds | kubeletKinds | stsKinds | kinds(evSTSRolloutRestart, evDeletePod),
		budget: map[evKind]int{evSTSRolloutRestart: 2, evDeletePod: 1},
		checks: checkAll,
		depth:  14,
	},
	{
		name: "node loss during a rollout, fenced by the out-of-service taint or the node's deletion",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds |
			kinds(evRolloutRestart, evNodeLost, evForceDelete, evTaint, evDeleteNode, evPodGC),
		budget: map[evKind]int{evRolloutRestart: 1, evNodeLost: 1, evForceDelete: 1, evTaint: 1, evDeleteNode: 1},
		checks: checkAll,
		depth:  9,
	},
	{
		name: "operator restarts, a crash mid-reconcile and a deposed leader's late write during a rollout",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds |
			kinds(evRolloutRestart, evRestart, evCrashMid, evDepose, evLateWrite),
		budget: map[evKind]int{evRolloutRestart: 1, evRestart: 1, evCrashMid: 1, evDepose: 1},
		checks: checkAll,
		depth:  11,
	},
}

// fastScenarios are the scenarios of the fast hand-over (docs/design.md S6): pods wrapped with
// the supervising gate, whose exit reports reach the operator over the channel
// (modelcheck_gate_test.go).
var fastScenarios = []scenario{
	{
		name: "fast path: Deployment rollouts, reports late, lost and duplicated",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evRolloutRestart, evLoseMsg, evDupMsg),
		budget:    map[evKind]int{evRolloutRestart: 1, evLoseMsg: 1, evDupMsg: 1},
		checks:    checkAll,
		depth:     11,
		deepExtra: 3,
	},
	{
		name: "fast path: StatefulSet rollouts (db-0 again, another UID), reports late and duplicated",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().statefulSet().settle()
		},
		enable:    operatorKinds | kubeletKinds | stsKinds | channelKinds | kinds(evSTSRolloutRestart, evDupMsg),
		budget:    map[evKind]int{evSTSRolloutRestart: 2, evDupMsg: 1},
		checks:    checkAll,
		depth:     18,
		deepExtra: 3,
	},
	{
		name: "fast path: the old application crashes and restarts during the hand-over (marker, start request)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
			b.handOverArmed()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evCrash, evRestartContainer, evDupMsg),
		budget:    map[evKind]int{evCrash: 2, evRestartContainer: 2, evDupMsg: 1},
		checks:    checkS1 | checkS3,
		depth:     7,
		deepExtra: 3,
	},
	{
		name: "fast path: a decision's ledger snapshot, then a start registered before the release (Consume)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
			b.handOverArmed()
		},
		enable: kinds(evReconcileBegin, evReconcileEnd) | kubeletKinds | deployKinds | channelKinds |
			kinds(evCrash, evRestartContainer),
		budget:    map[evKind]int{evCrash: 1, evRestartContainer: 1},
		checks:    checkS1,
		depth:     7,
		deepExtra: 3,
	},
	{
		name: "fast path: the operator restarts, crashes mid-reconcile, is deposed, with gates connected",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evRestart, evCrashMid, evDepose, evLateWrite),
		budget:    map[evKind]int{evRestart: 1, evCrashMid: 1, evDepose: 1},
		checks:    checkS1 | checkS3,
		depth:     6,
		deepExtra: 3,
	},
	{
		name: "fast path: an impostor, a container killed whole, caches lagging",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds | syncKinds |
			kinds(evRolloutRestart, evImpostor, evOOMKill, evRestartContainer),
		budget:    map[evKind]int{evRolloutRestart: 1, evImpostor: 1, evOOMKill: 1, evRestartContainer: 1},
		lagPods:   true,
		checks:    checkS1 | checkS3,
		depth:     7,
		deepExtra: 3,
	},
}

// pushFirstScenarios: the new pod, tracked while the old one stops, has a session; its release
// is pushed right after the status write and before its annotation. Whatever happens between
// the two (the operator dies or is deposed, the pod is deleted or force-deleted, a second
// rollout comes), one application runs.
var pushFirstScenarios = []scenario{
	{
		name: "fast path, the release pushed before its annotation: the operator dies or is deposed between them",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().newSession().oldStopReported()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evRestart, evCrashMid, evDepose, evLateWrite, evRolloutRestart),
		budget:    map[evKind]int{evRestart: 1, evCrashMid: 1, evDepose: 1, evRolloutRestart: 1},
		checks:    checkS1 | checkS3,
		depth:     6,
		deepExtra: 4,
	},
	{
		// The release recorded ahead and pushed before the status write, from caches that lag
		// behind the API: a StatefulSingleton cache that still shows a status written before
		// is no license to push (the record it shows stays until its pod is proven stopped).
		name: "fast path, the release recorded ahead: caches lagging, a second rollout, the operator restarted",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().newSession()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds | syncKinds |
			kinds(evCrashMid, evRestart, evRolloutRestart),
		budget:    map[evKind]int{evCrashMid: 1, evRestart: 1, evRolloutRestart: 1},
		lagPods:   true,
		lagSS:     true,
		checks:    checkS1 | checkS3,
		depth:     10,
		deepExtra: 3,
	},
	{
		name: "fast path, the release pushed before its annotation: the new pod deleted or force-deleted meanwhile",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().newSession().oldStopReported()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evReconcileBegin, evReconcileEnd, evDeletePod, evForceDelete, evRolloutRestart),
		budget:    map[evKind]int{evDeletePod: 1, evForceDelete: 1, evRolloutRestart: 1},
		checks:    checkS1 | checkS3,
		depth:     6,
		deepExtra: 4,
	},
}

// fastRestartScenario: the operator dies after recording a release that rests on a gate proof
// and before writing it; the new process has no ledger, so the old pod may run again as far as
// it knows, beside the pod recorded as released.
var fastRestartScenario = scenario{
	name: "fast path: the operator dies between recording a release on a gate proof and writing it",
	setup: func(b *seeder) {
		b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
	},
	enable:    operatorKinds | kubeletKinds | deployKinds | channelKinds | kinds(evRestart, evCrashMid),
	budget:    map[evKind]int{evRestart: 1, evCrashMid: 1},
	checks:    checkAll,
	depth:     7,
	deepExtra: 3,
	// Found by this model: the restarted operator asked the recorded candidate itself to stop
	// (stopsFor counted it among the pods that may run, not newer than itself).
	expectViolation: "", // found on the code before stopsFor skipped the candidate; must hold now
}

// The same seeds as the broken scenarios below, whole: each must hold.
var fastSeededScenarios = []scenario{
	{
		name: "fast path: a start request checked before the deletion, committed during the decision (Consume)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().startChecked()
		},
		enable:    kinds(evReconcileBegin, evReconcileEnd) | kubeletKinds | channelKinds,
		checks:    checkS1,
		depth:     10,
		deepExtra: 3,
	},
	{
		name: "fast path, a Hello that registers no start: Consume alone guards a start racing the decision",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().startChecked()
		},
		enable:    kinds(evReconcileBegin, evReconcileEnd) | kubeletKinds | channelKinds,
		broken:    brokenHelloNoStart,
		checks:    checkS1,
		depth:     10,
		deepExtra: 3,
	},
	{
		name: "fast path: an exit report unanswered when its gate exits, the container restarted, the operator restarting",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().restartedLate().handOverArmed()
		},
		enable:    operatorKinds | kubeletKinds | channelKinds | kinds(evRestart, evDupMsg),
		budget:    map[evKind]int{evRestart: 1, evDupMsg: 1},
		checks:    checkS1,
		depth:     9,
		deepExtra: 3,
	},
	{
		name: "fast path: the old application's exit reported before its deletion, the operator restarting",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
			b.do(evCrash, "db-r1-2", 2).deliverOld(msgExit)
		},
		enable:    operatorKinds | kubeletKinds | channelKinds | kinds(evRestartContainer, evRestart),
		budget:    map[evKind]int{evRestartContainer: 1, evRestart: 1},
		checks:    checkS1,
		depth:     9,
		deepExtra: 3,
	},
}

// brokenScenarios remove one safety piece of the fast path each: the checker must find the
// overlap it guards against. They show that the fast scenarios pass because the pieces hold,
// not because the model cannot reach the bad states.
var brokenScenarios = []scenario{
	{
		name: "broken fast path: reports taken for a proof without the deletion requested",
		setup: func(b *seeder) {
			// The old application crashed during a rollout, its exit reported and in the ledger.
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
			b.do(evCrash, "db-r1-2", 2).deliverOld(msgExit)
		},
		enable:          operatorKinds | kubeletKinds | channelKinds | kinds(evRestartContainer, evRestart),
		budget:          map[evKind]int{evRestartContainer: 1, evRestart: 1},
		checks:          checkS1,
		depth:           10,
		op:              realOperator{broken: brokenNoDeletion},
		expectViolation: "S1",
	},
	{
		name: "broken fast path: a restarted container starts without registering (the marker ignored)",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
			b.handOverArmed()
		},
		enable:          operatorKinds | kubeletKinds | channelKinds | kinds(evCrash, evRestartContainer),
		budget:          map[evKind]int{evCrash: 1, evRestartContainer: 1},
		checks:          checkS1,
		depth:           10,
		broken:          brokenNoMarker,
		expectViolation: "S1",
	},
	{
		name: "broken fast path: the release does not consume the reports",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().startChecked()
		},
		enable:          kinds(evReconcileBegin, evReconcileEnd) | kubeletKinds | channelKinds,
		checks:          checkS1,
		depth:           10,
		broken:          brokenHelloNoStart,
		op:              realOperator{broken: brokenNoConsume},
		expectViolation: "S1",
	},
	{
		name: "broken fast path: the server takes an impostor's report",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle()
			b.handOverArmed()
		},
		enable:          operatorKinds | kubeletKinds | channelKinds | kinds(evImpostor),
		budget:          map[evKind]int{evImpostor: 1},
		checks:          checkS1,
		depth:           8,
		broken:          brokenTrustsImpostor,
		expectViolation: "S1",
	},
	{
		// The release is not recorded ahead here: the old pod went before the new one was armed.
		name: "broken fast path: the release pushed before the status records it, the operator dying between",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().oldGoneBeforeArmed()
		},
		enable: operatorKinds | kubeletKinds | deployKinds | channelKinds |
			kinds(evCrashMid, evRestart, evRolloutRestart),
		budget:          map[evKind]int{evCrashMid: 1, evRestart: 1, evRolloutRestart: 1},
		checks:          checkS1,
		depth:           9,
		op:              realOperator{broken: brokenPushBeforeRecord},
		expectViolation: "S1",
	},
	{
		name: "broken fast path: an exit report delivered after its gate gave up, to a restarted operator",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").fast().singleton().deployment().settle().restartedLate().handOverArmed()
		},
		enable:          operatorKinds | kubeletKinds | channelKinds | kinds(evRestart),
		budget:          map[evKind]int{evRestart: 1},
		checks:          checkS1,
		depth:           8,
		broken:          brokenLateDelivery,
		expectViolation: "S1",
	},
}

func TestModelCheck(t *testing.T) {
	// The explorer allocates many short-lived states on a small heap: collect less often,
	// unless GOGC says otherwise (long runs set it to bound their memory).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	seed := *mcSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	var states, transitions int
	start := time.Now()
	all := slices.Concat(scenarios, fastScenarios, []scenario{fastRestartScenario}, fastSeededScenarios,
		pushFirstScenarios, brokenScenarios)
	for i := range all {
		sc := &all[i]
		t.Run(sc.name, func(t *testing.T) {
			s, tr := runScenario(t, sc, seed)
			states += s
			transitions += tr
		})
	}
	t.Logf("model check: %d scenarios, %d states, %d transitions in %v; random walks seed %d",
		len(all), states, transitions, time.Since(start).Round(time.Millisecond), seed)
}

// runScenario explores one scenario breadth-first, then walks it at random, and checks the
// outcome against its expectation. It returns the states and transitions explored.
func runScenario(t *testing.T, sc *scenario, seed uint64) (states, transitions int) {
	initial := sc.initial()
	depth := sc.depth + *mcDeeper
	if *mcDeeper > 0 {
		depth += sc.deepExtra
	}
	if *mcDepth > 0 {
		depth = *mcDepth
	}
	op := productionOperator
	if sc.op != nil {
		op = sc.op
	}
	res := explore(op, initial, sc.checks, depth, *mcMaxStates)
	bound := ""
	switch {
	case res.exhausted:
		bound = " (every reachable state)"
	case res.truncated:
		bound = fmt.Sprintf(" (stopped at %d states)", *mcMaxStates)
	}
	t.Logf("breadth-first: %d states, %d transitions, depth %d%s, %v; %d decisions (%d more from the memo); "+
		"S2's premise held in %d states", res.states, res.transitions, res.depth, bound,
		res.elapsed.Round(time.Millisecond), res.decisions, res.memoHits, res.s2Checked)
	found, path, how := res.violation, res.path, "shortest trace"
	if found == nil && *mcWalks > 0 {
		walks := randomWalks(op, initial, sc.checks, seed, *mcWalks, *mcWalkDepth)
		t.Logf("random walks: %d walks of up to %d events (%d events), seed %d, %v", walks.walks, *mcWalkDepth,
			walks.steps, seed, walks.elapsed.Round(time.Millisecond))
		found, path, how = walks.violation, walks.path, fmt.Sprintf("random walk, seed %d", seed)
	}
	states, transitions = res.states, res.transitions
	switch {
	case found == nil && sc.expectViolation == "":
	case found == nil:
		t.Errorf("expected a violation of %s within %d events, found none: if a fix landed, set expectViolation "+
			"to \"\"", sc.expectViolation, depth)
	case found.property == sc.expectViolation:
		t.Logf("found the expected violation (%s, %d events):\n%s\n%s", how, len(path), found, replay(op, initial, path))
	default:
		t.Errorf("violation (%s, %d events):\n%s\n%s", how, len(path), found, replay(op, initial, path))
	}
	return states, transitions
}

// initial builds the scenario's initial world.
func (sc *scenario) initial() *world {
	names := sc.singletons
	if len(names) == 0 {
		names = []string{mcDefaultSS}
	}
	b := newSeeder(names)
	b.w.cfg.broken = sc.broken
	sc.setup(b)
	w := b.w
	w.cfg = &worldConfig{
		enabled: sc.enable, lagPods: sc.lagPods, lagSingletons: sc.lagSS, lagNodes: sc.lagNodes,
		failClosed: sc.failClosed, singletons: names, nodeNames: w.cfg.nodeNames, fast: w.cfg.fast, broken: sc.broken,
	}
	for k := range w.budget {
		w.budget[k] = -1
	}
	for k, n := range sc.budget {
		w.budget[k] = int8(n)
	}
	w.freshCaches()
	return w
}

// seeder seeds a world by running the model's own events, so that every object is as the
// actors would leave it.
type seeder struct {
	w   *world
	env *env
}

func newSeeder(singletons []string) *seeder {
	w := &world{
		cfg:       &worldConfig{enabled: ^kindSet(0), singletons: singletons},
		webhookUp: true,
		op:        mOperator{up: true},
	}
	for k := range w.budget {
		w.budget[k] = -1
	}
	return &seeder{w: w, env: newEnv(productionOperator)}
}

func (b *seeder) nodes(names ...string) *seeder {
	for _, name := range names {
		b.w.cfg.nodeNames = append(b.w.cfg.nodeNames, name)
		b.w.nodes = append(b.w.nodes, mNode{name: name, exists: true, up: true})
		b.w.touchNode(&b.w.nodes[len(b.w.nodes)-1])
	}
	b.w.catchUpCaches()
	return b
}

// fast turns the fast hand-over on: the webhook wraps the pods it prepares from now on with the
// supervising gate (docs/design.md S6).
func (b *seeder) fast() *seeder {
	b.w.cfg.fast = true
	return b
}

// handOverArmed starts a rollout of the settled Deployment: the new pod db-r2-3 is armed and
// held, the old one, db-r1-2 (u2), runs.
func (b *seeder) handOverArmed() *seeder {
	return b.do(evRolloutRestart, "", 0).do(evRSCreate, "", 2).do(evStart, "db-r2-3", 0).do(evReport, "db-r2-3", 0)
}

// newSession opens the session of the new pod's gate (db-r2-3, u3), the way its release can be
// pushed.
func (b *seeder) newSession() *seeder {
	return b.do(evGateHello, "db-r2-3", mcNewUID)
}

// oldStopReported has the operator ask the old pod (db-r1-2, u2) to stop (and track the new
// one), and the old pod's kubelet act on it: its gate's exit report reaches the ledger. The
// next reconcile releases the new pod, pushing the release first.
func (b *seeder) oldStopReported() {
	b.do(evReconcile, mcDefaultSS, 0).do(evKill, "db-r1-2", 0).deliverOld(msgExit)
}

// oldGoneBeforeArmed starts a rollout of the settled Deployment whose old pod (db-r1-2, u2) a
// user deletes before the new one (db-r2-3, u3) starts: its gate's exit report reaches the
// ledger, and then the new pod is armed, its session open. No reconcile ran meanwhile: the next
// one releases the new pod on the old one's gate proof, its release recorded only by that
// reconcile's status write.
func (b *seeder) oldGoneBeforeArmed() {
	b.do(evRolloutRestart, "", 0).do(evRSCreate, "", 2).do(evDeletePod, "db-r1-2", 0).do(evKill, "db-r1-2", 0).
		deliverOld(msgExit).do(evStart, "db-r2-3", 0).do(evReport, "db-r2-3", 0).newSession()
}

// restartedLate makes the settled Deployment's application (db-r1-2, u2, fast path) crash: its
// gate reports the exit of start 1 and exits before the report is answered (with
// brokenLateDelivery, the report stays on its way). The container starts again: its gate
// registers start 2 and its application runs.
func (b *seeder) restartedLate() *seeder {
	return b.do(evCrash, "db-r1-2", 2).do(evGateExit, "db-r1-2", 2).do(evRestartContainer, "db-r1-2", 2).
		do(evGateHello, "db-r1-2", 2).do(evGateRegister, "db-r1-2", 2).deliverOld(msgStart).
		do(evServerCommit, "u2", 1).deliverOld(msgVerdict).do(evGateOpen, "db-r1-2", 0)
}

// startChecked makes the old application (db-r1-2, u2) crash, its exit reported, and its
// container restart: the server checked its start request against its cache (the pod is not
// being deleted) and has not committed it to the ledger yet.
func (b *seeder) startChecked() {
	b.do(evCrash, "db-r1-2", 2).deliverOld(msgExit).do(evGateExit, "db-r1-2", 2).
		do(evRestartContainer, "db-r1-2", 2).do(evGateHello, "db-r1-2", 2).do(evGateRegister, "db-r1-2", 2).
		deliverOld(msgStart)
}

// mcOldUID is the UID of the settled Deployment's pod db-r1-2, mcNewUID that of the pod of
// its first rollout, db-r2-3.
const (
	mcOldUID = 2
	mcNewUID = 3
)

// deliverOld delivers the first message of that kind about the old pod, db-r1-2.
func (b *seeder) deliverOld(kind msgKind) *seeder {
	for i, m := range b.w.net {
		if m.kind == kind && m.uid == mcOldUID {
			return b.do(evDeliver, podUID(mcOldUID), i+1)
		}
	}
	panic(fmt.Sprintf("setup: no message of kind %d about %s in flight", kind, podUID(mcOldUID)))
}

// singleton creates StatefulSingleton a, selecting the workload.
func (b *seeder) singleton() *seeder { return b.do(evCreateSS, mcDefaultSS, 0) }

func (b *seeder) deployment() *seeder {
	b.w.deploy = mDeployment{exists: true, rs: []mReplicaSet{{rev: 1, replicas: 1}}}
	return b
}

func (b *seeder) statefulSet() *seeder {
	b.w.sts = mStatefulSet{exists: true, updateRev: 1}
	return b
}

// do applies one event, which must be enabled.
func (b *seeder) do(k evKind, target string, n int) *seeder {
	for _, e := range b.w.successors(b.env) {
		if e.kind == k && e.target == target && e.n == n {
			b.w = b.w.clone()
			b.w.apply(b.env, e, false)
			return b
		}
	}
	panic(fmt.Sprintf("setup: event %v is not enabled in:\n%s", mcEvent{kind: k, target: target, n: n}, b.w.describe()))
}

// settle applies the events that move a healthy world forward, the first that changes
// something each time, until none does.
func (b *seeder) settle() *seeder {
	for range 200 {
		h := b.w.hash()
		progressed := false
		for _, e := range b.w.successors(b.env) {
			if !progressKinds.has(e.kind) {
				continue
			}
			c := b.w.clone()
			c.apply(b.env, e, false)
			if c.hash() != h {
				b.w, progressed = c, true
				break
			}
		}
		if !progressed {
			return b
		}
	}
	panic("setup: the world does not settle:\n" + b.w.describe())
}

// TestModelCheckSetup checks that the seeds are what the scenarios say: a settled Deployment
// has one released pod whose application runs, and a StatefulSingleton that says so.
func TestModelCheckSetup(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	w := b.nodes("n1", "n2").singleton().deployment().settle().w
	if len(w.pods) != 1 || len(w.appsRunning()) != 1 || w.pods[0].release != w.pods[0].uid || !w.pods[0].ready {
		t.Fatalf("a settled Deployment should run one released, ready pod:\n%s", w.describe())
	}
	if s := describeStatus(w.ss(mcDefaultSS).status); !strings.Contains(s, "phase=Running") {
		t.Fatalf("the StatefulSingleton should say Running, says %s", s)
	}
}

// recklessOperator releases every held pod it sees, on top of what the real decision does: the
// explorer must catch it. It shows that a must-pass scenario passes because the code is right,
// not because the model cannot reach the bad states.
type recklessOperator struct{ operatorAdapter }

func (r recklessOperator) decide(v cacheView, name string, describe bool) reconcileDecision {
	dec := r.operatorAdapter.decide(v, name, describe)
	for i := range v.pods {
		if p := &v.pods[i]; p.gated && p.instance == name && p.release != p.uid && !p.deleting {
			dec.writes = append(slices.Clone(dec.writes), apiWrite{op: opPodRelease, name: p.name, rv: p.rv,
				releaseUID: p.uid})
			if describe {
				dec.summary += "; and, recklessly, release " + p.String()
			}
			break
		}
	}
	return dec
}

func TestModelCheckCatchesARecklessOperator(t *testing.T) {
	sc := scenario{
		name: "Deployment rollouts, reckless",
		setup: func(b *seeder) {
			b.nodes("n1", "n2").singleton().deployment().settle()
		},
		enable:          operatorKinds | kubeletKinds | deployKinds | kinds(evRolloutRestart),
		budget:          map[evKind]int{evRolloutRestart: 1},
		checks:          checkAll,
		depth:           8,
		expectViolation: "S1",
		op:              recklessOperator{productionOperator},
	}
	runScenario(t, &sc, 1)
}

// TestModelCheckFastPathReleases checks that the fast path is taken in the model, so that the
// fast scenarios do not pass for want of it: the old pod asked to stop, its kubelet kills it
// and its gate reports the exit, and one reconcile releases the new pod while the API still
// shows the old one Running (the kubelet has not reported yet).
func TestModelCheckFastPathReleases(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
	b.do(evReconcile, mcDefaultSS, 0).do(evKill, "db-r1-2", 0).do(evDeliver, "u2", 1).do(evReconcile, mcDefaultSS, 0)
	w := b.w
	old, next := w.pod("db-r1-2"), w.pod("db-r2-3")
	if old == nil || next == nil || next.release != next.uid || old.phase != phaseRunning || !old.deleting {
		t.Fatalf("the gate's report should release db-r2-3 before the kubelet reports db-r1-2 stopped:\n%s",
			w.describe())
	}
	if l := findLedger(w.op.ledger, old.uid); l == nil || !l.consumed {
		t.Fatalf("the release should have consumed db-r1-2's reports: ledger %+v", w.op.ledger)
	}
}

// TestModelCheckConsumeFailsOnAStartSince checks that the race the split reconcile explores is
// reached: a start of the old pod registers (its Hello) between the decision that rests on its
// gate's report and the writes, and the real Consume voids the plan: nothing is written.
func TestModelCheckConsumeFailsOnAStartSince(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
	// The old pod asked to stop; its application crashes before its kubelet acts on that, and
	// its gate's report reaches the ledger.
	b.do(evReconcile, mcDefaultSS, 0).do(evCrash, "db-r1-2", mcOldUID).deliverOld(msgExit)
	b.do(evReconcileBegin, mcDefaultSS, 0)
	if w := b.w; !strings.Contains(b.env.decideDescribed(w, mcDefaultSS).summary, "release db-r2-3") {
		t.Fatalf("the decision should release db-r2-3 on the gate's report:\n%s", w.describe())
	}
	// The kubelet restarts the container before it acts on the deletion; the new start's Hello
	// registers it.
	b.do(evGateExit, "db-r1-2", mcOldUID).do(evRestartContainer, "db-r1-2", mcOldUID).
		do(evGateHello, "db-r1-2", mcOldUID)
	b.do(evReconcileEnd, mcDefaultSS, 0)
	w := b.w
	if next := w.pod("db-r2-3"); next.release != 0 {
		t.Fatalf("a start registered since the snapshot should void the release:\n%s", w.describe())
	}
	if l := findLedger(w.op.ledger, mcOldUID); l == nil || l.consumed || l.latest != 2 {
		t.Fatalf("the ledger should hold start 2 of db-r1-2, not consumed: %+v", w.op.ledger)
	}
}

// TestModelCheckPushFirst checks that the model takes the reordered release: the new pod,
// tracked while the old one stopped, gets its release pushed right after the status write; the
// operator dies before the annotation's patch, the gate starts the application on the push
// alone, and the restarted operator writes the annotation from the status once the old pod's
// stop shows.
func TestModelCheckPushFirst(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().newSession().oldStopReported()
	if next := b.w.pod("db-r2-3"); !next.finalizer {
		t.Fatalf("the new pod should carry the release finalizer while the old one stops:\n%s", b.w.describe())
	}
	if st, _ := b.w.ss(mcDefaultSS).status.val.(*singletonv1.StatefulSingletonStatus); st == nil || st.ActivePodUID != types.UID(podUID(mcNewUID)) ||
		!slices.ContainsFunc(st.MayRunPods, func(r singletonv1.PodReference) bool { return r.UID == st.ActivePodUID }) {
		t.Fatalf("the status should record the new pod's release ahead, as the old one was asked to stop:\n%s",
			b.w.describe())
	}
	dec := b.env.decide(b.w, mcDefaultSS)
	push := slices.IndexFunc(dec.writes, func(wr apiWrite) bool { return wr.op == opPush })
	status := slices.IndexFunc(dec.writes, func(wr apiWrite) bool { return wr.op == opSSStatus })
	patch := slices.IndexFunc(dec.writes, func(wr apiWrite) bool { return wr.op == opPodRelease })
	if push < 0 || status != push+1 || patch != status+1 {
		t.Fatalf("the release recorded ahead should be written push, status, patch: %v", dec.writes)
	}
	b.do(evCrashMid, mcDefaultSS, push+1).do(evGateOpen, "db-r2-3", 0)
	w := b.w
	if next, rt := w.pod("db-r2-3"), w.runtime(mcNewUID); next.release != 0 || rt == nil || !rt.app {
		t.Fatalf("the pushed release alone should start db-r2-3's application:\n%s", w.describe())
	}
	if v := w.checkS1(); v != nil {
		t.Fatal(v)
	}
	// The restarted operator has no ledger: the old pod may run until its kubelet reports it
	// stopped; then the release recorded in the status is written.
	b.do(evRestart, "", 0).do(evReconcile, mcDefaultSS, 0)
	if next := b.w.pod("db-r2-3"); next.release != 0 {
		t.Fatalf("the release should wait for the old pod's stop to show:\n%s", b.w.describe())
	}
	b.do(evGateExit, "db-r1-2", mcOldUID).do(evReport, "db-r1-2", 0).do(evReconcile, mcDefaultSS, 0)
	if next := b.w.pod("db-r2-3"); next.release != mcNewUID {
		t.Fatalf("the restarted operator should write the release annotation from the status:\n%s", b.w.describe())
	}
}

// TestModelCheckGonePodForgotten: a release pushed whose annotation never lands, because the
// pod went first (its finalizer stripped, the pod force-deleted, while the operator's pod cache
// still showed it), stays in the operator's memory until the cache shows the pod gone, and no
// longer; one application runs throughout.
func TestModelCheckGonePodForgotten(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed().newSession().oldStopReported()
	b.w.cfg.lagPods = true // from here the operator's pod cache follows the API's events
	b.do(evStripFinalizer, "db-r2-3", 0).do(evForceDelete, "db-r2-3", 0)
	if b.w.pod("db-r2-3") != nil {
		t.Fatalf("db-r2-3 should be gone from the API:\n%s", b.w.describe())
	}
	b.do(evReconcile, mcDefaultSS, 0)
	uid := podUID(mcNewUID)
	if !slices.Contains(strings.Split(b.w.op.memory, ","), uid+mcPushedOnly) {
		t.Fatalf("the release of %s should have been pushed and remembered (memory %q):\n%s", uid, b.w.op.memory, b.w.describe())
	}
	if v := b.w.checkS1(); v != nil {
		t.Fatal(v)
	}
	b.do(evSyncPods, "", 0)
	if strings.Contains(b.w.op.memory, uid) {
		t.Fatalf("the operator should forget %s once its cache shows the pod gone (memory %q)", uid, b.w.op.memory)
	}
	if v := b.w.checkS1(); v != nil {
		t.Fatal(v)
	}
}

// TestModelCheckPushedReleaseWrittenAgain: a release recorded ahead is pushed before the status
// write, and its annotation's patch then fails (the pod changed since the decision read it: its
// held container was killed and the kubelet reported it). The release is written again by the
// next reconcile: the annotation is what a gate that the channel does not reach waits for.
func TestModelCheckPushedReleaseWrittenAgain(t *testing.T) {
	b := newSeeder([]string{mcDefaultSS})
	b.nodes("n1", "n2").fast().singleton().deployment().settle().handOverArmed()
	b.do(evReconcile, mcDefaultSS, 0).do(evKill, "db-r1-2", 0).deliverOld(msgExit)
	b.do(evReconcileBegin, mcDefaultSS, 0).do(evOOMKill, "db-r2-3", mcNewUID).do(evReport, "db-r2-3", 0).
		do(evReconcileEnd, mcDefaultSS, 0)
	uid := podUID(mcNewUID)
	if next := b.w.pod("db-r2-3"); next == nil || next.release != 0 ||
		!slices.Contains(strings.Split(b.w.op.memory, ","), uid+mcPushedOnly) {
		t.Fatalf("the release should have been pushed and its patch refused (memory %q):\n%s", b.w.op.memory,
			b.w.describe())
	}
	b.do(evReconcile, mcDefaultSS, 0)
	if next := b.w.pod("db-r2-3"); next.release != mcNewUID {
		t.Fatalf("the next reconcile should write the release annotation again (memory %q):\n%s", b.w.op.memory,
			b.w.describe())
	}
	if v := b.w.checkS1(); v != nil {
		t.Fatal(v)
	}
}
