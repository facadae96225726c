# Reference for the lenet-fashion-mnist workload: the notes' LeNet (conv 1→6 k5 padding 2,
# ReLU, max pool 2, conv 6→16 k5, ReLU, max pool 2, flatten, fc 400→120→84→10), SGD
# momentum 0.9 lr 0.05, batch 64, one epoch, shuffled once, in PyTorch. Prints one JSON line.
# Thread count: argv[2] (torch.set_num_threads). convbn.py reuses run().
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def images(root, name):
    x = idx(os.path.join(root, f"{name}-images-idx3-ubyte.gz")).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = idx(os.path.join(root, f"{name}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def run(make_model, make_opt, limit=None):
    root = sys.argv[1]
    threads = int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xtr, ytr = images(root, "train")
    xte, yte = images(root, "t10k")
    if limit is not None:
        xtr, ytr = xtr[:limit], ytr[:limit]
    model = make_model()
    opt = make_opt(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(xtr))
    model.train()
    start = time.perf_counter()
    for s in range(0, len(xtr), 64):
        idx_b = order[s:s + 64]
        x, y = xtr[idx_b], ytr[idx_b]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        acc = sum((model(xte[s:s + 1000]).argmax(1) == yte[s:s + 1000]).sum().item() for s in range(0, len(xte), 1000)) / len(xte)
    print(json.dumps({"samples_per_s": len(xtr) / seconds, "seconds": seconds, "accuracy": acc, "threads": threads,
                      "torch": torch.__version__, "last_loss": loss.item()}))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


if __name__ == "__main__":
    run(lenet, lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9))
