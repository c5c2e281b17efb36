#!/usr/bin/env bash
# Render a 50 MB template with 100,000 masks over 1,000 distinct secrets from the file store,
# against envsubst (Debian's gettext-base) on a file of the same size with the same number of
# $VAR substitutions. Reports MB/s and the ratio (median of several runs, hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
work=target/bench-render
mkdir -p "$work"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release --quiet
bin=$PWD/target/release/secretmask

python3 - "$work" <<'PY'
import sys, os
work = sys.argv[1]
secrets, masks, target = 1000, 100_000, 50 * 1024 * 1024
with open(f"{work}/secrets.yaml", "w") as f:
    for s in range(secrets):
        f.write(f"kv/app/s{s}:\n  value: value-{s:04d}-abcdefghij\n")
with open(f"{work}/env.sh", "w") as f:
    for s in range(secrets):
        f.write(f"export V{s}=value-{s:04d}-abcdefghij\n")
filler_len = target // masks
tpl, env = [], []
for i in range(masks):
    s = i % secrets
    mask = f"{{{{workato:vault:value:kv/app/s{s}}}}}"
    var = f"${{V{s}}}"
    head = f"key{i}: \""
    tpl.append(head + mask + "\" # " + "x" * max(0, filler_len - len(head) - len(mask) - 5) + "\n")
    env.append(head + var + "\" # " + "x" * max(0, filler_len - len(head) - len(var) - 5) + "\n")
pad = lambda lines, n: "".join(lines) + "#" * max(0, n - len("".join(lines))) + "\n"
t = "".join(tpl); e = "".join(env)
size = max(len(t), len(e))
open(f"{work}/app.yaml.tpl", "w").write(t + "#" * (size - len(t)) + "\n")
open(f"{work}/app.env.in", "w").write(e + "#" * (size - len(e)) + "\n")
PY
size=$(stat -c %s "$work/app.yaml.tpl")
echo "template: $((size / 1024 / 1024)) MB, 100000 masks over 1000 secrets"
hyperfine --warmup 1 --runs "$runs" -N --export-json target/render-file.json \
  "$bin render $work/app.yaml.tpl -o $work/app.yaml --secrets-file $work/secrets.yaml" \
  "bash -c '. $work/env.sh && envsubst < $work/app.env.in > $work/app.env'"
python3 - "$size" <<'PY'
import json, sys
size = int(sys.argv[1]) / 1e6
r = json.load(open("target/render-file.json"))["results"]
sm, es = r[0]["median"], r[1]["median"]
print(f"median: secretmask {sm:.3f} s ({size/sm:.0f} MB/s), envsubst {es:.3f} s ({size/es:.0f} MB/s), ratio secretmask/envsubst {sm/es:.2f}x (goal <= 1.0x)")
PY
