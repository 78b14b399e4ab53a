#!/usr/bin/env python3
# gen_tfgraph_patterns.py: a small synthetic TFJS graph model of what converters write out element by
# element (PReLU as relu(x) + a(x - |x|) and as max(x, 0) + a min(x, 0), an L2 normalisation as
# Square/Sum/Maximum/Rsqrt/Mul), with EXPLICIT conv padding, Tanh, channel StridedSlices, a Mul of
# two tensors and ExpandDims. Writes the test model tests/nn/tfgraph/model/patterns.{json,bin}
# (its tfjs reference: node tools/gen_tfgraph_golden.mjs tests/nn/tfgraph/model tests/nn/tfgraph patterns)
# and the fuzz seed fuzz/corpus/fuzz_tfgraph/patterns.bin (JSON, NUL, shard; the shard named a.bin).
# Usage: python3 tools/gen_tfgraph_patterns.py   (from the repository root; fixed seed, so reproducible)
import json, struct, base64, random
random.seed(5)
b64 = lambda s: base64.b64encode(s.encode()).decode()
ints = lambda *v: {"list": {"i": [str(x) for x in v]}}
I = lambda v: {"i": str(v)}
nodes = [{"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [{"size": "-1"}, {"size": "8"}, {"size": "8"}, {"size": "3"}]}}, "dtype": {"type": "DT_FLOAT"}}}]
weights = []; blob = b''
def const(name, shape, vals, dtype="float32"):
    global blob
    nodes.append({"name": name, "op": "Const"})
    weights.append({"name": name, "shape": shape, "dtype": dtype})
    blob += struct.pack('<%d%s' % (len(vals), 'f' if dtype == 'float32' else 'i'), *vals)
def node(name, op, inputs, attr=None):
    n = {"name": name, "op": op, "input": inputs}
    if attr: n["attr"] = attr
    nodes.append(n)
rnd = lambda n: [random.uniform(-1, 1) for _ in range(n)]
const("w", [3, 3, 3, 4], rnd(108)); const("b", [4], rnd(4)); const("al", [4], rnd(4)); const("al2", [4], rnd(4))
const("z", [], [0.0]); const("axes", [2], [1, 2], "int32"); const("b0", [2], [0, 1], "int32"); const("e0", [2], [0, 3], "int32")
const("s1", [2], [1, 1], "int32"); const("b1", [2], [0, 0], "int32"); const("e1", [2], [0, 2], "int32")
const("ax", [], [-1], "int32"); const("eps", [], [1e-10]); const("exp", [], [-1], "int32")
node("conv", "_FusedConv2D", ["x", "w", "b"], {"padding": {"s": b64("EXPLICIT")}, "explicit_paddings": ints(0, 0, 1, 0, 0, 2, 0, 0),
     "strides": ints(1, 1, 1, 1), "fused_ops": {"list": {"s": [b64("BiasAdd")]}}, "num_args": I(1)})
node("relu", "Relu", ["conv"]); node("ab", "Abs", ["conv"]); node("sub", "Sub", ["conv", "ab"]); node("m", "Mul", ["sub", "al"])
node("pr", "AddV2", ["relu", "m"])
node("mx", "Maximum", ["pr", "z"]); node("mn", "Minimum", ["z", "pr"]); node("m2", "Mul", ["al2", "mn"]); node("pr2", "AddV2", ["m2", "mx"])
node("th", "Tanh", ["pr2"])
node("mean", "Mean", ["th", "axes"], {"keep_dims": {"b": False}})
masks = {"begin_mask": I(1), "end_mask": I(1), "ellipsis_mask": I(0), "new_axis_mask": I(0), "shrink_axis_mask": I(0)}
node("sl", "StridedSlice", ["mean", "b0", "e0", "s1"], masks)
node("sq", "Square", ["mean"]); node("sum", "Sum", ["sq", "ax"], {"keep_dims": {"b": True}}); node("mxe", "Maximum", ["sum", "eps"])
node("rs", "Rsqrt", ["mxe"]); node("l2", "Mul", ["mean", "rs"])
node("sl2", "StridedSlice", ["l2", "b1", "e1", "s1"], masks)
node("mul", "Mul", ["sl", "sl2"]); node("ex", "ExpandDims", ["mul", "exp"]); node("Identity", "Identity", ["ex"])
def model(shard):
    return {"format": "graph-model", "signature": {"outputs": {"y": {"name": "Identity:0"}}},
            "modelTopology": {"node": nodes, "versions": {"producer": 1}},
            "weightsManifest": [{"paths": [shard], "weights": weights}]}
open('tests/nn/tfgraph/model/patterns.json', 'w').write(json.dumps(model("patterns.bin")))
open('tests/nn/tfgraph/model/patterns.bin', 'wb').write(blob)
open('fuzz/corpus/fuzz_tfgraph/patterns.bin', 'wb').write(json.dumps(model("a.bin")).encode() + b'\0' + blob)
