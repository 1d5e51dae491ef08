package apps

// The explorer: breadth-first search of every interleaving of the enabled events up to a depth,
// with states deduplicated by hash, so that the first violation found has a shortest trace;
// then random walks, longer, from a seed that is printed. A trace is kept as the indexes of the
// events taken and replayed to describe it.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

var (
	mcDepth     = flag.Int("modelcheck.depth", 0, "breadth-first depth bound of every scenario; 0: each scenario's own")
	mcDeeper    = flag.Int("modelcheck.deeper", 0, "events added to each scenario's own breadth-first depth bound")
	mcMaxStates = flag.Int("modelcheck.maxstates", 400_000, "stop a breadth-first search after this many states")
	mcWalks     = flag.Int("modelcheck.walks", 30, "random walks per scenario after the breadth-first search")
	mcWalkDepth = flag.Int("modelcheck.walkdepth", 40, "length of each random walk")
	mcSeed      = flag.Uint64("modelcheck.seed", 1, "seed of the random walks (printed); 0: from the clock")
)

// env is what a run shares between states: the operator adapter, and a memo of its decisions
// keyed by everything a reconcile reads.
type env struct {
	op       operatorAdapter
	memo     map[string]reconcileDecision
	key      []byte
	describe bool
	// s2Checked counts the states where S2's premise held, so that a run shows it was tested.
	s2Checked int
	// decisions and memoHits count the reconciles decided and those found in the memo.
	decisions, memoHits int
}

// maxMemo bounds the memo; it is emptied when full.
const maxMemo = 50_000

func newEnv(op operatorAdapter) *env {
	return &env{op: op, memo: map[string]reconcileDecision{}}
}

// decide returns the decision of one reconcile of the StatefulSingleton named, from the
// operator's caches in the world.
func (env *env) decide(w *world, name string) reconcileDecision {
	e := encoder{buf: env.key[:0]}
	e.str(name)
	e.str(w.op.memory)
	e.bool(env.describe)
	encodeCache(&e, &watchCache[mPod]{objs: w.op.pods.objs}, e.pod)
	for i := range w.op.sss.objs {
		if s := &w.op.sss.objs[i]; s.name == name {
			e.ss(s)
		}
	}
	encodeCache(&e, &watchCache[mNode]{objs: w.op.nodes.objs}, e.node)
	e.int(len(w.op.ledger))
	for i := range w.op.ledger {
		e.ledgerEntry(&w.op.ledger[i])
	}
	e.bool(w.deploy.exists)
	for _, rs := range w.deploy.rs {
		e.int(rs.replicas)
	}
	e.bool(w.sts.exists)
	e.int(w.sts.updateRev)
	env.key = e.buf
	if d, ok := env.memo[string(e.buf)]; ok {
		env.memoHits++
		return d
	}
	env.decisions++
	d := env.op.decide(cacheView{pods: w.op.pods.objs, sss: w.op.sss.objs, nodes: w.op.nodes.objs,
		owner: w.ownerOf, memory: w.op.memory, ledger: w.op.ledger}, name, env.describe)
	if len(env.memo) >= maxMemo {
		clear(env.memo)
	}
	env.memo[string(e.buf)] = d
	return d
}

// decideDescribed is decide with the summary of what the reconcile saw and decided.
func (env *env) decideDescribed(w *world, name string) reconcileDecision {
	was := env.describe
	env.describe = true
	defer func() { env.describe = was }()
	return env.decide(w, name)
}

// stateNode is one state found: its parent and the index of the event that led to it.
type stateNode struct {
	parent int32
	event  uint16
}

// exploreResult is what a search found.
type exploreResult struct {
	states, transitions int
	depth               int  // the deepest level explored
	exhausted           bool // no new state below depth: every reachable state was seen
	truncated           bool // stopped at maxStates
	s2Checked           int  // states where S2's premise held
	decisions, memoHits int  // reconciles decided by the production code, and answered by the memo
	violation           *violation
	path                []uint16 // to the violation
	elapsed             time.Duration
}

