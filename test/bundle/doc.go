// Package bundle holds the tests of the OLM bundle (bundle/, bundle.Dockerfile) that no public
// validator runs on its own: the operator-framework validators with the options OperatorHub
// uses, the six default scorecard checks run on the bundle files, the OpenShift annotations,
// relatedImages, the metrics label chain, the bundle's reproducibility, and promtool on the
// alerting rules. `make test-bundle` runs them; docs/bundle.md lists what each one proves.
package bundle
