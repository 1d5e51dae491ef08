package kubestellar

import (
	"context"
	"fmt"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// index is one of the connection's indexes over the objects an informer of its caches keeps:
// Bindings by the objects they name, WorkStatuses by the object they report on, and so on.
//
// It is read from the informer's store itself rather than through the cache's List, which
// answers by copying every object found into a typed list (by reflection) after matching a
// field selector and the list's kind through the REST mapper: done several times a reconcile,
// that was the largest share of the operator's garbage. What an index returns are the cached
// objects: read only, as everything the caches return to this package (they are built with
// DefaultUnsafeDisableDeepCopy).
type index[T client.Object] struct {
	name    string
	indexer toolscache.Indexer
}

// addIndex adds an index named name to the informer that keeps the objects of obj's kind in c:
// keys gives the keys an object is found under.
func addIndex[T client.Object](ctx context.Context, c cache.Cache, obj T, name string, keys func(T) []string,
) (index[T], error) {
	inf, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return index[T]{}, err
	}
	shared, ok := inf.(toolscache.SharedIndexInformer)
	if !ok {
		return index[T]{}, fmt.Errorf("the cache's informer of %T (%T) keeps no index", obj, inf)
	}
	err = shared.AddIndexers(toolscache.Indexers{name: func(o any) ([]string, error) {
		if t, ok := o.(T); ok {
			return keys(t), nil
		}
		return nil, nil
	}})
	if err != nil {
		return index[T]{}, err
	}
	return index[T]{name: name, indexer: shared.GetIndexer()}, nil
}

// lookup returns the objects found under key, in no particular order. An index is only read by
// the connection's workers and event handlers, which start after the caches did.
func (x index[T]) lookup(key string) []T {
	objs, err := x.indexer.ByIndex(x.name, key)
	if err != nil {
		return nil // only for an index the informer does not have: addIndex added it
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// has tells whether some object is found under key.
func (x index[T]) has(key string) bool {
	keys, err := x.indexer.IndexKeys(x.name, key)
	return err == nil && len(keys) > 0
}
