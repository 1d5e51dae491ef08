package kubestellar

import "maps"

// keepCollisionCount returns want with the current status's collisionCount when want's is
// lower: the API server refuses to decrement a Deployment's, StatefulSet's or DaemonSet's
// collisionCount, and a lower one (say, another WEC's, when the singleton moves or the summary
// is based on another WEC) would leave the write failing for ever, the old status in place.
// want is copied before it is changed: it may be a cache's.
func keepCollisionCount(want, current map[string]any) map[string]any {
	have, ok := number(current["collisionCount"])
	if !ok {
		return want
	}
	if got, ok := number(want["collisionCount"]); !ok || got >= have {
		return want
	}
	out := maps.Clone(want)
	out["collisionCount"] = current["collisionCount"]
	return out
}

// number reads a JSON number as the decoders leave it: int64 (apimachinery) or float64
// (encoding/json).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}
