#!/usr/bin/env python3
"""Checks a hypergrid model's ONNX and safetensors exports against real runtimes.

Runs onnx.checker.check_model on the ONNX file, runs it with onnxruntime on the rows the
caller predicted with `hypergrid predict`, and compares: the largest absolute difference of
the probabilities (or regression values), the rows whose predicted class differs, and the
accuracy of both against the labels. Loads the safetensors file with the `safetensors`
package, checks that every array equals the ONNX initializer of the same name, and runs the
same network in numpy from the safetensors arrays alone (a third, independent forward pass).

The rows come as hypergrid reads them: an .npy of features, or a CSV that this script encodes
from the JSON sidecar's schema (numbers as they are with the training mean for a missing
cell, text one-hot with the training's most frequent category for a missing cell), which is
what a user of the export does.

Prints one JSON object of figures; exits 1 when a check fails.

  check-model-export.py --onnx m.onnx --safetensors m.safetensors --input x.npy \
      --predictions predictions.csv [--labels y.npy | --label-column NAME]
"""
import argparse
import csv
import json
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper
from safetensors.numpy import load_file
from safetensors import safe_open

MISSING = {"", "na", "nan", "null", "?"}


def encode_csv(path, schema):
    """The features of a CSV file, encoded as the sidecar's schema says."""
    with open(path, newline="") as f:
        sample = f.readline()
        f.seek(0)
        delimiter = max([",", ";", "\t", "|"], key=sample.count)
        rows = list(csv.reader(f, delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    index = {name: i for i, name in enumerate(header)}
    features = []
    for row in rows[1:]:
        out = []
        for column in schema["columns"]:
            cell = row[index[column["name"]]].strip()
            encoding = column["encoding"]
            if "numeric" in encoding:
                out.append(encoding["numeric"]["imputeValue"] if cell.lower() in MISSING else float(cell))
            else:
                vocabulary = encoding["categorical"]["vocabulary"]
                if cell.lower() in MISSING:
                    cell = encoding["categorical"]["imputeCategory"]
                out.extend(1.0 if cell == v else 0.0 for v in vocabulary)
        features.append(out)
    return np.asarray(features, dtype=np.float32), header, rows[1:]


def numpy_forward(tensors, architecture, x):
    """The network from the safetensors arrays alone, in float64."""
    z = (x.astype(np.float64) - tensors["preprocess.mean"]) / tensors["preprocess.scale"]
    z = z.astype(np.float32).astype(np.float64)
    if "preprocess.pca_components" in tensors:
        z = z @ tensors["preprocess.pca_components"].astype(np.float64).T
    epsilon = architecture["batch_norm_epsilon"]
    for layer in architecture["layers"]:
        p = f"layers.{layer['index']}"
        z = z @ tensors[f"{p}.weight"].astype(np.float64)
        if layer["batch_norm"]:
            mean = tensors[f"{p}.batch_norm.running_mean"].astype(np.float64)
            var = tensors[f"{p}.batch_norm.running_var"].astype(np.float64)
            z = (z - mean) / np.sqrt(var + np.float32(epsilon)) * tensors[f"{p}.batch_norm.weight"] + tensors[f"{p}.batch_norm.bias"]
        else:
            z = z + tensors[f"{p}.bias"]
        if layer["activation"] == "relu":
            z = np.maximum(z, 0)
    if "postprocess.target_mean" in tensors:
        return z * tensors["postprocess.target_deviation"] + tensors["postprocess.target_mean"]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--safetensors", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--predictions", required=True)
    ap.add_argument("--labels", help=".npy of class names, or of class indices into the sidecar's class_names")
    ap.add_argument("--label-column", help="CSV input: the label column")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = onnx.load(args.onnx)
    onnx.checker.check_model(model, full_check=True)
    sidecar = json.load(open(args.onnx + ".json"))
    schema = sidecar["input"]["schema"]

    labels = None
    if args.input.endswith(".npy"):
        x = np.load(args.input).reshape(-1, sidecar["input"]["shape"][1]).astype(np.float32)
    else:
        x, header, rows = encode_csv(args.input, schema)
        if args.label_column:
            column = header.index(args.label_column)
            labels = [r[column].strip() for r in rows]
    if args.labels:
        labels = [str(v) for v in np.load(args.labels).tolist()]
        names = sidecar["outputs"].get("class_names", [])
        if names and not set(labels) <= set(names):
            # Class indices (as the dataset's label file has them) for named classes.
            labels = [names[int(v)] for v in labels]

    session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {sidecar["input"]["name"]: x})
    names = [o.name for o in session.get_outputs()]
    result = dict(zip(names, outputs))

    with open(args.predictions, newline="") as f:
        table = list(csv.reader(f))
    figures = {"rows": len(x), "onnx_opset": model.opset_import[0].version, "ir_version": model.ir_version}
    failures = []
    if "probabilities" in result:
        class_names = sidecar["outputs"]["class_names"]
        ours = np.asarray([[float(v) for v in r[1:]] for r in table[1:]], dtype=np.float64)
        our_classes = [r[0] for r in table[1:]]
        theirs = result["probabilities"].astype(np.float64)
        their_classes = [class_names[i] for i in result["class_index"]]
        figures["max_abs_difference"] = float(np.abs(ours - theirs).max())
        figures["classes_agreeing"] = int(sum(a == b for a, b in zip(our_classes, their_classes)))
        if labels is not None:
            figures["accuracy_hypergrid"] = sum(a == b for a, b in zip(our_classes, labels)) / len(labels)
            figures["accuracy_onnxruntime"] = sum(a == b for a, b in zip(their_classes, labels)) / len(labels)
            if figures["accuracy_hypergrid"] != figures["accuracy_onnxruntime"]:
                failures.append("the accuracies differ")
        if figures["classes_agreeing"] != len(x):
            failures.append(f"{len(x) - figures['classes_agreeing']} rows get another class")
    else:
        ours = np.asarray([[float(v) for v in r] for r in table[1:]], dtype=np.float64)
        theirs = result["predictions"].astype(np.float64)
        figures["max_abs_difference"] = float(np.abs(ours - theirs).max())
        figures["max_relative_difference"] = float((np.abs(ours - theirs) / np.maximum(np.abs(ours), 1)).max())
    if len(ours) != len(x):
        failures.append(f"hypergrid predicted {len(ours)} rows, onnxruntime {len(x)}")
    if figures["max_abs_difference"] > args.tolerance and "probabilities" in result:
        failures.append(f"max abs difference {figures['max_abs_difference']:.3g} > {args.tolerance}")

    # safetensors: the same arrays as the ONNX initializers, and a numpy forward pass.
    tensors = load_file(args.safetensors)
    with safe_open(args.safetensors, framework="numpy") as f:
        metadata = f.metadata()
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    mismatched = []
    for name, array in tensors.items():
        other = initializers.get(name)
        if other is None or other.shape != array.shape or not np.array_equal(other.astype(array.dtype), array):
            mismatched.append(name)
    figures["safetensors_arrays"] = len(tensors)
    figures["safetensors_arrays_equal_to_onnx"] = len(tensors) - len(mismatched)
    if mismatched:
        failures.append(f"safetensors arrays differ from the ONNX initializers: {', '.join(mismatched)}")
    architecture = json.loads(metadata["architecture"])
    if metadata.get("trial_id") != sidecar["trial_id"]:
        failures.append("the safetensors metadata names another trial")
    reference = numpy_forward(tensors, architecture, x)
    figures["numpy_from_safetensors_max_abs_difference"] = float(np.abs(reference - ours).max())
    if "probabilities" in result and figures["numpy_from_safetensors_max_abs_difference"] > args.tolerance:
        failures.append(f"numpy from safetensors differs by {figures['numpy_from_safetensors_max_abs_difference']:.3g}")

    figures["failures"] = failures
    print(json.dumps(figures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
