#!/usr/bin/env bash
# Writes the TLS material of the registry that the e2e suite serves inside the local cluster's
# network namespace (test/e2e/registry_test.go), and prints its directory: a CA of its own
# (ca.crt, ca.key) and a server certificate for the node's address 10.99.0.2 (tls.crt,
# tls.key), kept in $SINGLETON_CACHE/e2e-registry and made anew when missing or when less than
# a day of validity is left. hack/test-e2e.sh gives the CA to the operator (SSL_CERT_DIR), which
# then reads images' ENTRYPOINT and CMD from that registry over verified TLS.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

node_ip=10.99.0.2 # hack/cluster/layout.sh NODE_IP
dir="$SINGLETON_CACHE/e2e-registry"
mkdir -p "$dir"
if [[ -f $dir/tls.crt && -f $dir/ca.crt ]] && openssl x509 -in "$dir/tls.crt" -noout -checkend 86400 >/dev/null &&
	openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null 2>&1; then
	echo "$dir"
	exit 0
fi
log "generating the e2e registry's CA and certificate in $dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
	-subj "/CN=singleton-operator e2e registry CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-subj "/CN=$node_ip" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
	-extfile <(printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$node_ip") \
	-out "$dir/tls.crt" 2>/dev/null
rm -f "$dir/tls.csr" "$dir/ca.srl"
chmod 0644 "$dir/ca.crt" "$dir/tls.crt"
echo "$dir"
