#!/usr/bin/env bash
# Generates throw-away TLS material for tests and local demos (never for production):
#   ca.key/ca.crt          a test certificate authority
#   server.key/server.crt  a server certificate for localhost and 127.0.0.1 (subjectAltName), signed by the CA
#   client.key/client.crt  a client certificate (extendedKeyUsage clientAuth), signed by the CA
#   other-ca.key/other-ca.crt, rogue-client.key/rogue-client.crt  a client certificate from an unrelated CA,
#                          so tests can show that the server refuses a certificate it does not trust
# Usage: scripts/gen-test-tls.sh OUT_DIR    (OUT_DIR is created; existing files are overwritten)
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out="$1"
command -v openssl >/dev/null 2>&1 || { echo "openssl not found in PATH" >&2; exit 2; }
mkdir -p "$out"
cd "$out"

days=3650
# A fresh working dir for the extension files; removed whatever happens.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.crt"
}

leaf() { # name subject ca extfile
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$work/$1.csr"
  openssl x509 -req -in "$work/$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
    -CAserial "$work/$3.srl" -days "$days" -sha256 -extfile "$4" -out "$1.crt" 2>/dev/null
}

cat >"$work/server.ext" <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
cat >"$work/client.ext" <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EXT

ca ca "/O=passerelle tests/CN=passerelle test CA"
leaf server "/O=passerelle tests/CN=localhost" ca "$work/server.ext"
leaf client "/O=passerelle tests/CN=passerelle test client" ca "$work/client.ext"
ca other-ca "/O=somebody else/CN=unrelated test CA"
leaf rogue-client "/O=somebody else/CN=untrusted client" other-ca "$work/client.ext"

openssl verify -CAfile ca.crt server.crt client.crt >/dev/null
echo "test TLS material written to $out"
