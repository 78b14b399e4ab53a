#!/bin/sh
# bench_tfjs.sh: the graph models through facekit and through TensorFlow.js (wasm) in node, model by model in turns, several rounds: the speed ratio per model measured in one session.
# usage: scripts/bench_tfjs.sh BUILD NODE_PATH [ROUNDS] [MODEL...]
#   NODE_PATH holds @tensorflow/tfjs and tfjs-backend-wasm (a copy of ../shared/peers' node_modules)
set -eu
build=${1:?usage: bench_tfjs.sh BUILD NODE_PATH [ROUNDS] [MODEL...]}
node_path=${2:?usage: bench_tfjs.sh BUILD NODE_PATH [ROUNDS] [MODEL...]}
rounds=${3:-3}
[ $# -ge 3 ] && shift 3 || shift $#
models=${*:-antispoof liveness emotion gender gear blazeface blazeface-front faceres facemesh age iris mobileface mobilefacenet}
dir=${FACEKIT_HUMAN_MODELS:-models/human}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$node_path/@tensorflow/tfjs-backend-wasm" ]; then
    echo "SKIP bench_tfjs: no @tensorflow/tfjs-backend-wasm under $node_path"
    exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    for m in $models; do
        # turns, not blocks: a machine whose speed drifts (a shared VM) drifts for both
        ours=$("$build/bench/bench_tfgraph" --dir "$dir" --runs 50 "$m" | awk -F'|' 'NR > 2 {gsub(/ /, "", $5); print $5}')
        theirs=$(NODE_PATH="$node_path" node "$here/tools/bench_tfgraph_tfjs.mjs" wasm "$dir" "$m" | awk '{print $3}')
        echo "$m $ours $theirs" >>"$out"
    done
    r=$((r + 1))
done
python3 - "$out" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    m, a, b = line.split()
    rows.setdefault(m, []).append((float(a), float(b)))
print("| model | facekit ms (median of rounds) | tfjs-wasm ms | ratio (median of rounds) | ratio range |")
print("| --- | --- | --- | --- | --- |")
for m, v in rows.items():
    ratios = [b / a for a, b in v]
    print(f"| {m} | {statistics.median(a for a, _ in v):.3f} | {statistics.median(b for _, b in v):.3f} | "
          f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}-{max(ratios):.2f} |")
PY
