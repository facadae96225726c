#!/usr/bin/env python3
"""PyTorch CUDA reference for nw_bench's GPU workloads (native/bench/nw_bench.cpp), run on the
same GPU: sgemm-cuda <n> (torch.mm through cuBLAS) and lenet-cuda, convbn-cuda, charlstm-cuda
(the models and batch shapes of bench/reference/{lenet,convbn,charlstm}.py on synthetic data).
Like nw_bench: 5 warm-up steps, then `steps` timed steps over a pool of 8 batches kept on the
CPU, each copied to the device per step, loss.item() read every step (the app's trainer reports
every step's loss). TF32 is off for matmul and cuDNN, as the engine computes in full float32.
Prints one JSON line per workload; without a CUDA device, {"skipped": why} and exit 0.

usage: torch_reference.py [--device cuda:0] [--steps N] [--repeats R] workload [n]...
e.g.   torch_reference.py sgemm-cuda 4096 lenet-cuda convbn-cuda charlstm-cuda
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from timing import best_seconds  # noqa: E402 - bench/reference/timing.py, shared with the CPU GEMM references

DEFAULT_STEPS = {"lenet-cuda": 300, "convbn-cuda": 200, "charlstm-cuda": 60}
WARMUP = 5


def emit(obj):
    print(json.dumps(obj), flush=True)


def sgemm(torch, device, n, repeats):
    g = torch.Generator().manual_seed(42)
    a = (torch.rand(n, n, generator=g) * 2 - 1).to(device)
    b = (torch.rand(n, n, generator=g) * 2 - 1).to(device)
    c = torch.empty(n, n, device=device)
    torch.mm(a, b, out=c)
    torch.cuda.synchronize(device)
    best = best_seconds(lambda: torch.mm(a, b, out=c), repeats, lambda: torch.cuda.synchronize(device))
    return {"workload": "sgemm-cuda", "n": n, "device": torch.cuda.get_device_name(device), "backend": "cuBLAS via PyTorch",
            "seconds": best, "gflops": 2.0 * n ** 3 / best * 1e-9}


def models(torch):
    nn = torch.nn

    def lenet():
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def convbn():
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(32),
            nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(64),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(96, 64)
            self.lstm = nn.LSTM(64, 256, num_layers=2, batch_first=True)
            self.decoder = nn.Linear(256, 96)

        def forward(self, x):
            out, _ = self.lstm(self.embedding(x))
            return self.decoder(out).permute(0, 2, 1)

    # name: (model, optimizer, clip norm, x shape, x classes (tokens) or 0 (images), y shape, classes, unit, items/step)
    return {
        "lenet-cuda": (lenet, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), 0, (64, 1, 28, 28), 0, (64,), 10, "samples/s", 64),
        "convbn-cuda": (convbn, lambda p: torch.optim.Adam(p, lr=1e-3), 0, (64, 1, 28, 28), 0, (64,), 10, "samples/s", 64),
        "charlstm-cuda": (CharLSTM, lambda p: torch.optim.Adam(p, lr=2e-3), 1.0, (32, 64), 96, (32, 64), 96, "tokens/s", 32 * 64),
    }


def train(torch, device, name, spec, steps):
    make_model, make_opt, clip, x_shape, x_classes, y_shape, classes, unit, items = spec
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(7)
    pool = []
    for _ in range(8):
        x = torch.randint(0, x_classes, x_shape, generator=g) if x_classes else torch.rand(x_shape, generator=g)
        pool.append((x, torch.randint(0, classes, y_shape, generator=g)))
    model = make_model().to(device)
    model.train()
    opt = make_opt(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    first = last = 0.0
    start = time.perf_counter()
    for s in range(WARMUP + steps):
        if s == WARMUP:
            torch.cuda.synchronize(device)
            start = time.perf_counter()
        xb, yb = pool[s % len(pool)]
        x, y = xb.to(device), yb.to(device)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        last = loss.item()
        if s == 0:
            first = last
    torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return {"workload": name, "device": torch.cuda.get_device_name(device), "steps": steps, "unit": unit,
            "per_s": items * steps / seconds, "seconds": seconds, "first_loss": first, "last_loss": last,
            "peak_mib": torch.cuda.max_memory_allocated(device) / 2 ** 20, "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--steps", type=int, default=0, help="timed steps (default per workload)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("args", nargs="+", help="workloads; sgemm-cuda takes its size next (default 4096)")
    opts = ap.parse_args()

    jobs, i = [], 0
    while i < len(opts.args):
        w = opts.args[i]
        if w == "sgemm-cuda":
            n = 4096
            if i + 1 < len(opts.args) and opts.args[i + 1].isdigit():
                n, i = int(opts.args[i + 1]), i + 1
            jobs.append((w, n))
        elif w in DEFAULT_STEPS:
            jobs.append((w, None))
        else:
            ap.error(f"unknown workload {w}")
        i += 1

    try:
        import torch
    except ImportError as e:
        for w, _ in jobs:
            emit({"workload": w, "skipped": f"PyTorch is not installed ({e})"})
        return 0
    if not torch.cuda.is_available():
        for w, _ in jobs:
            emit({"workload": w, "skipped": f"no CUDA device for PyTorch {torch.__version__} (torch.cuda.is_available() is False)"})
        return 0
    device = torch.device(opts.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    specs = models(torch)
    rc = 0
    for w, n in jobs:
        try:
            if w == "sgemm-cuda":
                emit(sgemm(torch, device, n, opts.repeats))
            else:
                emit(train(torch, device, w, specs[w], opts.steps or DEFAULT_STEPS[w]))
        except Exception as e:  # noqa: BLE001 - report and go on with the next workload
            emit({"workload": w, "error": f"{type(e).__name__}: {e}"})
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
