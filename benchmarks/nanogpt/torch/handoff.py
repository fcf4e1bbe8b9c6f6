"""lmo's handoff bundle on the PyTorch side: a folder with `model.safetensors` and
`optimizer.safetensors`, read into a module + `scion.Scion`/`ScionLight` + `LambdaLR`, and written
back from them. @lmo/core's `encodeTorchHandoff`/`decodeTorchHandoff` are the other side.

model.safetensors       every parameter under its name (`named_parameters()`), PyTorch's layout
optimizer.safetensors   `state.<name>.momentum_buffer` (Scion) or `state.<name>.grad_state` (ScionLight);
                        metadata: "lmo.handoff" ("1"), "optimizer" ("Scion" | "ScionLight"),
                        "param_groups" (scion.py's, parameter names in place of indices),
                        "step" (steps taken = LambdaLR's last_epoch), "schedule" (lmo's ScheduleSpec, if any)

`load` validates everything (names, shapes, dtypes, finite values, the metadata) before it changes
the module, and builds the optimizer through `optimizer.load_state_dict`, the way any PyTorch run
resumes.
"""

import json
import os
import re

import torch

import safetensors_io
from schedules import schedule as schedule_of
from scion import Scion, ScionLight, norm_dict

VERSION = "1"
OPTIMIZERS = {"Scion": (Scion, "momentum_buffer"), "ScionLight": (ScionLight, "grad_state")}
GROUP_KEYS = ("params", "lr", "initial_lr", "momentum", "scale", "unconstrained", "norm", "norm_kwargs", "name")
MODEL, OPTIMIZER = "model.safetensors", "optimizer.safetensors"


class HandoffError(ValueError):
    """A bundle that does not hold a run this module and optimizer can continue."""


def _float_values(t, what, shape):
    if not t.is_floating_point():
        raise HandoffError(f"{what} has dtype {t.dtype}; expected a float")
    if tuple(t.shape) != tuple(shape):
        raise HandoffError(f"{what} has shape {list(t.shape)}; its parameter has {list(shape)}")
    if not bool(torch.isfinite(t).all()):
        raise HandoffError(f"{what} holds non-finite values")
    return t.float()


