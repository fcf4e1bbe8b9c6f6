#!/usr/bin/env python3
"""Loss and gradients of the PyTorch GPT for given weights and one batch (for the parity test).

Usage: parity.py DIR, where DIR holds
  case.json    {"config": {...GPTConfig fields}, "params": [[name, shape], ...], "x": [...], "y": [...], "batch": B}
  params.bin   float32 little-endian, every parameter in the order of "params"
It writes DIR/grads.bin (float32 gradients in the same order) and prints {"loss": ...}.
"""

import json
import os
import sys

import torch

from model import GPT, GPTConfig


def main(folder):
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    model = GPT(GPTConfig(**case["config"]))
    named = dict(model.named_parameters())
    flat = torch.frombuffer(bytearray(open(os.path.join(folder, "params.bin"), "rb").read()), dtype=torch.float32)
    offset = 0
    with torch.no_grad():
        for name, shape in case["params"]:
            size = int(torch.tensor(shape).prod())
            named[name].copy_(flat[offset : offset + size].view(shape))
            offset += size
    if offset != flat.numel() or len(named) != len(case["params"]):
        raise SystemExit(f"parity: {offset} of {flat.numel()} values used for {len(case['params'])} of {len(named)} parameters")
    shape = (case["batch"], -1)
    x = torch.tensor(case["x"], dtype=torch.long).view(shape)
    y = torch.tensor(case["y"], dtype=torch.long).view(shape)
    _, loss = model(x, y)
    loss.backward()
    grads = torch.cat([named[name].grad.reshape(-1) for name, _ in case["params"]])
    with open(os.path.join(folder, "grads.bin"), "wb") as f:
        f.write(grads.numpy().astype("<f4").tobytes())
    print(json.dumps({"loss": loss.item()}))


if __name__ == "__main__":
    main(sys.argv[1])
