#!/usr/bin/env bash
# The measured peaks behind the memory estimate that `pnpm nanogpt` checks a run against before it
# starts (src/run/size-check.ts): one training iteration and one evaluation per model shape and
# backend, the process's peak resident memory over the whole run (GNU time's maximum resident set
# size of the CLI's process, its checkpoints included), one JSON line each in
# benchmarks/nanogpt/results/memory-peaks.jsonl (with the vocabulary: tiny shakespeare's 65, or a
# 20,000-character corpus this script writes to bring out the logits). The largest shapes peak near
# 4.5 GB. Run from the repository root: `bash benchmarks/nanogpt/scripts/memory.sh [BACKEND...]`
# (default: onnxruntime reference tfjs-wasm tfjs-cpu); lines for the backends run are replaced.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=benchmarks/nanogpt/results/memory-peaks.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node -e '
  const chars = Array.from({ length: 20000 }, (_, i) => String.fromCodePoint(0x4e00 + i));
  let s = chars.join(""), x = 1;
  for (let i = 0; i < 180000; i++) { x = (x * 48271) % 2147483647; s += chars[x % 20000]; }
  require("fs").writeFileSync(process.argv[1], s);
' "$tmp/vocab20000.txt"
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(onnxruntime reference tfjs-wasm tfjs-cpu)
touch "$out"
for b in "${backends[@]}"; do grep -v "\"backend\":\"$b\"" "$out" > "$tmp/kept" || true; cp "$tmp/kept" "$out"; done
# n_layer n_head n_embd block_size batch_size corpus
shapes=(
  "1 4 128 512 1 shakespeare" "1 4 128 1024 1 shakespeare" "1 4 128 2048 1 shakespeare" "1 4 128 4096 1 shakespeare"
  "1 4 128 6144 1 shakespeare" "4 4 128 64 12 shakespeare" "4 4 128 256 12 shakespeare" "4 4 128 512 12 shakespeare"
  "2 4 256 1024 4 shakespeare" "6 6 384 256 8 shakespeare" "8 8 512 64 4 shakespeare" "2 12 768 32 2 shakespeare"
  "2 4 128 64 128 shakespeare" "1 8 128 2048 1 shakespeare" "3 4 128 2048 1 shakespeare" "4 4 128 1024 2 shakespeare"
  "1 4 64 64 32 vocab20000" "2 4 64 128 32 vocab20000" "2 2 32 64 8 shakespeare"
)
# tfjs keeps every intermediate tensor of the step: fewer, smaller shapes
tfjs_shapes=("1 4 128 1024 1 shakespeare" "1 4 128 2048 1 shakespeare" "4 4 128 256 12 shakespeare" "4 4 128 64 12 shakespeare")
for b in "${backends[@]}"; do
  list=("${shapes[@]}")
  case "$b" in tfjs-*) list=("${tfjs_shapes[@]}") ;; esac
  for shape in "${list[@]}"; do
    read -r L H C T B corpus <<< "$shape"
    data=()
    [ "$corpus" = vocab20000 ] && data=(--data "$tmp/vocab20000.txt")
    /usr/bin/time -f %M -o "$tmp/kib" node benchmarks/nanogpt/bin/nanogpt.mjs --backend "$b" --n-layer "$L" --n-head "$H" --n-embd "$C" \
      --block-size "$T" --batch-size "$B" --iters 1 --eval-every 1 --eval-iters 1 --save-every 0 --sample 0 --no-progress \
      "${data[@]}" --out "$tmp/run" --force > /dev/null
    vocab=$([ "$corpus" = vocab20000 ] && echo 20000 || echo 65)
    printf '{"backend":"%s","n_layer":%d,"n_head":%d,"n_embd":%d,"block_size":%d,"batch_size":%d,"vocab":%d,"peak_rss_mb":%.1f}\n' \
      "$b" "$L" "$H" "$C" "$T" "$B" "$vocab" "$(awk '{ print $1 / 1024 }' "$tmp/kib" | tail -1)" >> "$out"
  done
done
