package reportedstate

import (
	eventsv1 "k8s.io/api/events/v1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

type (
	ksReportedState = ksv1alpha1.ReportedState
	eventsList      = eventsv1.EventList
)
