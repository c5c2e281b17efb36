#!/usr/bin/env bash
# secretmask lint against `rg -F -c workato:` on a tree of at least 200 MB made by copying the
# real-world corpus; warm cache, median of several runs (hyperfine). Needs ripgrep and hyperfine
# (Debian packages `ripgrep` and `hyperfine`; installed when missing and apt-get is there).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
tree=${TREE:-target/bench-tree}
need_mb=${SIZE_MB:-200}

for tool in rg hyperfine; do
  command -v "$tool" >/dev/null || { apt-get install -y -qq "$([ $tool = rg ] && echo ripgrep || echo hyperfine)" >/dev/null; }
done
cargo build --release --quiet
bin=$PWD/target/release/secretmask

if [ ! -d "$tree" ] || [ "$(du -sm "$tree" | cut -f1)" -lt "$need_mb" ]; then
  rm -rf "$tree"; mkdir -p "$tree"
  corpus_mb=$(du -sm fixtures/corpus/realworld | cut -f1)
  copies=$(( need_mb / corpus_mb + 1 ))
  for i in $(seq 1 "$copies"); do cp -r fixtures/corpus/realworld "$tree/copy-$i"; done
fi
echo "tree: $(du -sh "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files"

hyperfine --warmup 3 --runs "$runs" -N --ignore-failure --export-json target/lint-vs-rg.json \
  "rg -F -c workato: $tree" "$bin lint $tree"
python3 - <<'PY'
import json
r = json.load(open("target/lint-vs-rg.json"))["results"]
rg, sm = r[0]["median"], r[1]["median"]
print(f"median: ripgrep {rg*1000:.1f} ms, secretmask lint {sm*1000:.1f} ms, ratio {sm/rg:.2f}x (goal <= 1.5x)")
PY
