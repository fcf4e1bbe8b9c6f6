#!/usr/bin/env bash
# The sweeps behind the docs' tuning page: the lr-transfer sweep across widths and the recipe
# sweep for the main job, stage by stage, in the order they were run (each stage was chosen from
# the results of the ones before it). Every command is resumable: runs already in its results file
# are skipped, so a stage can be re-run after an interruption, and two workers may share a file
# (e.g. `bash benchmarks/nanogpt/scripts/tuning.sh transfer` in two shells).
# Run from the repository root. One onnxruntime thread per run (deterministic per thread count).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export NANOGPT_ORT_THREADS="${NANOGPT_ORT_THREADS:-1}"
bench() { pnpm --silent bench "$@"; }
recipe500() { bench recipe --iters 500 --eval-iters 50 --json benchmarks/nanogpt/results/recipe/recipe-500.jsonl "$@"; }
# the main job's protocol: 2000 iterations, final val loss on 200 batches per split (the curve every 500)
recipe2000() { bench recipe --iters 2000 --eval-iters 200 --eval-every 500 --json benchmarks/nanogpt/results/recipe/recipe-2000.jsonl "$@"; }

case "${1:-}" in
  transfer)
    # widths 64-256 (head dimension 32): Scion and AdamW over their lr grids, extended at an edge
    # that holds the minimum (up to 3 times per side), then 2 more seeds at each width's best lr;
    # width 512 (a Scion run there takes ~50 minutes on a busy 2-core machine) starts from the middle
    # two lrs of each grid and extends only to bracket its minimum, one seed
    bench transfer --optimizers scion,adamw --widths 64,128,256 --max-extend 3 --iters 500 --eval-iters 50 --json benchmarks/nanogpt/results/transfer/transfer-500.jsonl
    bench transfer --optimizers scion,adamw --widths 512 --sparse-widths 512 --extra-seeds 0 --max-extend 3 --iters 500 --eval-iters 50 --json benchmarks/nanogpt/results/transfer/transfer-500.jsonl ;;
  a)
    # the update, the schedule and the lr
    recipe500 --base scion --vary family=scion,uscion --vary schedule=cosine,linear,wsd --vary lr=2^-9,2^-8,2^-7,2^-6 ;;
  b)
    # one key at a time around stage a's best (uSCG, lr 2^-7, linear to zero): momentum and each radius ×½ and ×2
    b=(--base uscion --set lr=2^-7 --set schedule=linear)
    recipe500 "${b[@]}" --vary momentum=0.05,0.2,0.3
    for key in hidden gains positions; do recipe500 "${b[@]}" --vary "$key=1.5,6"; done
    recipe500 "${b[@]}" --vary embedding=90,360 ;;
  c)
    # the main job's length, one seed: uSCG's lr and schedule, and the constrained update with every
    # radius ×k and lr ÷k (the same step γρ as uSCG at 2^-8, the pull towards the ball ÷k), because at
    # 2000 iterations the train/val gap (≈ 0.2 for uSCG) makes regularization matter
    recipe2000 --base uscion --set schedule=linear
    recipe2000 --base scion --set schedule=linear --set lr=2^-9 --set hidden=6 --set gains=6 --set positions=6 --set embedding=360
    recipe2000 --base uscion --vary schedule=linear,wsd --vary lr=2^-8,2^-7
    recipe2000 --base scion --set schedule=linear --set lr=2^-10 --set hidden=12 --set gains=12 --set positions=12 --set embedding=720
    recipe2000 --base uscion --set schedule=linear --set gains=1.5 ;;
  d)
    # one key at a time around stage c's best (uSCG, lr 2^-8, linear to zero), at 2000 iterations
    d=(--base uscion --set schedule=linear)
    for kv in lr=0.0028 warmup=50 momentum=0.2 hidden=4 embedding=240; do recipe2000 "${d[@]}" --set "$kv"; done ;;
  e)
    # the leaders of stages c and d on three seeds (1337 is already in the file)
    recipe2000 --seeds 3 --base uscion --set schedule=linear
    recipe2000 --seeds 3 --base scion --set schedule=linear --set lr=2^-10 --set hidden=12 --set gains=12 --set positions=12 --set embedding=720
    recipe2000 --seeds 3 --base uscion --set schedule=linear --set gains=1.5 ;;
  f)
    # Polar Express against the quintic: at 500 iterations around stage b's best, and on stage e's
    # winner at 2000 (three seeds, as the winner has)
    recipe500 --base uscion --set lr=2^-7 --set schedule=linear --set gains=1.5 --vary ortho=quintic,polar-express
    recipe2000 --seeds 3 --base uscion --set schedule=linear --set gains=1.5 --set ortho=polar-express ;;
  *) echo "usage: tuning.sh transfer|a|b|c|d|e|f" >&2; exit 2 ;;
esac
