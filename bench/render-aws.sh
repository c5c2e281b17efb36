#!/usr/bin/env bash
# Render 1,000 masks over 100 secrets (one region) against moto, and compare with the same
# BatchGetSecretValue calls issued back to back by boto3 against the same server: the
# server-bound baseline. Reports the calls secretmask made (moto's own recorder counts them) and
# the wall times (hyperfine medians; boto3 is timed around its calls only, not its import).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
venv=target/test-venv
[ -x "$venv/bin/moto_server" ] || { echo "run scripts/test once first: it installs moto into $venv" >&2; exit 1; }
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release --quiet
bin=$PWD/target/release/secretmask
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && MOTO_ENABLE_RECORDING=1 MOTO_RECORDER_FILEPATH="$work/recording.jsonl" \
  exec "$OLDPWD/$venv/bin/moto_server" -H 127.0.0.1 -p "$port") >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null; rm -rf "$work"' EXIT
endpoint=http://127.0.0.1:$port
for _ in $(seq 1 150); do curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null && break; sleep 0.2; done
export AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true

"$venv/bin/python" - "$work" "$endpoint" <<'PY'
import json, sys, boto3
work, endpoint = sys.argv[1:]
c = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1")
arns = []
for s in range(100):
    value = {f"k{k}": f"value-{s}-{k}" for k in range(10)}
    arns.append(c.create_secret(Name=f"bench/s{s}", SecretString=json.dumps(value))["ARN"])
with open(f"{work}/app.yaml.tpl", "w") as f:
    for s, arn in enumerate(arns):
        for k in range(10):
            f.write(f"s{s}k{k}: {{{{workato:sm:k{k}:{arn}}}}}\n")
json.dump(arns, open(f"{work}/arns.json", "w"))
PY

cat >"$work/baseline.py" <<'PY'
# The server-bound baseline: the same five BatchGetSecretValue calls, back to back.
import json, sys, time, boto3
work = sys.argv[1]
arns = json.load(open(f"{work}/arns.json"))
c = boto3.client("secretsmanager", region_name="us-east-1")
start = time.perf_counter()
for i in range(0, len(arns), 20):
    c.batch_get_secret_value(SecretIdList=arns[i:i + 20])
print(f"{(time.perf_counter() - start) * 1000:.1f}")
PY

count_calls() {
  curl -fsS -X POST "$endpoint/moto-api/recorder/reset-recording" >/dev/null
  "$bin" render "$work/app.yaml.tpl" >/dev/null
  local batch get
  batch=$(grep -c 'secretsmanager.BatchGetSecretValue' "$work/recording.jsonl" || true)
  get=$(grep -c 'secretsmanager.GetSecretValue' "$work/recording.jsonl" || true)
  echo "calls per render (moto's recorder): BatchGetSecretValue=$batch GetSecretValue=$get (goal: ceil(100/20) = 5)"
}
count_calls
curl -fsS -X POST "$endpoint/moto-api/recorder/stop-recording" >/dev/null

hyperfine --runs "$runs" --warmup 2 --export-json "$work/render.json" \
  -n secretmask "$bin render $work/app.yaml.tpl" >/dev/null
render_ms=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['results'][0]['median'] * 1000, 1))" "$work/render.json")
baseline=()
for _ in $(seq 1 "$runs"); do baseline+=("$("$venv/bin/python" "$work/baseline.py" "$work")"); done
baseline_ms=$(printf '%s\n' "${baseline[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "secretmask render, whole process (median of $runs): ${render_ms} ms"
echo "boto3, the same 5 calls back to back (median of $runs): ${baseline_ms} ms"
python3 -c "import sys; print(f'ratio: {float(sys.argv[1]) / float(sys.argv[2]):.2f}x (goal <= 1.2x)')" "$render_ms" "$baseline_ms"
