#!/usr/bin/env python3
"""Continues a nanoGPT run handed over from lmo: loads the bundle into `model.py` + `scion.py`,
trains with the same batches and schedule, and writes a bundle that `pnpm nanogpt --resume` takes.

    python3 torch/train_handoff.py BUNDLE --out OUT [--iters N] [--log FILE.jsonl]
    torchrun --nproc_per_node 2 torch/train_handoff.py BUNDLE --out OUT ...   (DDP on the CPU, gloo)

(Debian's torch 1.13 under Python 3.11: give torchrun `--redirects 1 --tee 1`, whose defaults its
argument parser cannot read there.)

BUNDLE is a folder with model.safetensors, optimizer.safetensors (see handoff.py) and nanogpt.json
(the run: model config, seed, batch size, iterations, evaluation settings, the evaluations so far).
Each iteration draws the run's next batch (lmo's generator and sampler, handed-over steps skipped);
under DistributedDataParallel each of the W processes takes rows [r·B/W, (r+1)·B/W) of it, so the
averaged gradient is the full batch's. Evaluations are nanoGPT's (every `eval_every` iterations and
at the last, `eval_iters` batches of each split from the fixed evaluation stream). The Newton–Schulz
of the spectral norms runs in float32 as in lmo (`--ns-dtype bfloat16` for the reference's).
"""

import argparse
import hashlib
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import handoff
from lmo_data import BatchSampler, CharDataset, batch_seeds
from model import GPT, GPTConfig

RUN = "nanogpt.json"


def corpus_path(given, run):
    """--data, else where the bundle says the corpus was (when it is there), else $LMO_DATA, else beside the checkout."""
    if given:
        return given
    recorded = run.get("data", {}).get("path")
    if recorded and os.path.exists(recorded):
        return recorded
    if os.environ.get("LMO_DATA"):
        return os.environ["LMO_DATA"]
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "..", "shared", "data", "tinyshakespeare.txt"))


