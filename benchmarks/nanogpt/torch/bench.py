#!/usr/bin/env python3
"""Times nanoGPT's training step in PyTorch eager, part by part, and prints JSON lines.

Parts (each: `warmup` untimed runs, then `iters` timed ones; wall and process-CPU milliseconds,
median, p10, p90 and mean):
  fwd_bwd                    zero_grad(set_to_none) + forward + backward of a fresh batch
  step, adamw                clip_grad_norm_(1.0) + AdamW step (nanoGPT's), on fixed gradients
  step, scion (bf16 / fp32)  Scion step, Newton–Schulz in bfloat16 (the reference's) or fp32
  iteration, <optimizer>     forward + backward + step, a fresh model per optimizer
  gemm                       Scion's Newton–Schulz products alone, per matrix shape and all together

The first line says which BLAS torch runs on (from the libraries mapped into this process).
Without torch it prints one {"kind": "skip"} line and exits 0. `pnpm bench torch` runs this
next to lmo's backends; the quantiles here are computed the same way there.
"""

import argparse
import json
import math
import os
import re
import resource
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch, OpenMP and BLAS threads")
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--vocab-size", type=int, default=65)
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=12)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--ns-dtypes", default="bf16,fp32", help="Newton–Schulz precisions to time Scion with")
    p.add_argument(
        "--omp-wait-policy",
        default="passive",
        choices=["passive", "active", "default"],
        help="OMP_WAIT_POLICY (default passive: spinning OpenMP workers starve a pthread OpenBLAS)",
    )
    args = p.parse_args(argv)
    for name in ("threads", "iters", "vocab_size", "block_size", "n_layer", "n_head", "n_embd", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be an integer ≥ 1, got {getattr(args, name)}")
    if args.warmup < 0:
        p.error(f"--warmup must be an integer ≥ 0, got {args.warmup}")
    args.ns_dtypes = [d.strip() for d in args.ns_dtypes.split(",") if d.strip()]
    for d in args.ns_dtypes:
        if d not in ("bf16", "fp32"):
            p.error(f'--ns-dtypes: expected bf16 and/or fp32, got "{d}"')
    return args


def emit(record):
    print(json.dumps({"side": "torch", **record}), flush=True)


# ---- statistics (the same definitions as the TypeScript side's) --------------------------------


def quantile(xs, q):
    """Linear interpolation between order statistics at position (n − 1)·q."""
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(xs):
    return {"median": quantile(xs, 0.5), "p10": quantile(xs, 0.1), "p90": quantile(xs, 0.9), "mean": sum(xs) / len(xs)}


def sample(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(iters):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return {"n": iters, "wall_ms": summary(wall), "cpu_ms": summary(cpu)}


# ---- which BLAS -------------------------------------------------------------------------------


def blas_in_use():
    """(kind, path) of the BLAS library mapped into this process (Linux /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if ".so" in line})
    except OSError:
        return "unknown", None
    for kind, marker in (("openblas", "openblas"), ("mkl", "libmkl"), ("blis", "blis"), ("atlas", "atlas")):
        hits = [lib for lib in libs if marker in os.path.basename(lib)]
        if hits:
            return kind, hits[0]
    reference = [lib for lib in libs if "/blas/libblas.so" in lib]
    if reference:
        return "reference", reference[0]
    return "unknown", None


def matmul_gflops(torch, n=256, reps=20):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / (sample(lambda: a @ b, reps, 3)["wall_ms"]["median"] * 1e6)


# ---- the benchmark ----------------------------------------------------------------------------


def main(argv):
    args = parse_args(argv)
    # Before torch (and its BLAS and OpenMP runtimes) load: one thread count everywhere.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    try:
        import torch
    except ImportError as e:
        emit({"kind": "skip", "reason": f"torch is not installed for {sys.executable} ({e})"})
        return 0

    import gemm
    from model import GPT, GPTConfig
    from optim import clipped_step, nanogpt_adamw, nanogpt_scion, scion_groups

    torch.set_num_threads(args.threads)
    cfg = GPTConfig(args.vocab_size, args.block_size, args.n_layer, args.n_head, args.n_embd)
    blas, blas_path = blas_in_use()
    emit(
        {
            "kind": "env",
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "threads": torch.get_num_threads(),
            "blas": blas,
            "blas_library": blas_path,
            # Debian builds against the generic libblas.so.3 interface ("generic" here); which library
            # answers it is the system's choice, hence the check of the mapped libraries above.
            "build_blas_info": (re.findall(r"BLAS_INFO=(\w+)", torch.__config__.show()) or [None])[0],
            "matmul_256_gflops": round(matmul_gflops(torch), 1),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "adamw": "torch.optim.AdamW, single-tensor loop (nanoGPT on a CPU: no fused, foreach unset)",
            "config": vars(cfg) | {"batch_size": args.batch_size},
            "iters": args.iters,
            "warmup": args.warmup,
        }
    )

    gen = torch.Generator().manual_seed(args.seed)
    batches = [
        torch.randint(0, cfg.vocab_size, (2, args.batch_size, cfg.block_size), generator=gen)
        for _ in range(args.iters + args.warmup)
    ]
    state = {"i": 0}

    def next_batch():
        b = batches[state["i"] % len(batches)]
        state["i"] += 1
        return b[0], b[1]

    def fresh_model():
        torch.manual_seed(args.seed)
        return GPT(cfg)

    def fwd_bwd(model):
        model.zero_grad(set_to_none=True)
        _, loss = model(*next_batch())
        loss.backward()

    dtypes = {"bf16": torch.bfloat16, "fp32": torch.float32}
    optimizers = [("adamw", None)] + [("scion", d) for d in args.ns_dtypes]

    def make(model, name, ns_dtype):
        if name == "adamw":
            opt = nanogpt_adamw(model)
            return lambda: clipped_step(model, opt)
        return nanogpt_scion(model, dtypes[ns_dtype]).step

    def label(name, ns_dtype):
        return {"optimizer": name} | ({"ns_dtype": ns_dtype} if ns_dtype else {})

    model = fresh_model()
    emit({"kind": "part", "part": "fwd_bwd"} | sample(lambda: fwd_bwd(model), args.iters, args.warmup))

    for name, ns_dtype in optimizers:
        model = fresh_model()
        fwd_bwd(model)
        emit({"kind": "part", "part": "step"} | label(name, ns_dtype) | sample(make(model, name, ns_dtype), args.iters, args.warmup))

    for name, ns_dtype in optimizers:
        model = fresh_model()
        step = make(model, name, ns_dtype)

        def iteration():
            fwd_bwd(model)
            step()

        emit({"kind": "part", "part": "iteration"} | label(name, ns_dtype) | sample(iteration, args.iters, args.warmup))

    model = fresh_model()
    matrices = scion_groups(model)[-1]["params"]
    by_shape = {}
    for p in matrices:
        by_shape.setdefault(tuple(p.shape), []).append(tuple(p.shape))
    groups = [(list(s), shapes) for s, shapes in by_shape.items()] + [("all", [tuple(p.shape) for p in matrices])]
    for shape, shapes in groups:
        xs = gemm.workload(shapes, torch.float32, args.seed)
        flops = sum(gemm.ns_flops(r, c) for r, c in shapes)
        timed = sample(lambda: gemm.ns_gemms(xs), args.iters, args.warmup)
        emit(
            {"kind": "gemm", "dtype": "fp32", "shape": shape, "count": len(shapes), "gflop": flops / 1e9}
            | timed
            | {"gflops_per_s": flops / (timed["wall_ms"]["median"] * 1e6)}
        )

    emit({"kind": "memory", "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
