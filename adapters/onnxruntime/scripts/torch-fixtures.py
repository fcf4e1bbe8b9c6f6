"""PyTorch fixtures of @lmo/onnxruntime's training tests.

For each model: the ONNX file as torch.onnx.export writes it (opset 17, training mode, no constant
folding: parameters stay initializers under their PyTorch names), one batch of inputs, and PyTorch
autograd's loss and gradients on that batch. And one run: nanoGPT's GPT (the repository's port of
karpathy's model.py) trained 50 steps with uSCG by the reference Scion (the repository's port of
scion.py, Newton–Schulz in float32) on tiny-shakespeare batches, with its loss at every step.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 adapters/onnxruntime/scripts/torch-fixtures.py [OUT_DIR]

OUT_DIR defaults to adapters/onnxruntime/test/fixtures/torch. Tensors are written as safetensors
(a JSON header and little-endian buffers), with numpy. The MLP is also the model of the docs' examples
(docs/examples/models/mlp.onnx and its state_dict, mlp.safetensors, written with the default OUT_DIR).
"""

import json
import math
import os
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "benchmarks" / "nanogpt" / "torch"))
from model import GPT, GPTConfig  # noqa: E402
from optim import Scion, scion_groups  # noqa: E402
import safetensors_io  # noqa: E402

OPSET = 17
DTYPES = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}


def save_safetensors(path, tensors):
    """tensors: name -> numpy array (float32 or int64)."""
    header, offset, buffers = {}, 0, []
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        buffers.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(buffers))


def export(model, args, path, input_names, output_names):
    torch.onnx.export(
        model,
        args,
        str(path),
        input_names=input_names,
        output_names=output_names,
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.TRAINING,
        do_constant_folding=False,
    )


def grads_of(model):
    return {f"grad:{n}": p.grad.detach().numpy().copy() for n, p in model.named_parameters()}


# ---- an MLP with biases, mean squared error appended by lmo --------------------------------------


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 12)
        self.head = nn.Linear(12, 3)

    def forward(self, x):
        return self.head(torch.tanh(self.fc2(F.relu(self.fc1(x)))))


def mlp_fixture(out):
    torch.manual_seed(1)
    model = MLP()
    x = torch.randn(5, 6)
    targets = torch.randn(5, 3)
    export(model, (x,), out / "model.onnx", ["x"], ["y"])
    y = model(x)
    loss = ((y - targets) ** 2).mean()  # F.mse_loss does not export in 1.13; the same mean of squares
    loss.backward()
    save_safetensors(out / "data.safetensors", {"input:x": x.numpy(), "input:targets": targets.numpy(), "loss": loss.detach().numpy().reshape(()), **grads_of(model)})
    return model


# ---- a CNN: Conv (padding, stride, groups), BatchNorm (inference form), pools, Gemm ------------


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2)
        self.conv3 = nn.Conv2d(8, 6, 2, padding=(1, 0), bias=False)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2, stride=1, padding=1)
        x = F.adaptive_avg_pool2d(torch.sigmoid(self.conv3(x)), 1)
        return self.fc(torch.flatten(x, 1))


def cnn_fixture(out):
    torch.manual_seed(2)
    model = CNN()
    with torch.no_grad():  # running statistics that differ from (0, 1)
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 2.0)
    model.eval()  # BatchNorm in inference form: the running statistics
    x = torch.randn(2, 3, 12, 12)
    labels = torch.tensor([1, 3])
    torch.onnx.export(
        model, (x,), str(out / "model.onnx"), input_names=["image"], output_names=["logits"], opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
    )
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    save_safetensors(out / "data.safetensors", {"input:image": x.numpy(), "input:labels": labels.numpy(), "loss": loss.detach().numpy().reshape(()), **grads_of(model)})


# ---- nanoGPT's GPT, its own loss; and 50 steps of uSCG ------------------------------------------

GPT_CONFIG = GPTConfig(vocab_size=65, block_size=16, n_layer=2, n_head=2, n_embd=32)
BATCH = 4
STEPS = 50
LR = 2**-8


def shakespeare_batches(steps, batch, block, seed):
    """Batches of tiny shakespeare (characters → sorted-vocabulary ids), as nanoGPT draws them."""
    for candidate in (os.environ.get("LMO_DATA"), REPO.parent / "shared" / "data" / "tinyshakespeare.txt"):
        if candidate and Path(candidate).exists():
            text = Path(candidate).read_text()
            break
    else:
        raise SystemExit("tiny shakespeare not found: set LMO_DATA")
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text[:100_000]], dtype=np.int64)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - block - 1, size=(steps, batch))
    x = np.stack([[ids[s : s + block] for s in row] for row in starts])
    y = np.stack([[ids[s + 1 : s + block + 1] for s in row] for row in starts])
    return x, y


def gpt_fixture(out):
    torch.manual_seed(3)
    model = GPT(GPT_CONFIG)
    x, y = shakespeare_batches(STEPS, BATCH, GPT_CONFIG.block_size, seed=4)
    idx, targets = torch.from_numpy(x[0]), torch.from_numpy(y[0])
    export(model, (idx, targets), out / "model.onnx", ["idx", "targets"], ["logits", "loss"])
    _, loss = model(idx, targets)
    loss.backward()
    save_safetensors(out / "data.safetensors", {"input:idx": x[0], "input:targets": y[0], "loss": loss.detach().numpy().reshape(()), **grads_of(model)})

    # 50 steps of uSCG with the reference Scion (float32 Newton–Schulz), from the exported weights.
    model.zero_grad(set_to_none=True)
    optimizer = Scion(scion_groups(model), lr=LR, momentum=0.1, unconstrained=True, ns_dtype=torch.float32)
    losses = []
    for step in range(STEPS):
        _, loss = model(torch.from_numpy(x[step]), torch.from_numpy(y[step]))
        losses.append(loss.item())
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    save_safetensors(out / "batches.safetensors", {"idx": x, "targets": y})
    (out / "uscg-losses.json").write_text(
        json.dumps({"optimizer": "uSCG (reference Scion, unconstrained, float32 Newton–Schulz)", "lr": LR, "momentum": 0.1, "losses": losses}, indent=1) + "\n"
    )


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "test" / "fixtures" / "torch"
    torch.set_num_threads(1)
    made = {}
    for name, make in (("mlp", mlp_fixture), ("cnn", cnn_fixture), ("gpt", gpt_fixture)):
        out = root / name
        out.mkdir(parents=True, exist_ok=True)
        made[name] = make(out)
        print(f"wrote {out}")
    if len(sys.argv) == 1:
        docs_model = REPO / "docs" / "examples" / "models" / "mlp.onnx"
        docs_model.write_bytes((root / "mlp" / "model.onnx").read_bytes())
        safetensors_io.save_file(made["mlp"].state_dict(), docs_model.with_suffix(".safetensors"))  # what the ONNX file was exported from
        print(f"wrote {docs_model} and its state_dict, {docs_model.with_suffix('.safetensors').name}")


if __name__ == "__main__":
    main()
