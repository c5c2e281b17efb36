#!/usr/bin/env bash
# The pre-commit hook's shape: `secretmask lint FILE…` on the files a commit stages, against
# `rg -F -c workato:` on the same arguments, alternating (bench/alternate.py): 50 named files,
# 1,000 named files, and the 200 MB tree of bench/lint-vs-rg.sh. Goals (issue 15): 50 files
# <= 10 ms and <= 1.5x ripgrep; 1,000 files <= 1.5x; the tree <= 1.2x.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
tree=${TREE:-target/bench-tree}
need_mb=${SIZE_MB:-200}

command -v rg >/dev/null || apt-get install -y -qq ripgrep >/dev/null
cargo build --release --quiet
bin=$PWD/target/release/secretmask

# Real configuration files, as a commit would stage them.
mapfile -t corpus < <(find fixtures/corpus/realworld -type f | sort)
if [ ! -d "$tree" ] || [ "$(du -sm "$tree" | cut -f1)" -lt "$need_mb" ]; then
  rm -rf "$tree"; mkdir -p "$tree"
  corpus_mb=$(du -sm fixtures/corpus/realworld | cut -f1)
  for i in $(seq 1 $(( need_mb / corpus_mb + 1 ))); do cp -r fixtures/corpus/realworld "$tree/copy-$i"; done
fi
mapfile -t many < <(find "$tree" -type f | sort | head -n 1000)

echo "50 named files ($(cat "${corpus[@]:0:50}" | wc -c) bytes):"
python3 bench/alternate.py "$runs" secretmask ripgrep -- "$bin" lint "${corpus[@]:0:50}" -- rg -F -c workato: "${corpus[@]:0:50}"
echo "1,000 named files ($(cat "${many[@]}" | wc -c) bytes):"
python3 bench/alternate.py "$runs" secretmask ripgrep -- "$bin" lint "${many[@]}" -- rg -F -c workato: "${many[@]}"
echo "the tree ($(du -sh "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files):"
python3 bench/alternate.py "$(( runs / 3 ))" secretmask ripgrep -- "$bin" lint "$tree" -- rg -F -c workato: "$tree"
