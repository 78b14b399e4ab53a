#!/usr/bin/python3
"""Writes tests/train/fixtures/*.json: small nets, batches and weights, with the loss and gradients PyTorch computes."""
# Usage: /usr/bin/python3 tools/gen_train_fixtures.py [OUT_DIR]   (Debian's python3-torch 1.13)
#
# Each fixture holds a facekit architecture string, an NHWC batch, labels, every parameter in
# facekit's layout (see facekit/train.h, fk_tnet_layer_info) and, for the classification losses,
# the class matrix; then what PyTorch computes from exactly those numbers in float32: the loss, its
# gradient for every parameter (mapped back to facekit's layout) and for the class matrix, and the
# parameters after one SGD step and one Adam step. The net is rebuilt here from torch.nn.functional
# ops, and each loss is written from its definition in facekit/train.h with torch autograd doing
# the differentiation, so the C code is checked against an independent derivation.
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
MASK = (1 << 64) - 1


def splitmix(state):
    """facekit's fk__tr_splitmix: returns (new_state, value)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def parse_arch(arch, h, w, c):
    """The layers with their shapes and parameter counts, as net.c lays them out."""
    layers, skips = [], []
    for txt in arch.split(","):
        name, *args = txt.split(":")
        L = dict(kind=name, h=h, w=w, c=c)
        if name == "skip":
            skips.append((h, w, c))
        elif name == "add":
            assert skips.pop() == (h, w, c)
        elif name == "cat":
            sh, sw, sc = skips.pop()
            assert (sh, sw) == (h, w)
            c += sc
        if name == "fc":
            m = int(args[0])
            L.update(k_in=h * w * c, wshape=(m, h * w * c), bshape=(m,))
            h, w, c = 1, 1, m
        elif name in ("conv", "lc", "dw", "max", "avg"):
            a = [int(v) for v in args]
            co, g = (a[0], a[1:]) if name in ("conv", "lc") else (c, a)
            k, s, p = g[0], (g[1] if len(g) > 1 else 1), (g[2] if len(g) > 2 else 0)
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            L.update(k=k, s=s, p=p, co=co, oh=oh, ow=ow)
            if name == "conv":
                L.update(wshape=(co, k, k, c), bshape=(co,))
            elif name == "lc":
                L.update(wshape=(oh, ow, co, k, k, c), bshape=(oh, ow, co))
            elif name == "dw":
                L.update(wshape=(k, k, c), bshape=(c,))
            h, w, c = oh, ow, co
        elif name == "bn":
            L.update(wshape=(c,), bshape=(c,))
        elif name == "prelu":
            L.update(wshape=(c,))
        elif name == "gap":
            h, w = 1, 1
        elif name == "flatten":
            h, w, c = 1, 1, h * w * c
        L.update(oh_=h, ow_=w, oc_=c)
        layers.append(L)
    return layers


def to_torch(L, wt, bt):
    """facekit-layout weights (torch tensors with grad) to what F.* takes."""
    k = L["kind"]
    if k == "conv":
        return wt.permute(0, 3, 1, 2), bt
    if k == "dw":
        return wt.permute(2, 0, 1).unsqueeze(1), bt
    if k == "lc":
        oh, ow, co, kk, _, ci = L["wshape"]
        return wt.reshape(oh * ow, co, kk, kk, ci).permute(0, 1, 4, 2, 3).reshape(oh * ow, co, ci * kk * kk), bt
    return wt, bt


def forward(layers, x, ws, bs):
    """x: N × H × W × C; returns N × D."""
    t = x.permute(0, 3, 1, 2)
    skips = []
    for L, wt, bt in zip(layers, ws, bs):
        k = L["kind"]
        W, B = to_torch(L, wt, bt) if wt is not None else (None, None)
        if k == "fc":
            t = F.linear(t.permute(0, 2, 3, 1).reshape(t.shape[0], -1), W, B)[:, :, None, None]
        elif k == "conv":
            t = F.conv2d(t, W, B, stride=L["s"], padding=L["p"])
        elif k == "dw":
            t = F.conv2d(t, W, B, stride=L["s"], padding=L["p"], groups=L["c"])
        elif k == "lc":
            n = t.shape[0]
            cols = F.unfold(t, L["k"], padding=L["p"], stride=L["s"])  # n × (ci k k) × L
            y = torch.einsum("lok,nkl->nol", W, cols) + B.reshape(-1, L["co"]).t()[None]
            t = y.reshape(n, L["co"], L["oh"], L["ow"])
        elif k == "bn":
            t = F.batch_norm(t, None, None, W, B, training=True, momentum=0.1, eps=1e-5)
        elif k == "relu":
            t = F.relu(t)
        elif k == "prelu":
            t = F.prelu(t, W)
        elif k == "max":
            t = F.max_pool2d(t, L["k"], L["s"], L["p"])
        elif k == "avg":
            t = F.avg_pool2d(t, L["k"], L["s"], L["p"], count_include_pad=False)
        elif k == "gap":
            t = t.mean(dim=(2, 3), keepdim=True)
        elif k == "l2":
            t = F.normalize(t, dim=1, eps=1e-12)
        elif k == "flatten":
            t = t.permute(0, 2, 3, 1).reshape(t.shape[0], -1)[:, :, None, None]
        elif k == "skip":
            skips.append(t)
        elif k == "add":
            t = t + skips.pop()
        elif k == "cat":
            t = torch.cat([t, skips.pop()], dim=1)  # the input's channels first, as net.c
        else:
            raise ValueError(k)
    return t.permute(0, 2, 3, 1).reshape(t.shape[0], -1)


def sqdist_matrix(x):
    return ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)


def loss_fn(o, x, y, W):
    name = o["loss"]
    b = x.shape[0]
    yl = y.tolist()
    if name in ("softmax", "focal", "ohem"):
        z = o["scale"] * (x @ W.t())
        ce = F.cross_entropy(z, y, reduction="none")
        if name == "softmax":
            return ce.mean()
        if name == "focal":
            logp = F.log_softmax(z, dim=1)[torch.arange(b), y]
            pt = logp.exp()
            return (-o["alpha"] * (1 - pt) ** o["gamma"] * logp).mean()
        k = min(b, max(1, math.ceil(o["keep"] * b)))
        order = sorted(range(b), key=lambda i: (-ce[i].item(), i))[:k]
        return ce[order].sum() / k
    if name in ("arcface", "cosface"):
        s, m = o["scale"], o["margin"]
        cos = F.normalize(x, dim=1, eps=1e-12) @ F.normalize(W, dim=1, eps=1e-12).t()
        onehot = F.one_hot(y, W.shape[0]).bool()
        if name == "cosface":
            phi = cos - m
        else:
            sine = torch.sqrt((1 - cos * cos).clamp(min=1e-12))
            phi = cos * math.cos(m) - sine * math.sin(m)
            phi = torch.where(cos > math.cos(math.pi - m), phi, cos - math.sin(math.pi - m) * m)
        return F.cross_entropy(s * torch.where(onehot, phi, cos), y)
    if name == "center":
        return 0.5 * ((x - W[y]) ** 2).sum(1).mean()
    if name == "contrastive":
        m = o["margin"]
        pos, neg = [], []
        for i in range(b):
            for j in range(i + 1, b):
                d2 = ((x[i] - x[j]) ** 2).sum()
                if yl[i] == yl[j]:
                    pos.append(0.5 * d2)
                else:
                    neg.append(0.5 * F.relu(m - torch.sqrt(d2)) ** 2)
        return (torch.stack(pos).mean() if pos else 0) + (torch.stack(neg).mean() if neg else 0)
    if name == "triplet":
        D = sqdist_matrix(x)
        Dn = D.detach().numpy()
        rng = o["seed"]
        terms = []
        for a in range(b):
            negs = [q for q in range(b) if yl[q] != yl[a]]
            if not negs:
                continue
            poss = [p for p in range(b) if p != a and yl[p] == yl[a]]
            if o["mining"] == "batch-hard":
                if not poss:
                    continue
                p = max(poss, key=lambda q: (Dn[a, q], -q))
                n = min(negs, key=lambda q: (Dn[a, q], q))
                terms.append(D[a, p] - D[a, n] + o["margin"])
                continue
            for p in poss:
                if o["mining"] == "semi-hard":
                    far = [q for q in negs if Dn[a, q] > Dn[a, p]]
                    n = min(far, key=lambda q: (Dn[a, q], q)) if far else max(negs, key=lambda q: (Dn[a, q], -q))
                else:
                    rng, r = splitmix(rng)
                    n = negs[r % len(negs)]
                terms.append(D[a, p] - D[a, n] + o["margin"])
        return F.relu(torch.stack(terms)).mean()
    if name == "coupled-cluster":
        seen, total = [], []
        for i in range(b):
            if yl[i] in seen:
                continue
            seen.append(yl[i])
            members = [j for j in range(b) if yl[j] == yl[i]]
            others = [j for j in range(b) if yl[j] != yl[i]]
            if len(members) < 2 or not others:
                continue
            ctr = x[members].mean(0)
            dn = ((x[others] - ctr) ** 2).sum(1)
            n = others[int(torch.argmin(dn.detach()))]
            dneg = ((x[n] - ctr) ** 2).sum()
            li = [0.5 * F.relu(((x[j] - ctr) ** 2).sum() + o["margin"] - dneg) / len(members) for j in members]
            total.append(torch.stack(li).sum())
        return torch.stack(total).mean()
    raise ValueError(name)


DEFAULTS = dict(margin=0.2, scale=1.0, gamma=2.0, alpha=1.0, keep=0.5, seed=1, mining="semi-hard")


def fixture(name, arch, shape, labels, loss, data_seed, classes=0, **opts):
    rs = np.random.RandomState(data_seed)
    h, w, c = shape
    layers = parse_arch(arch, h, w, c)
    b = len(labels)
    x = rs.randn(b, h, w, c).astype(np.float32)
    params, ws, bs, flat = [], [], [], []
    for L in layers:
        wt = bt = None
        if "wshape" in L:
            if L["kind"] == "bn":
                wn = (1 + 0.2 * rs.randn(*L["wshape"])).astype(np.float32)
            elif L["kind"] == "prelu":
                wn = (0.25 + 0.1 * rs.rand(*L["wshape"])).astype(np.float32)
            else:
                fan = np.prod(L["wshape"][1:]) if L["kind"] in ("fc", "conv") else np.prod(L["wshape"][-3:])
                wn = (rs.randn(*L["wshape"]) * math.sqrt(2.0 / fan)).astype(np.float32)
            flat.append(wn.ravel())
            wt = torch.tensor(wn, requires_grad=True)
        if "bshape" in L:
            bn_ = (0.1 * rs.randn(*L["bshape"])).astype(np.float32)
            flat.append(bn_.ravel())
            bt = torch.tensor(bn_, requires_grad=True)
        ws.append(wt)
        bs.append(bt)
    o = dict(DEFAULTS, loss=loss, **opts)
    if loss in ("arcface", "cosface") and "scale" not in opts:
        o["scale"] = 64.0
    out_dim = layers[-1]["oh_"] * layers[-1]["ow_"] * layers[-1]["oc_"]
    Wc = None
    if classes:
        Wc = torch.tensor(rs.randn(classes, out_dim).astype(np.float32), requires_grad=True)
    xt = torch.tensor(x)
    yt = torch.tensor(labels, dtype=torch.long)
    emb = forward(layers, xt, ws, bs)
    value = loss_fn(o, emb, yt, Wc)
    value.backward()
    grads = []
    for wt, bt in zip(ws, bs):
        for t in (wt, bt):
            if t is not None:
                grads.append(t.grad.numpy().ravel())
    p0 = np.concatenate(flat)
    g0 = np.concatenate(grads)
    # one optimiser step from these gradients, as torch.optim computes it (float32)
    after = {}
    for kind in ("sgd", "adam"):
        pt = torch.tensor(p0.copy(), requires_grad=True)
        pt.grad = torch.tensor(g0.copy())
        opt = torch.optim.SGD([pt], lr=0.1, momentum=0.9, weight_decay=5e-4) if kind == "sgd" else \
            torch.optim.Adam([pt], lr=1e-3, weight_decay=5e-4)
        opt.step()
        after[kind] = pt.detach().numpy().tolist()
    fx = dict(name=name, arch=arch, input=list(shape), labels=labels, classes=classes,
              options={k: o[k] for k in ("loss", "mining", "margin", "scale", "gamma", "alpha", "keep", "seed")},
              x=x.ravel().tolist(), params=p0.tolist(), class_matrix=Wc.detach().numpy().ravel().tolist() if classes else [],
              loss=float(value.item()), grads=g0.tolist(),
              class_grads=Wc.grad.numpy().ravel().tolist() if classes else [],
              after_sgd=after["sgd"], after_adam=after["adam"], torch=torch.__version__)
    return fx


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "train", "fixtures")
    os.makedirs(out, exist_ok=True)
    pk = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]  # P = 4 people × K = 3
    head = "fc:12,bn,prelu,fc:8"
    head_l2 = head + ",l2"
    cnn = "conv:4:3:1:1,bn,relu,max:2:2,dw:3:1:1,prelu,lc:3:2,avg:2:1:1,flatten,fc:6,l2"
    cnn2 = "conv:5:3:2:1,relu,gap,fc:6"
    # a residual block around a concat of a nested branch
    res = "conv:4:3:1:1,bn,relu,skip,conv:4:3:1:1,bn,relu,skip,dw:3:1:1,cat,conv:4:1,add,max:2:2,fc:6,l2"
    fxs = [
        fixture("softmax", head, (1, 1, 10), pk, "softmax", 1, classes=4),
        fixture("focal", head, (1, 1, 10), pk, "focal", 2, classes=4),
        fixture("ohem", head, (1, 1, 10), pk, "ohem", 3, classes=4, keep=0.4),
        # NormFace: a scale on the logits of a unit-length embedding
        fixture("softmax-scaled", head_l2, (1, 1, 10), pk, "softmax", 16, classes=4, scale=10.0),
        fixture("focal-scaled", head_l2, (1, 1, 10), pk, "focal", 17, classes=4, scale=10.0),
        fixture("center", head, (1, 1, 10), pk, "center", 4, classes=4),
        fixture("arcface", head, (1, 1, 10), pk, "arcface", 5, classes=4, scale=16.0, margin=0.5),
        fixture("cosface", head, (1, 1, 10), pk, "cosface", 6, classes=4, scale=16.0, margin=0.35),
        fixture("contrastive", head_l2, (1, 1, 10), pk, "contrastive", 7, margin=1.0),
        fixture("triplet-random", head_l2, (1, 1, 10), pk, "triplet", 8, mining="random", margin=0.5, seed=99),
        fixture("triplet-semihard", head_l2, (1, 1, 10), pk, "triplet", 9, mining="semi-hard", margin=0.5),
        fixture("triplet-batchhard", head_l2, (1, 1, 10), pk, "triplet", 10, mining="batch-hard", margin=0.5),
        fixture("coupled-cluster", head_l2, (1, 1, 10), pk, "coupled-cluster", 11, margin=0.5),
        fixture("cnn-triplet-batchhard", cnn, (8, 8, 3), [0, 1, 2, 0, 1, 2], "triplet", 12, mining="batch-hard",
                margin=0.5),
        fixture("cnn-softmax", cnn2, (9, 7, 2), [0, 1, 2, 0, 1, 2], "softmax", 13, classes=3),
        fixture("cnn-residual-triplet", res, (8, 8, 3), [0, 1, 2, 0, 1, 2], "triplet", 14, mining="batch-hard",
                margin=0.5),
        # a skip on the input and an add as the last layer: the two ends of a branch
        fixture("cnn-residual-ends", "skip,conv:2:3:1:1,bn,relu,skip,dw:3:1:1,cat,conv:2:1,add", (4, 4, 2),
                [0, 1, 2, 0, 1, 2], "softmax", 15, classes=3),
    ]
    for fx in fxs:
        path = os.path.join(out, fx["name"] + ".json")
        # float32 values need 9 significant digits to come back exact
        for k, v in fx.items():
            if isinstance(v, list) and v and isinstance(v[0], float):
                fx[k] = [float("%.9g" % t) for t in v]
        fx["loss"] = float("%.9g" % fx["loss"])
        with open(path, "w") as f:
            json.dump(fx, f, separators=(",", ":"))
        print(f"{path}: loss {fx['loss']:.6f}, {len(fx['params'])} parameters")


if __name__ == "__main__":
    main()
