"""Exports nanoGPT's GPT (the repository's port of model.py, default CPU config: vocab 65, block 64,
4 layers, 4 heads, width 128) with torch.onnx.export for bench/train.ts.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/export-gpt.py OUT.onnx BATCH
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks" / "nanogpt" / "torch"))
from model import GPT, GPTConfig  # noqa: E402

out, batch = sys.argv[1], int(sys.argv[2])
torch.manual_seed(1)
cfg = GPTConfig()
model = GPT(cfg)
idx = torch.zeros(batch, cfg.block_size, dtype=torch.long)
torch.onnx.export(
    model, (idx, idx), out, input_names=["idx", "targets"], output_names=["logits", "loss"],
    opset_version=17, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
)
