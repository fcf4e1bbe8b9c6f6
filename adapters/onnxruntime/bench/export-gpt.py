"""Exports nanoGPT's GPT (the repository's port of model.py; by default its CPU config: vocab 65,
block 64, 4 layers, 4 heads, width 128) with torch.onnx.export, for the benches that train it
through createOnnxTrainer (bench/train.ts, bench/gpt-memory.ts, the browser's memory experiment).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/export-gpt.py OUT.onnx BATCH [--n-layer 4 --n-head 4 --n-embd 128 --block 64]

Weights are initialized in PyTorch (seed 1) and written as the model's float32 initializers; an
export stays under protobuf's 2 GiB limit up to about 500M parameters.
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks" / "nanogpt" / "torch"))
from model import GPT, GPTConfig  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("batch", type=int)
parser.add_argument("--n-layer", type=int, default=GPTConfig.n_layer)
parser.add_argument("--n-head", type=int, default=GPTConfig.n_head)
parser.add_argument("--n-embd", type=int, default=GPTConfig.n_embd)
parser.add_argument("--block", type=int, default=GPTConfig.block_size)
args = parser.parse_args()
torch.manual_seed(1)
cfg = GPTConfig(n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd, block_size=args.block)
with torch.no_grad():
    model = GPT(cfg)
idx = torch.zeros(args.batch, cfg.block_size, dtype=torch.long)
torch.onnx.export(
    model, (idx, idx), args.out, input_names=["idx", "targets"], output_names=["logits", "loss"],
    opset_version=17, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
)
print(sum(p.numel() for p in model.parameters()))
