// Package framework starts the real Kubernetes parts that the integration and e2e tests run
// against, and builds the objects they use. It holds no assertions of its own.
package framework
