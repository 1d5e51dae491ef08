package combinedstatus

import (
	"sync"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Cache keeps each StatusCollector compiled once: Get compiles again only when the spec
// changed. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	spec      controlv1alpha1.StatusCollectorSpec
	collector *Collector
	errs      []string
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[string]cacheEntry{}} }

// Get returns the compiled collector of sc, or the errors of its spec (see Compile).
func (c *Cache) Get(sc *controlv1alpha1.StatusCollector) (*Collector, []string) {
	c.mu.Lock()
	e, ok := c.entries[sc.Name]
	c.mu.Unlock()
	if ok && equality.Semantic.DeepEqual(e.spec, sc.Spec) {
		return e.collector, e.errs
	}
	coll, errs := Compile(sc.Name, &sc.Spec)
	c.mu.Lock()
	c.entries[sc.Name] = cacheEntry{spec: *sc.Spec.DeepCopy(), collector: coll, errs: errs}
	c.mu.Unlock()
	return coll, errs
}

// Forget drops a collector that no longer exists.
func (c *Cache) Forget(name string) {
	c.mu.Lock()
	delete(c.entries, name)
	c.mu.Unlock()
}

// Len is the number of collectors kept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
