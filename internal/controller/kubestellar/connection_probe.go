package kubestellar

import (
	"context"
	"maps"
	"slices"
	"time"
)

// probeLoop asks both clusters whether they answer, every ProbeInterval and at once after a
// watch error, and publishes the counts when they changed.
func (c *connection) probeLoop(ctx context.Context) {
	ticker := time.NewTicker(c.opts.ProbeInterval)
	defer ticker.Stop()
	var published connectionState
	for {
		c.probe()
		if s := c.snapshot(); s.differsFrom(published) {
			c.publish(s, published)
			published = s
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.probeNow:
		}
	}
}

// differsFrom tells whether the state shows anything otherwise than the one published before:
// a count, or a name the ReportedState's conditions list (an invalid WorkStatus replaced by
// another leaves the count as it was).
func (s connectionState) differsFrom(published connectionState) bool {
	return s.Singleton != published.Singleton || s.MultiWEC != published.MultiWEC || s.WECs != published.WECs ||
		!slices.Equal(s.Invalid, published.Invalid) || !slices.Equal(s.SecondWriters, published.SecondWriters) ||
		!slices.Equal(s.Misconfigured, published.Misconfigured) || !slices.Equal(s.Unwatchable, published.Unwatchable) ||
		s.Why != published.Why || !maps.Equal(s.Health, published.Health)
}

// publish sets the gauges (dropping the WEC health series that went away since before) and tells
// the ReportedState reconciler.
func (c *connection) publish(s, before connectionState) {
	for k := range before.Health {
		if _, ok := s.Health[k]; !ok {
			wecObjects.DeleteLabelValues(c.key.Namespace, c.key.Name, k.WEC, k.Status)
		}
	}
	for k, n := range s.Health {
		wecObjects.WithLabelValues(c.key.Namespace, c.key.Name, k.WEC, k.Status).Set(float64(n))
	}
	objectsByMode.WithLabelValues(c.key.Namespace, c.key.Name, modeSingleton).Set(float64(s.Singleton))
	objectsByMode.WithLabelValues(c.key.Namespace, c.key.Name, modeMultiWEC).Set(float64(s.MultiWEC))
	wecsReporting.WithLabelValues(c.key.Namespace, c.key.Name).Set(float64(s.WECs))
	invalidWorkStatuses.WithLabelValues(c.key.Namespace, c.key.Name).Set(float64(len(s.Invalid)))
	secondWriterObjects.WithLabelValues(c.key.Namespace, c.key.Name).Set(float64(len(s.SecondWriters)))
	if c.notify != nil {
		c.notify()
	}
}

// probe asks each cluster for its version and records whether it answered. When the ITS comes
// back, the objects deferred meanwhile are queued again.
func (c *connection) probe() {
	_, wdsErr := c.wdsProbe.ServerVersion()
	_, itsErr := c.itsProbe.ServerVersion()
	before := c.health()
	c.update(func(h *linkHealth) {
		h.WDSUp, h.ITSUp, h.Probed = wdsErr == nil, itsErr == nil, true
	})
	connected.WithLabelValues(c.key.Namespace, c.key.Name, clusterWDS).Set(gauge(wdsErr == nil))
	connected.WithLabelValues(c.key.Namespace, c.key.Name, clusterITS).Set(gauge(itsErr == nil))
	if wdsErr != nil && before.WDSUp {
		c.log.Info("The WDS does not answer", "error", wdsErr.Error())
		c.event(c.warn, "WDSUnreachable", "The WDS does not answer: %s", wdsErr.Error())
	}
	if itsErr != nil && before.ITSUp {
		c.log.Info("The ITS does not answer; WDS status is left as it is", "error", itsErr.Error())
		c.event(c.warn, "ITSUnreachable", "The ITS does not answer, WDS status is left as it is: %s", itsErr.Error())
	}
	if wdsErr == nil && itsErr == nil && (!before.WDSUp || !before.ITSUp) {
		c.log.Info("The WDS and the ITS answer")
		c.event(c.normal, "Connected", "The WDS and the ITS answer")
		c.requeueDeferred()
	}
}

// event records an event when the connection has a recorder.
func (c *connection) event(record func(reason, action, note string, args ...any), reason, note string, args ...any) {
	if record != nil {
		record(reason, "Probe", note, args...)
	}
}

func gauge(up bool) float64 {
	if up {
		return 1
	}
	return 0
}
