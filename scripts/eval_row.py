#!/usr/bin/env python3
"""eval_row.py: one table row of `make eval` from a `facekit eval verify|detect --json` result."""
import json
import sys

kind, name, path = sys.argv[1:4]
r = json.load(open(path))
if kind == "verify":
    kfold = f"{100*r['mean_accuracy']:.2f}±{100*r['std_accuracy']:.2f}" if r["folds"] else "-"
    print(f"{name:<34} {r['pairs']:>5} {100*r['accuracy_at_threshold']:>8.2f} {100*r['accuracy_valid_pairs']:>8.2f} "
          f"{kfold:>13} {r['auc']:>7.4f} {100*r['eer']:>6.2f} {100*r['tar_at_far_0.01']:>8.2f} {r['images_without_face']:>7}")
else:
    print(f"{name:<20} {r['images']:>6} {r['faces']:>6} {r['ap']:>8.4f} {r['ap_iou_0.3']:>9.4f} "
          f"{r['max_recall']:>8.4f} {r['best_f1']:>8.4f}")