class Bundle:
    """A bundle read and checked against a module: its weights, optimizer state and metadata."""

    def __init__(self, folder, module):
        self.folder = folder
        named = dict(module.named_parameters())
        weights = safetensors_io.load_file(os.path.join(folder, MODEL))
        with open(os.path.join(folder, OPTIMIZER), "rb") as f:
            raw = f.read()
        buffers = safetensors_io.load(raw)
        meta = safetensors_io.decode(raw)[1]
        if meta.get("lmo.handoff") != VERSION:
            raise HandoffError(f"{OPTIMIZER}: not a handoff bundle of version {VERSION} (its \"lmo.handoff\" is {meta.get('lmo.handoff')!r})")
        if meta.get("optimizer") not in OPTIMIZERS:
            raise HandoffError(f"{OPTIMIZER} holds the state of {meta.get('optimizer')!r}, not of Scion or ScionLight")
        self.optimizer_name = meta["optimizer"]
        if not re.fullmatch(r"0|[1-9][0-9]*", meta.get("step", "")):
            raise HandoffError(f"{OPTIMIZER}: step is {meta.get('step')!r}, expected an integer ≥ 0")
        self.step = int(meta["step"])
        self.schedule_spec = json.loads(meta["schedule"]) if "schedule" in meta else None
        self.groups = json.loads(meta["param_groups"])
        owner = {}
        for i, g in enumerate(self.groups):
            extra = set(g) - set(GROUP_KEYS)
            if extra:
                raise HandoffError(f"{OPTIMIZER}: param_groups[{i}] has the keys {sorted(extra)}, which scion's groups do not have")
            if g.get("norm") not in norm_dict:
                raise HandoffError(f"{OPTIMIZER}: param_groups[{i}] has the norm {g.get('norm')!r}")
            for name in g["params"]:
                if name in owner:
                    raise HandoffError(f"{OPTIMIZER}: parameter {name!r} is in param_groups[{owner[name]}] and [{i}]")
                owner[name] = i
        for name in set(owner) | set(weights) | set(named):
            if name not in named:
                raise HandoffError(f"the bundle has parameter {name!r}, which the module does not")
            if name not in weights:
                raise HandoffError(f"{MODEL} has no tensor {name!r}")
            if name not in owner:
                raise HandoffError(f"{OPTIMIZER}: no param group holds {name!r}")
        key = OPTIMIZERS[self.optimizer_name][1]
        self.weights = {n: _float_values(weights[n], f"{MODEL}: tensor {n!r}", named[n].shape) for n in named}
        self.state = {}
        for tensor_name, t in buffers.items():
            param = tensor_name[len("state.") : -len("." + key)] if tensor_name.startswith("state.") and tensor_name.endswith("." + key) else None
            if param not in owner:
                raise HandoffError(f"{OPTIMIZER} has tensor {tensor_name!r}, not a {self.optimizer_name} state of a parameter")
            self.state[param] = _float_values(t, f"{OPTIMIZER}: tensor {tensor_name!r}", named[param].shape)
        light = self.optimizer_name == "ScionLight"
        for g in self.groups:
            for name in g["params"]:
                if (light or g["momentum"] != 1) and name not in self.state:
                    raise HandoffError(f"{OPTIMIZER} has no tensor 'state.{name}.{key}'")

    def lr_lambda(self):
        """The schedule's factor as a function of the step (constant 1 without a schedule)."""
        return schedule_of(self.schedule_spec) if self.schedule_spec is not None else (lambda t: 1.0)

    def apply(self, module, ns_dtype=torch.bfloat16):
        """Copies the weights into `module` and builds (optimizer, LambdaLR) at the bundle's step."""
        named = dict(module.named_parameters())
        with torch.no_grad():
            for name, w in self.weights.items():
                named[name].copy_(w)
        cls, key = OPTIMIZERS[self.optimizer_name]
        settings = [{"initial_lr": g["lr"], **{k: v for k, v in g.items() if k != "params"}} for g in self.groups]
        groups = [{**s, "params": [named[n] for n in g["params"]]} for s, g in zip(settings, self.groups)]
        optimizer = cls(groups, ns_dtype=ns_dtype)
        order = [n for g in self.groups for n in g["params"]]
        optimizer.load_state_dict(
            {
                "state": {i: {key: self.state[n]} for i, n in enumerate(order) if n in self.state},
                "param_groups": [{**s, "params": [order.index(n) for n in g["params"]]} for s, g in zip(settings, self.groups)],
            }
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self.lr_lambda(), last_epoch=self.step - 1)
        return optimizer, scheduler


def load(folder, module, ns_dtype=torch.bfloat16):
    """Reads and checks the bundle in `folder`, then loads it: (optimizer, scheduler, bundle)."""
    bundle = Bundle(folder, module)
    optimizer, scheduler = bundle.apply(module, ns_dtype)
    return optimizer, scheduler, bundle


def save(folder, module, optimizer, step, schedule_spec=None):
    """Writes `module`'s parameters and `optimizer`'s state (after `step` steps) as a bundle in `folder`."""
    names = {id(p): n for n, p in module.named_parameters()}
    state_dict = optimizer.state_dict()
    light = isinstance(optimizer, ScionLight)
    key = "grad_state" if light else "momentum_buffer"
    order = [p for g in optimizer.param_groups for p in g["params"]]
    buffers, groups = {}, []
    for g, saved in zip(optimizer.param_groups, state_dict["param_groups"]):
        groups.append({**{k: v for k, v in saved.items() if k in GROUP_KEYS}, "params": [names[id(p)] for p in g["params"]]})
        for p, index in zip(g["params"], saved["params"]):
            state = state_dict["state"].get(index, {})
            if key in state:
                buffers[f"state.{names[id(p)]}.{key}"] = state[key].float()
            elif light or g["momentum"] != 1:
                buffers[f"state.{names[id(p)]}.{key}"] = torch.zeros_like(p, dtype=torch.float32)  # no step yet: zeros, as both sides start
    assert len(order) == len(names), "every parameter of the module must be in the optimizer"
    meta = {
        "format": "pt",
        "lmo.handoff": VERSION,
        "optimizer": "ScionLight" if light else "Scion",
        "param_groups": json.dumps(groups),
        "step": str(step),
    }
    if schedule_spec is not None:
        meta["schedule"] = json.dumps(schedule_spec)
    os.makedirs(folder, exist_ok=True)
    weights = {n: p.detach().float() for n, p in module.named_parameters()}
    safetensors_io.save_file(weights, os.path.join(folder, MODEL), {"format": "pt"})
    safetensors_io.save_file(buffers, os.path.join(folder, OPTIMIZER), meta)

