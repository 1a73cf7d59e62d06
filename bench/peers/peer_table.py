"""Prints the side-by-side table of bench/peers/peer_bench.sh from the files it left in OUT."""
import json
import statistics
import sys
from pathlib import Path


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    pos = q * (len(values) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def main() -> None:
    out, rounds, sets = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    edgeocr = [f"edgeocr-{s}" for s in sets]
    rows = {}
    for name in edgeocr + ["tesseract"]:
        reports = [json.loads((out / f"{name}.{r}.json").read_text()) for r in range(1, rounds + 1)]
        engine = lambda rep: next(iter(rep["engines"].values()))
        lat = [t for rep in reports for t in engine(rep)["seconds_per_image"]["all"]]
        rows[name] = {"lat": lat, "acc": engine(reports[-1]),
                      "rss": max(engine(rep)["peak_rss_mib"] for rep in reports)}
    rapid = [json.loads((out / f"rapidocr.{r}.json").read_text()) for r in range(1, rounds + 1)]
    acc = next(iter(json.loads((out / "rapidocr.accuracy.json").read_text())["engines"].values()))
    rows["rapidocr"] = {"lat": [t for s in rapid for t in s["latencies_s"]], "acc": acc,
                        "rss": max(s["peak_rss_mb"] for s in rapid)}
    cold = {}
    for line in (out / "cold.txt").read_text().split("\n") if (out / "cold.txt").exists() else []:
        if line.strip():
            name, secs, kib = line.split()
            cold.setdefault(name, []).append((float(secs), int(kib) / 1024))

    print(f"RapidOCR {rapid[0]['versions']['rapidocr']} + onnxruntime {rapid[0]['versions']['onnxruntime']}, "
          f"{rapid[0]['threads']} threads")
    header = "| | warm p50 s | warm p90 s | images/s | cold process p50 s | peak RSS MiB (warm / cold) | det F1 | CER % (case-folded) | exact lines % (case-folded) |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name in edgeocr + ["rapidocr", "tesseract"]:
        r = rows[name]
        det = r["acc"]["detection"]["f1"]
        rec = r["acc"]["recognition"]
        c = cold.get(name, [])
        cold_p50 = f"{statistics.median(s for s, _ in c):.2f}" if c else "-"
        cold_rss = f"{max(m for _, m in c):.0f}" if c else "-"
        print(f"| {name} | {pct(r['lat'], .5):.3f} | {pct(r['lat'], .9):.3f} | {1 / statistics.mean(r['lat']):.2f} | "
              f"{cold_p50} | {r['rss']:.0f} / {cold_rss} | {det:.3f} | {100 * rec['cer_case_insensitive']:.2f} | "
              f"{100 * rec['exact_line_accuracy_case_insensitive']:.1f} |")
    p = pct(rows["rapidocr"]["lat"], .5)
    print()
    for name in edgeocr:
        print(f"warm p50 ratio RapidOCR / {name}: {p / pct(rows[name]['lat'], .5):.2f}x")
        if name in cold and "rapidocr" in cold:
            ce = statistics.median(s for s, _ in cold[name])
            cr = statistics.median(s for s, _ in cold["rapidocr"])
            print(f"cold process p50 ratio RapidOCR / {name}: {cr / ce:.2f}x")


if __name__ == "__main__":
    main()
