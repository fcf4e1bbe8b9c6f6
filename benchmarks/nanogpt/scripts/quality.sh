#!/usr/bin/env bash
# The quality runs behind the README's table: nanoGPT's default CPU config, 2000 iterations, on the
# onnxruntime backend, three seeds. Results go to benchmarks/nanogpt/results/ (JSON lines + SVG plots beside them).
#   lane a: Scion vs AdamW (--compare), seeds 1338 and 1339 (seed 1337 is benchmarks/nanogpt/results/default-scion-vs-adamw.jsonl)
#   lane b: uSCG seeds 1337-1339, ScionLight seed 1337
#   lane light SEED...: ScionLight for the given seeds (1338 and 1339 complete its three)
#   lane c SEED...: uSCG at lr 2^-7 (the best of the 500-iteration sweep) for the given seeds
#   lane half DTYPE COMPENSATION SEED...: ScionLight with 16-bit storage, e.g. `half bf16 kahan 1337 1338 1339`
# Run from the repository root: `bash benchmarks/nanogpt/scripts/quality.sh a` (and `b`, e.g. in parallel
# with NANOGPT_ORT_THREADS=1 each on a 2-core machine). About 5 minutes per 2000-iteration run here.
set -euo pipefail
cd "$(dirname "$0")/../../.."
run() { pnpm --silent nanogpt --no-progress --sample 200 --force "$@"; }  # --force: regenerate the files
case "${1:-}" in
  a)
    for seed in 1338 1339; do
      run --optimizer scion --seed "$seed" --compare adamw --json "benchmarks/nanogpt/results/scion-vs-adamw-seed$seed.jsonl"
    done ;;
  b)
    for seed in 1337 1338 1339; do
      run --optimizer uscion --seed "$seed" --json "benchmarks/nanogpt/results/uscion-seed$seed.jsonl"
    done
    run --optimizer scionlight --seed 1337 --json benchmarks/nanogpt/results/scionlight-seed1337.jsonl ;;
  light)
    shift
    for seed in "$@"; do
      run --optimizer scionlight --seed "$seed" --json "benchmarks/nanogpt/results/scionlight-seed$seed.jsonl"
    done ;;
  c)
    shift
    for seed in "$@"; do
      run --optimizer uscion --lr 2^-7 --seed "$seed" --json "benchmarks/nanogpt/results/uscion-lr2e-7-seed$seed.jsonl"
    done ;;
  half)
    dtype=$2 compensation=$3
    shift 3
    name=$([ "$compensation" = none ] && echo "$dtype" || echo "$dtype-$compensation")
    for seed in "$@"; do
      run --optimizer scionlight --dtype "$dtype" --compensation "$compensation" --seed "$seed" --json "benchmarks/nanogpt/results/scionlight-$name-seed$seed.jsonl"
    done ;;
  *) echo "usage: quality.sh a|b|c|light SEED... | half DTYPE COMPENSATION SEED..." >&2; exit 2 ;;
esac
