#!/usr/bin/python3
"""The time of one PyTorch training step (forward, batch-hard triplet loss, backward, Adam) of a facekit architecture: the peer of bench/bench_train."""
# Usage: /usr/bin/python3 tools/torch_train_step.py [--arch small-cnn|STRING] [--batch 64] [--threads 1] [--runs 10] [--size 64]
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from gen_train_fixtures import parse_arch  # noqa: E402

ARCHS = {
    "small-cnn": "conv:16:3:1:1,bn,relu,max:2:2,conv:32:3:1:1,bn,relu,max:2:2,conv:64:3:1:1,bn,relu,max:2:2,"
                 "conv:128:3:1:1,bn,relu,gap,fc:128,l2",
    "deepface-lc": "conv:32:3:1:1,bn,relu,max:2:2,conv:32:3:1:1,bn,relu,max:2:2,lc:32:3,relu,lc:32:3:2,relu,"
                   "flatten,fc:128,l2",
}


class LC(torch.nn.Module):
    def __init__(self, L):
        super().__init__()
        self.L = L
        n = L["oh"] * L["ow"]
        self.w = torch.nn.Parameter(torch.randn(n, L["co"], L["c"] * L["k"] ** 2) * 0.05)
        self.b = torch.nn.Parameter(torch.zeros(n, L["co"]))

    def forward(self, t):
        L = self.L
        cols = F.unfold(t, L["k"], padding=L["p"], stride=L["s"])
        y = torch.einsum("lok,nkl->nol", self.w, cols) + self.b.t()[None]
        return y.reshape(t.shape[0], L["co"], L["oh"], L["ow"])


class Net(torch.nn.Module):
    def __init__(self, arch, size):
        super().__init__()
        self.layers = parse_arch(arch, size, size, 3)
        mods = []
        for L in self.layers:
            k = L["kind"]
            if k == "conv":
                mods.append(torch.nn.Conv2d(L["c"], L["co"], L["k"], L["s"], L["p"]))
            elif k == "bn":
                mods.append(torch.nn.BatchNorm2d(L["c"]))
            elif k == "relu":
                mods.append(torch.nn.ReLU())
            elif k == "prelu":
                mods.append(torch.nn.PReLU(L["c"]))
            elif k == "max":
                mods.append(torch.nn.MaxPool2d(L["k"], L["s"], L["p"]))
            elif k == "gap":
                mods.append(torch.nn.AdaptiveAvgPool2d(1))
            elif k == "fc":
                mods.append(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(L["k_in"], L["wshape"][0])))
            elif k == "lc":
                mods.append(LC(L))
            elif k == "flatten":
                mods.append(torch.nn.Flatten())
            elif k == "l2":
                mods.append(None)
            else:
                raise ValueError(k)
        self.mods = torch.nn.ModuleList([m for m in mods if m is not None])
        self.l2 = self.layers[-1]["kind"] == "l2"

    def forward(self, x):
        for m in self.mods:
            x = m(x)
        x = x.flatten(1)
        return F.normalize(x, dim=1) if self.l2 else x


def batch_hard(e, y, margin=0.2):
    d = torch.cdist(e, e) ** 2
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool)
    pos = torch.where(same & ~eye, d, torch.full_like(d, -1)).max(1).values
    neg = torch.where(~same, d, torch.full_like(d, float("inf"))).min(1).values
    return F.relu(pos - neg + margin).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="small-cnn")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = Net(ARCHS.get(a.arch, a.arch), a.size)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1
    y = torch.arange(a.batch) % (a.batch // 4)
    times = []
    for r in range(a.runs + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = batch_hard(net(x), y)
        loss.backward()
        opt.step()
        times.append((time.perf_counter() - t0) * 1e3)
    t = sorted(times[2:])
    print(json.dumps(dict(arch=a.arch, input=a.size, batch=a.batch, threads=a.threads, runs=a.runs,
                          step_ms_median=round(t[len(t) // 2], 2), step_ms_min=round(t[0], 2),
                          torch=torch.__version__)))


if __name__ == "__main__":
    main()