// explore searches breadth-first from the initial world, up to maxDepth events, and stops at
// the first state that violates a property of checks.
func explore(op operatorAdapter, initial *world, checks checkSet, maxDepth, maxStates int) (res exploreResult) {
	start := time.Now()
	env := newEnv(op)
	defer func() { res.s2Checked, res.decisions, res.memoHits = env.s2Checked, env.decisions, env.memoHits }()
	nodes := []stateNode{{parent: -1}}
	seen := map[[16]byte]struct{}{initial.hash(): {}}
	if v := initial.check(env, checks); v != nil {
		res.violation = v
		res.elapsed = time.Since(start)
		return res
	}
	level, ids := []*world{initial}, []int32{0}
	var scratch encoder
	for depth := 1; depth <= maxDepth && len(level) > 0 && !res.truncated; depth++ {
		var next []*world
		var nextIDs []int32
		for i, w := range level {
			if len(nodes) >= maxStates {
				// The level is not explored to its end: the depth reached is the one before.
				res.truncated = true
				break
			}
			for j, e := range w.successors(env) {
				c := w.clone()
				c.apply(env, e, false)
				res.transitions++
				h := c.hashWith(&scratch)
				if _, dup := seen[h]; dup {
					continue
				}
				seen[h] = struct{}{}
				nodes = append(nodes, stateNode{parent: ids[i], event: uint16(j)})
				id := int32(len(nodes) - 1)
				if v := c.check(env, checks); v != nil {
					res.violation, res.path, res.depth = v, pathTo(nodes, id), depth
					res.states = len(nodes)
					res.elapsed = time.Since(start)
					return res
				}
				next = append(next, c)
				nextIDs = append(nextIDs, id)
			}
			level[i] = nil
		}
		if !res.truncated {
			res.depth = depth
		}
		level, ids = next, nextIDs
	}
	res.exhausted = len(level) == 0 && !res.truncated
	res.states = len(nodes)
	res.elapsed = time.Since(start)
	return res
}

func pathTo(nodes []stateNode, id int32) []uint16 {
	var path []uint16
	for ; nodes[id].parent >= 0; id = nodes[id].parent {
		path = append(path, nodes[id].event)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// walkResult is what the random walks found.
type walkResult struct {
	walks, steps int
	violation    *violation
	path         []uint16
	elapsed      time.Duration
}

// randomWalks takes n walks of up to length events from the initial world, each event chosen
// at random among those enabled, and stops at the first violation.
func randomWalks(op operatorAdapter, initial *world, checks checkSet, seed uint64, n, length int) walkResult {
	start := time.Now()
	env := newEnv(op)
	res := walkResult{}
	for walk := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(walk)))
		w := initial
		var path []uint16
		res.walks++
		for range length {
			evs := w.successors(env)
			if len(evs) == 0 {
				break
			}
			j := rng.IntN(len(evs))
			c := w.clone()
			c.apply(env, evs[j], false)
			res.steps++
			path = append(path, uint16(j))
			if v := c.check(env, checks); v != nil {
				res.violation, res.path = v, path
				res.elapsed = time.Since(start)
				return res
			}
			w = c
		}
	}
	res.elapsed = time.Since(start)
	return res
}

// replay takes the events of a path again from the initial world and describes each, then the
// state reached.
func replay(op operatorAdapter, initial *world, path []uint16) string {
	env := newEnv(op)
	env.describe = true
	var b strings.Builder
	w := initial
	for i, j := range path {
		evs := w.successors(env)
		c := w.clone()
		fmt.Fprintf(&b, "  %2d. %s\n", i+1, c.apply(env, evs[j], true))
		w = c
	}
	b.WriteString("  state reached:\n")
	b.WriteString(w.describe())
	return b.String()
}

// describe lists what a world holds, for the end of a trace.
func (w *world) describe() string {
	var b strings.Builder
	for i := range w.pods {
		p := &w.pods[i]
		fmt.Fprintf(&b, "    pod %s %s\n", p, describePodObject(p))
	}
	for _, rt := range w.rts {
		app := "gate holds"
		switch {
		case rt.app:
			app = "APPLICATION RUNS"
		case rt.ctr != ctrRunning:
			app = "container " + rt.ctr.String()
		}
		fmt.Fprintf(&b, "    kubelet %s runs %s (%s): %s\n", rt.node, podUID(rt.uid), rt.pod, app)
	}
	for _, n := range w.nodes {
		fmt.Fprintf(&b, "    node %s exists=%t out-of-service=%t up=%t\n", n.name, n.exists, n.oos, n.up)
	}
	for i := range w.sss {
		s := &w.sss[i]
		fmt.Fprintf(&b, "    StatefulSingleton %s selects=%t deleting=%t finalizer=%t %s\n", s.name, s.selects,
			s.deleting, s.finalizer, describeStatus(s.status))
	}
	fmt.Fprintf(&b, "    operator up=%t cache lag: pods %d, singletons %d, nodes %d events; webhook up=%t\n",
		w.op.up, len(w.op.pods.queue), len(w.op.sss.queue), len(w.op.nodes.queue), w.webhookUp)
	return b.String()
}
