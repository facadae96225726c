# Reference for the convbn-fashion-mnist workload: Conv 1→32 k3 p1, MaxPool 2, ReLU,
# BatchNorm2d; Conv 32→64 k3 p1, MaxPool 2, ReLU, BatchNorm2d; Flatten; Linear 3136→128,
# ReLU, Dropout 0.25, Linear 128→10; Adam 1e-3, batch 64, the first 20,000 training images.
# Prints one JSON line. Thread count: argv[2].
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lenet import run  # noqa: E402


def convbn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(32),
        nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(64),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


if __name__ == "__main__":
    run(convbn, lambda params: torch.optim.Adam(params, lr=1e-3), limit=20000)
