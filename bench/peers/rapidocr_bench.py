"""RapidOCR (ONNX Runtime) side of bench/peers/peer_bench.sh; runs in the bench-only venv.

Reads the images named on the command line, OCRs each with RapidOCR at a fixed thread count,
writes one EdgeOCR-style JSON per image ({"lines": [{"text", "confidence", "box"}]}) so that
`edgeocr eval --engine predictions:DIR` scores it with the same metrics as EdgeOCR, and prints
one JSON summary line: per-image latencies, peak RSS and the package versions.
"""
import argparse
import json
import os
import resource
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per image (after one warm-up)")
    parser.add_argument("--out", help="folder for per-image predictions (JSON)")
    parser.add_argument("--cold", action="store_true", help="one run per image, no warm-up (whole-process timing)")
    parser.add_argument("--models", default="v6-small",
                        help="v6-small (the files RapidOCR ships), v4 or v6-small-v4det (with EdgeOCR's v4 files)")
    parser.add_argument("--model-dir", default="models", help="EdgeOCR's models folder (for --models v4)")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()

    t_start = time.perf_counter()
    from importlib.metadata import version
    from rapidocr import RapidOCR
    from rapidocr.utils.typings import ModelType, OCRVersion

    params = {
        "EngineConfig.onnxruntime.intra_op_num_threads": args.threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "Global.log_level": "error",
    }
    # The same files EdgeOCR's sets read, with RapidOCR's own pre/post-processing; v6-small is
    # what its wheel ships.
    m = args.model_dir
    v4_det = {"Det.model_path": os.path.join(m, "ch_PP-OCRv4_det_infer.onnx"),
              "Det.ocr_version": OCRVersion.PPOCRV4, "Det.model_type": ModelType.MOBILE}
    v4_rec = {"Rec.model_path": os.path.join(m, "ch_PP-OCRv4_rec_infer.onnx"),
              "Rec.rec_keys_path": os.path.join(m, "ppocr_keys_v1.txt"),
              "Rec.ocr_version": OCRVersion.PPOCRV4, "Rec.model_type": ModelType.MOBILE}
    sets = {"v4": {**v4_det, **v4_rec}, "v6-small": {}, "v6-small-v4det": v4_det}
    if args.models not in sets:
        parser.error(f"--models {args.models}: RapidOCR runs {', '.join(sets)} here")
    params.update(sets[args.models])
    engine = RapidOCR(params=params)
    load_s = time.perf_counter() - t_start
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    if not args.cold:
        engine(args.images[0])  # warm-up: first-call costs are measured by --cold runs
    latencies = []
    for path in args.images:
        best = None
        for _ in range(1 if args.cold else args.repeat):
            t0 = time.perf_counter()
            result = engine(path)
            elapsed = time.perf_counter() - t0
            latencies.append(elapsed)
            best = result
        if args.out:
            lines = []
            boxes = best.boxes if best.boxes is not None else []
            for box, text, score in zip(boxes, best.txts or (), best.scores or ()):
                lines.append({"text": text, "confidence": float(score),
                              "box": [[float(x), float(y)] for x, y in box]})
            name = os.path.splitext(os.path.basename(path))[0] + ".json"
            with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
                json.dump({"lines": lines}, f, ensure_ascii=False)
    summary = {
        "engine": "rapidocr",
        "models": args.models,
        "versions": {p: version(p) for p in ("rapidocr", "onnxruntime")},
        "threads": args.threads,
        "load_s": load_s,
        "latencies_s": latencies,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
