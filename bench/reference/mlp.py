# Reference for the mlp-fashion-mnist workload: the same MLP, data, batch order
# policy (shuffled once per epoch), Adam 1e-3, batch 64, one epoch, in PyTorch.
# Prints one JSON line. Thread count: argv[2] (torch.set_num_threads).
import gzip
import json
import os
import sys
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    root = sys.argv[1]
    threads = int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xtr = torch.from_numpy(idx(os.path.join(root, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
    ytr = torch.from_numpy(idx(os.path.join(root, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = torch.from_numpy(idx(os.path.join(root, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
    yte = torch.from_numpy(idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(xtr))
    start = time.perf_counter()
    for s in range(0, len(xtr), 64):
        idx_b = order[s:s + 64]
        x, y = xtr[idx_b], ytr[idx_b]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(json.dumps({"samples_per_s": len(xtr) / seconds, "seconds": seconds, "accuracy": acc, "threads": threads,
                      "torch": torch.__version__, "last_loss": loss.item()}))


main()
