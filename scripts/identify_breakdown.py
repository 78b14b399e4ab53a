#!/usr/bin/python3
"""Traces each rank-1 miss of `facekit eval identify --descriptors OUT.tsv` to its cause."""
# Usage: scripts/identify_breakdown.py OUT.tsv [--size 250] [--off 0.2] [--misses MISSES.tsv]
#
# A miss is put under the first cause that fits it:
#   no descriptor      the probe gave no face
#   probe off centre   the probe's chosen face is not the centred one (LFW centres its subject)
#   gallery off centre the person's enrolled face is not the centred one
#   descriptor         both faces are the subject's, and another person's gallery face is nearer
# "Off centre" is a box centre further than --off x the image size from the image's centre.
# It then measures two changes of protocol on the same descriptors, so that how much the single
# enrolled image costs is a figure and not a guess: every probe searched against a gallery of its
# person's other images (nearest of them) and everyone else's first image, and the rank-1 when each
# person is enrolled with the mean of their images other than the probe.
import argparse
import sys

import numpy as np


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            if len(c) < 9:
                sys.exit(f"{path}: a line with {len(c)} fields, not 9")
            d = np.array(c[8].split(), dtype=np.float32) if c[8] else None
            box = tuple(float(v) for v in c[4:8]) if c[4] else None
            rows.append(dict(path=c[0], person=int(c[1]), role=c[2], faces=int(c[3]), box=box, desc=d))
    return rows


def off_centre(box, size, off):
    if box is None:
        return True
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return np.hypot(cx - size / 2, cy - size / 2) > off * size


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("tsv")
    ap.add_argument("--size", type=float, default=250, help="the images' width and height [250, LFW's]")
    ap.add_argument("--off", type=float, default=0.2, help="off centre beyond this share of the size [0.2]")
    ap.add_argument("--misses", help="write every miss with its cause and distances")
    a = ap.parse_args()
    rows = load(a.tsv)
    gal = [r for r in rows if r["role"] == "gallery" and r["desc"] is not None]
    probes = [r for r in rows if r["role"] == "probe"]
    G = np.stack([r["desc"] for r in gal])
    gp = np.array([r["person"] for r in gal])
    gidx = {p: i for i, p in enumerate(gp)}
    counts = {}
    out = []
    hits = 0
    true_d, wrong_d = [], []
    for r in probes:
        if r["desc"] is None:
            cause = "no descriptor"
            counts[cause] = counts.get(cause, 0) + 1
            out.append((r["path"], cause, "", "", ""))
            continue
        d = np.linalg.norm(G - r["desc"], axis=1)
        j = int(np.argmin(d))
        if gp[j] == r["person"]:
            hits += 1
            continue
        t = gidx.get(r["person"])
        dt = d[t] if t is not None else float("nan")
        if t is None:
            cause = "not enrolled"
        elif off_centre(r["box"], a.size, a.off):
            cause = "probe off centre"
        elif off_centre(gal[t]["box"], a.size, a.off):
            cause = "gallery off centre"
        else:
            cause = "descriptor"
            true_d.append(dt)
            wrong_d.append(d[j])
        counts[cause] = counts.get(cause, 0) + 1
        out.append((r["path"], cause, f"{dt:.4f}", f"{d[j]:.4f}", gal[j]["path"]))
    n = len(probes)
    print(f"{n} probes, {len(gal)} enrolled, rank-1 {100 * hits / n:.2f} % ({hits}), misses {n - hits}")
    for cause in ("no descriptor", "not enrolled", "probe off centre", "gallery off centre", "descriptor"):
        if cause in counts:
            print(f"  {cause:20s} {counts[cause]:5d}  ({100 * counts[cause] / n:.2f} % of the probes)")
    if true_d:
        td, wd = np.array(true_d), np.array(wrong_d)
        print(f"  descriptor misses: distance to their own person median {np.median(td):.3f}, "
              f"to the nearer impostor median {np.median(wd):.3f}; own person beyond 0.6: {np.sum(td > 0.6)}")
    multi = sum(r["faces"] > 1 for r in probes)
    print(f"  probes with more than one face found: {multi}")

    # the same descriptors under other enrolments
    by_person = {}
    for r in rows:
        if r["role"] in ("gallery", "probe") and r["desc"] is not None:
            by_person.setdefault(r["person"], []).append(r)
    hit_all = hit_mean = total = 0
    for r in probes:
        if r["desc"] is None:
            continue
        total += 1
        own = [o["desc"] for o in by_person[r["person"]] if o is not r]
        d = np.linalg.norm(G - r["desc"], axis=1)
        t = gidx.get(r["person"])
        if t is not None:
            d[t] = np.inf
        others = np.min(d)
        if own:
            own = np.stack(own)
            hit_all += np.min(np.linalg.norm(own - r["desc"], axis=1)) < others
            hit_mean += np.linalg.norm(own.mean(axis=0) - r["desc"]) < others
    print(f"other enrolments, {total} probes with a descriptor (of {n}):")
    print(f"  every other image of the person enrolled (nearest): rank-1 {100 * hit_all / n:.2f} %")
    print(f"  the mean of the person's other images enrolled:     rank-1 {100 * hit_mean / n:.2f} %")
    if a.misses:
        with open(a.misses, "w") as f:
            f.write("# probe\tcause\tdistance to own person\tdistance to nearest\tnearest gallery image\n")
            for o in out:
                f.write("\t".join(o) + "\n")


if __name__ == "__main__":
    main()
