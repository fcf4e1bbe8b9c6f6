"""PyTorch's half of torch-roundtrip.test.ts: pretrain a module, export it to ONNX; later, load lmo's fine-tuned weights back.

    python3 torch_roundtrip.py pretrain mlp|gpt|gpt-merged OUT   # OUT/model.onnx, pretrained.safetensors, batches.safetensors
    python3 torch_roundtrip.py check mlp|gpt|gpt-merged OUT      # loads OUT/finetuned.safetensors, prints a JSON report
    python3 torch_roundtrip.py folded mlp|gpt OUT                # OUT/folded.onnx: exported with constant folding

`pretrain` trains the module a few hundred steps with AdamW on a task of its own (the MLP: a fixed
random function, fine-tuned to a nearby one; the GPT, the architecture of the fixtures': sequences of a
fixed random Markov chain), exports it as the ONNX training guide says (opset 17, TrainingMode.PRESERVE,
no constant folding), and writes its state_dict and the batches lmo fine-tunes on (and a held batch);
`gpt-merged` is the GPT untrained and exported with TrainingMode.EVAL, which merges its equal LayerNorm
gains into one initializer. `check` makes the module again, loads the pretrained state_dict (strict: the
module as it was exported), then lmo's file with `load_state_dict(strict=False)`, and reports the
missing and unexpected keys, which keys changed, whether the module now holds the file's values bit for
bit, and the loss on the held batch. Safetensors are read and written with the repository's numpy
reader/writer (benchmarks/nanogpt/torch/safetensors_io.py).
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO / "benchmarks" / "nanogpt" / "torch"))
import safetensors_io  # noqa: E402

_spec = importlib.util.spec_from_file_location("torch_fixtures", REPO / "adapters" / "onnxruntime" / "scripts" / "torch-fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

PRETRAIN_STEPS = 300
FINETUNE_STEPS = 30


def make(kind):
    torch.manual_seed(11)
    return fixtures.MLP() if kind == "mlp" else fixtures.GPT(fixtures.GPT_CONFIG)


def mlp_batches(n):
    """Pretraining batches of one function, then fine-tuning batches of a nearby one."""
    g = torch.Generator().manual_seed(5)
    mix = torch.randn(6, 3, generator=g)
    x = torch.randn(n, 5, 6, generator=g)
    y = torch.tanh(x @ mix)
    y[PRETRAIN_STEPS:] = torch.tanh(x[PRETRAIN_STEPS:] @ (mix + 0.5 * torch.randn(6, 3, generator=g)))
    return x, y


def gpt_batches(n):
    cfg = fixtures.GPT_CONFIG
    rng = np.random.default_rng(6)
    nxt = rng.integers(0, cfg.vocab_size, size=(cfg.vocab_size, 3))  # each token is followed by one of 3
    seq = np.empty((n, fixtures.BATCH, cfg.block_size + 1), dtype=np.int64)
    seq[..., 0] = rng.integers(0, cfg.vocab_size, size=(n, fixtures.BATCH))
    for t in range(cfg.block_size):
        seq[..., t + 1] = nxt[seq[..., t], rng.integers(0, 3, size=(n, fixtures.BATCH))]
    return torch.from_numpy(seq[..., :-1].copy()), torch.from_numpy(seq[..., 1:].copy())


def loss_of(kind, model, a, b):
    if kind == "mlp":
        return ((model(a) - b) ** 2).mean()  # lmo's appended { meanSquaredError: 'y' }
    return model(a, b)[1]


def pretrain(kind, out):
    model = make(kind)
    a, b = (mlp_batches if kind == "mlp" else gpt_batches)(PRETRAIN_STEPS + FINETUNE_STEPS + 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    merged = kind == "gpt-merged"  # untrained, its LayerNorm gains all ones: an EVAL export merges them into one initializer
    for step in range(0 if merged else PRETRAIN_STEPS):
        loss = loss_of(kind, model, a[step], b[step])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    names = (["x"], ["y"]) if kind == "mlp" else (["idx", "targets"], ["logits", "loss"])
    example = (a[0],) if kind == "mlp" else (a[0], b[0])
    torch.onnx.export(
        model, example, str(out / "model.onnx"), input_names=names[0], output_names=names[1], opset_version=17,
        training=torch.onnx.TrainingMode.EVAL if merged else torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
    )
    safetensors_io.save_file(model.state_dict(), out / "pretrained.safetensors")
    rest = slice(PRETRAIN_STEPS, None)  # fine-tuning batches, then the held one
    safetensors_io.save_file({"a": a[rest].contiguous(), "b": b[rest].contiguous()}, out / "batches.safetensors")


def folded(kind, out):
    """The module as exported with constant folding (transposed and sliced weights under made-up names), and its state_dict."""
    model = make(kind)
    a, b = (mlp_batches if kind == "mlp" else gpt_batches)(1)
    names = (["x"], ["y"]) if kind == "mlp" else (["idx", "targets"], ["logits", "loss"])
    torch.onnx.export(
        model, (a[0],) if kind == "mlp" else (a[0], b[0]), str(out / "folded.onnx"), input_names=names[0], output_names=names[1],
        opset_version=17, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True,
    )
    safetensors_io.save_file(model.state_dict(), out / "pretrained.safetensors")


def check(kind, out):
    model = make(kind)
    pretrained = safetensors_io.load_file(out / "pretrained.safetensors")
    model.load_state_dict(pretrained, strict=True)
    finetuned = safetensors_io.load_file(out / "finetuned.safetensors")
    result = model.load_state_dict(finetuned, strict=False)
    state = model.state_dict()
    same = lambda x, y: x.dtype == y.dtype and x.shape == y.shape and bool((x.view(-1).view(torch.int32) == y.view(-1).view(torch.int32)).all())  # noqa: E731
    batches = safetensors_io.load_file(out / "batches.safetensors")
    with torch.no_grad():
        loss = loss_of(kind, model, batches["a"][-1], batches["b"][-1]).item()
    report = {
        "missing": sorted(result.missing_keys),
        "unexpected": sorted(result.unexpected_keys),
        "loaded": all(same(state[k], v) for k, v in finetuned.items()),
        "changed": sorted(k for k in state if not same(state[k], pretrained[k])),
        "loss": loss,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    torch.set_num_threads(1)
    command, kind, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    {"pretrain": pretrain, "folded": folded, "check": check}[command](kind, out)
