#!/usr/bin/env bash
# `secretmask run --redact` on a 100 MB log with 20 PEM-sized values to hide (some of them in
# the log, whole, base64-wrapped and JSON-escaped), against the same pipeline without secretmask:
#   secretmask run --redact --env-file ci.env.tpl -- cat ci.log | cat > /dev/null
#   cat ci.log | cat > /dev/null
# Alternating runs (A B A B …); goal: the median ratio at most 3x.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
work=target/bench-redact
mkdir -p "$work"
cargo build --release --quiet
bin=$PWD/target/release/secretmask

python3 - "$work" <<'PY'
import base64, json, random, sys, textwrap
work = sys.argv[1]
rng = random.Random(7)
pems = []
for i in range(20):
    body = base64.b64encode(rng.randbytes(1200)).decode()
    pems.append("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(body, 64)) + "\n-----END CERTIFICATE-----\n")
with open(f"{work}/secrets.yaml", "w") as f:
    for i, pem in enumerate(pems):
        f.write(f"kv/ci/cert{i}:\n  pem: {json.dumps(pem)}\n")
with open(f"{work}/ci.env.tpl", "w") as f:
    for i in range(20):
        f.write(f"CERT{i}=\"{{{{workato:vault:pem:kv/ci/cert{i}}}}}\"\n")
words = "build step deploy fetched layer sha256 ok warning retry cache image push pull".split()
out, size, n = [], 0, 0
while size < 100 * 1024 * 1024:
    n += 1
    if n % 20000 == 0:
        pem = pems[n % 20]
        line = rng.choice([pem, base64.encodebytes(pem.encode()).decode(), json.dumps(pem) + "\n"])
    else:
        line = f"{n:08d} " + " ".join(rng.choice(words) for _ in range(12)) + f" {rng.getrandbits(64):016x}\n"
    out.append(line)
    size += len(line)
open(f"{work}/ci.log", "w").write("".join(out))
PY
size=$(stat -c %s "$work/ci.log")
echo "log: $((size / 1024 / 1024)) MB, 20 PEM values (about 1.7 KB each) to redact"
python3 bench/alternate.py "$runs" redact plain -- \
  sh -c "'$bin' run --redact --secrets-file '$work/secrets.yaml' --env-file '$work/ci.env.tpl' -- cat '$work/ci.log' | cat > /dev/null" -- \
  sh -c "cat '$work/ci.log' | cat > /dev/null"
leaks=$("$bin" run --redact --secrets-file "$work/secrets.yaml" --env-file "$work/ci.env.tpl" -- cat "$work/ci.log" | grep -c 'BEGIN CERTIFICATE' || true)
echo "  lines still holding a certificate after redaction: $leaks"
