#!/usr/bin/env bash
# `secretmask inventory` against `secretmask lint` on the same tree (at least 100 MB: copies of
# the real-world corpus, plus 200 files of masks so the inventory has secrets to group), run
# alternately (A B A B …) in one process; medians, spread and the ratio per pair (goal <= 1.1x).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
tree=${TREE:-target/bench-inventory}
need_mb=${SIZE_MB:-100}
cargo build --release --quiet
bin=$PWD/target/release/secretmask

if [ ! -d "$tree" ] || [ "$(du -sm "$tree" | cut -f1)" -lt "$need_mb" ]; then
  rm -rf "$tree"; mkdir -p "$tree/masked"
  corpus_mb=$(du -sm fixtures/corpus/realworld | cut -f1)
  copies=$(( need_mb / corpus_mb + 1 ))
  for i in $(seq 1 "$copies"); do cp -r fixtures/corpus/realworld "$tree/copy-$i"; done
  python3 - "$tree/masked" <<'PY'
import sys
folder = sys.argv[1]
for f in range(200):
    with open(f"{folder}/app-{f}.yaml", "w") as out:
        for m in range(50):
            s = (f * 50 + m) % 1000
            out.write(f"k{m}: \"{{{{workato:vault:password:kv/app/s{s}?version={1 + m % 3}}}}}\"\n")
PY
fi
echo "tree: $(du -sh "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files, 10000 masks over 1000 secrets"
python3 bench/alternate.py "$runs" inventory lint -- \
  "$bin" inventory "$tree" --format json -- \
  "$bin" lint "$tree"