class Trainer:
    def __init__(self, args):
        self.rank, self.world = 0, 1
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            dist.init_process_group("gloo")
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
        torch.set_num_threads(args.threads or (1 if self.world > 1 else torch.get_num_threads()))
        with open(os.path.join(args.bundle, RUN)) as f:
            self.run = json.load(f)
        if self.run.get("format") != "lmo-nanogpt-handoff" or self.run.get("version") != 1:
            raise SystemExit(f"{args.bundle}/{RUN} is not a nanoGPT handoff of version 1")
        path = corpus_path(args.data, self.run)
        with open(path, "rb") as f:
            raw = f.read()
        expected = self.run.get("data", {}).get("sha256")
        if expected is not None and hashlib.sha256(raw).hexdigest() != expected:
            raise SystemExit(f"{path} is not the corpus this run trained on (its sha256 differs from {RUN}'s)")
        self.data = CharDataset(raw.decode("utf-8", errors="replace"))
        self.model = GPT(GPTConfig(**self.run["config"]))
        ns_dtype = torch.float32 if args.ns_dtype == "float32" else torch.bfloat16
        self.optimizer, self.scheduler, self.bundle = handoff.load(args.bundle, self.model, ns_dtype)
        self.light = self.bundle.optimizer_name == "ScionLight"
        self.step = self.bundle.step
        self.net = self.model
        if self.world > 1:
            # The causal masks are the same everywhere, and gloo cannot broadcast bool tensors.
            masks = [name for name, b in self.model.named_buffers() if b.dtype == torch.bool]
            DDP._set_params_and_buffers_to_ignore_for_model(self.model, masks)
            self.net = DDP(self.model)
        self.batch_size = self.run["batch_size"]
        if self.batch_size % self.world:
            raise SystemExit(f"batch size {self.batch_size} does not split over {self.world} processes")
        self.log = open(args.log, "a") if args.log and self.rank == 0 else None

    def rows(self, t):
        n = self.batch_size // self.world
        return t[self.rank * n : (self.rank + 1) * n]

    def mean(self, value):
        """The mean over processes of each one's mean over its rows: the full batch's mean."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(t)
        return t.item() / self.world

    def emit(self, record):
        if self.log is not None:
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()

    def say(self, line):
        """A progress line on the first process's stdout."""
        if self.rank == 0:
            print(line, flush=True)

    @torch.no_grad()
    def estimate_loss(self):
        out = {}
        for split in ("train", "val"):
            sampler = BatchSampler(getattr(self.data, split), self.batch_size, self.model.cfg.block_size, batch_seeds(self.run["seed"])["eval"])
            total = 0.0
            for _ in range(self.run["eval_iters"]):
                x, y = sampler.next()
                total += self.model(self.rows(x), self.rows(y))[1].item()
            out[split] = self.mean(total / self.run["eval_iters"])
        return out

    def train(self, iters, save_at, save_to):
        sampler = BatchSampler(self.data.train, self.batch_size, self.model.cfg.block_size, batch_seeds(self.run["seed"])["train"])
        sampler.skip(self.step)
        evals = [e for e in self.run.get("evals", []) if e["iter"] < self.step]
        since, count = 0.0, 0
        while True:
            if self.step == save_at and save_to:
                self.save(save_to, evals)
            if self.step % self.run["eval_every"] == 0 or self.step == iters:
                losses = self.estimate_loss()
                record = {"iter": self.step, "train_loss": losses["train"], "val_loss": losses["val"], "lr": self.lr(), "ms_per_iter": since / count if count else 0}
                evals.append(record)
                self.emit({"kind": "eval", **record})
                self.say(f"step {self.step}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}, lr {record['lr']:.3e}")
                since, count = 0.0, 0
            if self.step == iters:
                return evals
            lr = self.lr()
            t0 = time.perf_counter()
            x, y = sampler.next()
            if not self.light:
                self.optimizer.zero_grad(set_to_none=True)
            loss = self.net(self.rows(x), self.rows(y))[1]
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            since += (time.perf_counter() - t0) * 1000
            count += 1
            mean = self.mean(loss.item())
            self.emit({"kind": "iter", "iter": self.step, "loss": mean, "lr": lr})
            self.step += 1
            if self.step % 50 == 0:
                self.say(f"iter {self.step}/{iters}: loss {mean:.4f}, lr {lr:.3e}")

    def lr(self):
        return self.optimizer.param_groups[0]["lr"]

    def save(self, folder, evals):
        if self.rank == 0:
            handoff.save(folder, self.model, self.optimizer, self.step, self.bundle.schedule_spec)
            with open(os.path.join(folder, RUN), "w") as f:
                json.dump({**self.run, "evals": evals}, f, indent=2)
        if self.world > 1:
            dist.barrier()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", help="the bundle folder to continue from")
    p.add_argument("--out", required=True, help="where to write the bundle at the end")
    p.add_argument("--iters", type=int, help="train up to this iteration (default: the run's)")
    p.add_argument("--save-at", type=int, help="also write a bundle when this many steps are done ...")
    p.add_argument("--save-to", help="... into this folder")
    p.add_argument("--data", help="the corpus (default: where nanogpt.json says it was, else $LMO_DATA, else ../shared/data/tinyshakespeare.txt beside the checkout)")
    p.add_argument("--log", help="append one JSON line per iteration and per evaluation to this file")
    p.add_argument("--ns-dtype", choices=["float32", "bfloat16"], default="float32", help="Newton–Schulz dtype (default float32, as lmo)")
    p.add_argument("--threads", type=int, help="torch threads per process (default: 1 under DDP)")
    args = p.parse_args(argv)
    trainer = Trainer(args)
    iters = args.iters if args.iters is not None else trainer.run["iters"]
    if not trainer.step <= iters:
        raise SystemExit(f"the bundle is at step {trainer.step}, past --iters {iters}")
    where = f"{trainer.world} processes (DDP)" if trainer.world > 1 else "one process"
    trainer.say(f"train_handoff: {args.bundle} at step {trainer.step} of {trainer.run['iters']} ({trainer.run['optimizer']}, {trainer.bundle.optimizer_name}), to step {iters} on {where}")
    evals = trainer.train(iters, args.save_at, args.save_to)
    trainer.save(args.out, evals)
    trainer.say(f"bundle at step {trainer.step}: {args.out} (model.safetensors, optimizer.safetensors, {RUN}); continue in lmo: pnpm nanogpt --resume {args.out}")
    if trainer.world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
