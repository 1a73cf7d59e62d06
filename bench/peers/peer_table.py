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
    rapidocr = [f"rapidocr-{s}" for s in sets if (out / f"rapidocr-{s}.1.json").exists()]
    for name in rapidocr:
        rapid = [json.loads((out / f"{name}.{r}.json").read_text()) for r in range(1, rounds + 1)]
        acc = next(iter(json.loads((out / f"{name}.accuracy.json").read_text())["engines"].values()))
        rows[name] = {"lat": [t for s in rapid for t in s["latencies_s"]], "acc": acc,
                      "rss": max(s["peak_rss_mb"] for s in rapid), "versions": rapid[0]["versions"],
                      "threads": rapid[0]["threads"]}
    cold = {}
    for line in (out / "cold.txt").read_text().split("\n") if (out / "cold.txt").exists() else []:
        if line.strip():
            name, secs, kib = line.split()
            cold.setdefault(name, []).append((float(secs), int(kib) / 1024))

    if rapidocr:
        first = rows[rapidocr[0]]
        print(f"RapidOCR {first['versions']['rapidocr']} + onnxruntime {first['versions']['onnxruntime']}, "
              f"{first['threads']} threads")
    header = "| | warm p50 s | warm p90 s | images/s | cold process p50 s | peak RSS MiB (warm / cold) | det F1 | CER % (case-folded) | exact lines % (case-folded) |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name in edgeocr + rapidocr + ["tesseract"]:
        r = rows[name]
        det = r["acc"]["detection"]["f1"]
        rec = r["acc"]["recognition"]
        c = cold.get(name, [])
        cold_p50 = f"{statistics.median(s for s, _ in c):.2f}" if c else "-"
        cold_rss = f"{max(m for _, m in c):.0f}" if c else "-"
        print(f"| {name} | {pct(r['lat'], .5):.3f} | {pct(r['lat'], .9):.3f} | {1 / statistics.mean(r['lat']):.2f} | "
              f"{cold_p50} | {r['rss']:.0f} / {cold_rss} | {det:.3f} | {100 * rec['cer_case_insensitive']:.2f} | "
              f"{100 * rec['exact_line_accuracy_case_insensitive']:.1f} |")
    print()
    # Ratios between the same models on both runtimes.
    for s in sets:
        name, peer = f"edgeocr-{s}", f"rapidocr-{s}"
        if peer not in rows:
            continue
        print(f"warm p50 ratio {peer} / {name}: {pct(rows[peer]['lat'], .5) / pct(rows[name]['lat'], .5):.2f}x")
        if name in cold and peer in cold:
            ce = statistics.median(s for s, _ in cold[name])
            cr = statistics.median(s for s, _ in cold[peer])
            print(f"cold process p50 ratio {peer} / {name}: {cr / ce:.2f}x")


if __name__ == "__main__":
    main()
