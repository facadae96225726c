# Reference for the charlstm workload: the same char-level LSTM language model, data
# and batch order (bench/charlstm/data.ts), Adam 2e-3, clip_grad_norm_ 1.0, in PyTorch.
# Prints one JSON line (tokens/s after 2 warm-up steps, the loss of every step).
# Usage: charlstm.py <text file> <steps> <threads>
import json
import sys
import time

import torch

VOCAB, BATCH, SEQ = 96, 32, 64


class CharLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, 64)
        self.lstm = torch.nn.LSTM(64, 256, num_layers=2, batch_first=True)
        self.decoder = torch.nn.Linear(256, VOCAB)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))
        return self.decoder(out).permute(0, 2, 1)


def main():
    path, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    raw = open(path, "rb").read()
    codes = torch.tensor([0 if b == 10 else (b - 31 if 32 <= b <= 126 else 1) for b in raw], dtype=torch.int64)
    length = len(codes) // BATCH
    per_epoch = (length - 1) // SEQ
    model = CharLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    base = (torch.arange(BATCH) * length).unsqueeze(1) + torch.arange(SEQ).unsqueeze(0)
    losses = []
    warmup = 2
    start = time.perf_counter()
    for s in range(steps):
        if s == warmup:
            start = time.perf_counter()
        idx = base + (s % per_epoch) * SEQ
        x, y = codes[idx], codes[idx + 1]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(round(loss.item(), 4))
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens_per_s": (steps - warmup) * BATCH * SEQ / seconds, "seconds": seconds, "steps": steps,
                      "losses": losses, "threads": threads, "torch": torch.__version__}))


main()
