#!/usr/bin/python3
"""box_relation.py: the mean relation of one detector's boxes to another's on the same images (facekit detect --json of each), as used for fk_box_blazeface_style."""
import json
import statistics
import sys


def boxes(path):
    return {r["image"]: [f["box"] for f in r["faces"]] for r in json.load(open(path))}


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    src, dst = boxes(sys.argv[1]), boxes(sys.argv[2])
    side, dx, dy = [], [], []
    for img, bs in src.items():
        for a in bs:
            best = max(dst.get(img, []), key=lambda b: iou(a, b), default=None)
            if best is None or iou(a, best) < 0.3:
                continue
            s = (a[2] * a[3]) ** 0.5
            side.append((best[2] * best[3]) ** 0.5 / s)
            dx.append((best[0] + best[2] / 2 - a[0] - a[2] / 2) / a[2])
            dy.append((best[1] + best[3] / 2 - a[1] - a[3] / 2) / a[3])
    print("pairs %d  side %.3f (sd %.3f)  dx %.3f  dy %.3f (sd %.3f) of the first box" % (
        len(side), statistics.mean(side), statistics.stdev(side), statistics.mean(dx), statistics.mean(dy),
        statistics.stdev(dy)))


main()
