#!/usr/bin/env python3
"""Soak test of a running `edgeocr serve`: mixed load for a given time, one sample a minute.

Load (all at once, each in its own thread):
  - OCR: valid receipts/pages of every size found under --images (POST /v1/ocr), one client
  - bad inputs: random bytes, truncated JPEG, SVG, invalid UTF-8 paths/params, oversized headers
  - slow clients: connections trickling a header byte a second (the server must close them)
  - archive reads: list, search, one record, its image, CSV
Each minute prints RSS (from /proc/PID/status), request counts, p50/p95 latency and unexpected
statuses; at the end the RSS slope (MiB per 10 min, least squares after the warm-up) and whether
every acknowledged record can still be read back.  Standard library only (tooling, not product).
"""
import argparse, glob, http.client, json, os, random, socket, statistics, sys, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--pid", type=int, required=True)
parser.add_argument("--minutes", type=float, default=60)
parser.add_argument("--warmup", type=float, default=10, help="minutes left out of the RSS slope")
parser.add_argument("--images", default=os.path.join(os.path.dirname(__file__), "../../../shared/eval"))
parser.add_argument("--slow-clients", type=int, default=8)
args = parser.parse_args()

images = sorted(glob.glob(os.path.join(args.images, "**/*.jpg"), recursive=True) +
                glob.glob(os.path.join(args.images, "**/*.png"), recursive=True))
if not images:
    sys.exit("no images under " + args.images)
# every size: spread the picks over the size range
images.sort(key=os.path.getsize)
picked = [images[int(i * (len(images) - 1) / 19)] for i in range(20)]
truncated_source = next(p for p in picked if p.endswith(".jpg") and os.path.getsize(p) > 20000)

lock = threading.Lock()
stats = {}        # kind -> list of (status, seconds) this minute
unexpected = []   # (kind, status, detail)
acknowledged = []  # record ids answered 200
stop = threading.Event()


def note(kind, status, seconds, expected, detail=""):
    with lock:
        stats.setdefault(kind, []).append((status, seconds))
        if status not in expected:
            unexpected.append((kind, status, f"{detail} after {seconds:.1f} s"))


def request(method, path, body=None, headers=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return res.status, data, time.monotonic() - start
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e).encode(), time.monotonic() - start
    finally:
        conn.close()


def multipart(fields, file_bytes, filename, ctype):
    boundary = "soak%016x" % random.getrandbits(64)
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f'Content-Type: {ctype}\r\n\r\n').encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return out, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def ocr_client():
    i = 0
    while not stop.is_set():
        path = picked[i % len(picked)]
        i += 1
        with open(path, "rb") as f:
            body, headers = multipart({"task": "spot"}, f.read(), os.path.basename(path), "image/jpeg")
        status, data, secs = request("POST", "/v1/ocr", body, headers)
        note("ocr", status, secs, {200, 503}, f"POST /v1/ocr {os.path.basename(path)}: {data[:120]!r}")
        if status == 200:
            rid = json.loads(data).get("record_id")
            if rid:
                with lock:
                    acknowledged.append(rid)
        stop.wait(0.5)


def bad_client():
    cases = [
        ("POST", "/v1/ocr", lambda: multipart({}, os.urandom(random.randint(1, 5000)), "x.jpg", "image/jpeg"), {400}),
        ("POST", "/v1/ocr", lambda: multipart({}, open(truncated_source, "rb").read()[:5000], "t.jpg", "image/jpeg"), {400}),
        ("POST", "/v1/ocr", lambda: (b"<svg xmlns='http://www.w3.org/2000/svg'/>", {"Content-Type": "image/svg+xml"}), {415}),
        ("GET", "/%ff%fe", None, {404}),
        ("GET", "/v1/records?limit=%ff", None, {400}),
        ("GET", "/v1/records/%ff", None, {404}),
        ("DELETE", "/healthz", None, {405}),
        ("GET", "/v1/records", lambda: (None, {"X-Big": "a" * 20000}), {431}),
    ]
    while not stop.is_set():
        method, path, make, expected = random.choice(cases)
        body, headers = make() if make else (None, {})
        # A truncated JPEG passes the header probe and waits in the OCR queue like any image,
        # so it gets the OCR client's patience, not a shorter one.
        status, _, secs = request(method, path, body, headers, timeout=120)
        note("bad", status, secs, expected | ({0} if expected == {431} else set()), f"{method} {path}")
        stop.wait(0.3)


def slow_client():
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", args.port), timeout=30)
            start = time.monotonic()
            closed = False
            for ch in "GET /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n":
                try:
                    s.sendall(ch.encode())
                except OSError:
                    closed = True
                    break
                if stop.wait(1.0):
                    break
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        closed = True
                        break
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
                    break
                finally:
                    s.setblocking(True)
            s.close()
            # the whole-head deadline must have closed it (about 10 s)
            note("slow", 1 if closed else 2, time.monotonic() - start, {1} if not stop.is_set() else {1, 2})
        except OSError:
            note("slow", 0, 0, {0})


def archive_reader():
    while not stop.is_set():
        with lock:
            rid = random.choice(acknowledged) if acknowledged else None
        for path in ["/v1/records?limit=20", "/v1/records?q=TOTAL&limit=5"] + (
                [f"/v1/records/{rid}", f"/v1/records/{rid}/image"] if rid else []):
            status, _, secs = request("GET", path)
            note("archive", status, secs, {200, 404}, f"GET {path}")  # 404: never, unless deleted (counted below)
        if random.random() < 0.05:
            status, _, secs = request("GET", "/v1/records.csv?limit=200")
            note("archive", status, secs, {200})
        stop.wait(1.0)


def rss_mib():
    with open(f"/proc/{args.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


threads = [threading.Thread(target=ocr_client), threading.Thread(target=bad_client),
           threading.Thread(target=archive_reader)] + [threading.Thread(target=slow_client) for _ in range(args.slow_clients)]
for t in threads:
    t.daemon = True
    t.start()

samples = []
t0 = time.monotonic()
print("minute  rss_mib  ocr_n  ocr_p50_s  ocr_p95_s  bad_n  archive_n  archive_p95_s  slow_closed  unexpected", flush=True)
minute = 0
while time.monotonic() - t0 < args.minutes * 60:
    time.sleep(max(0.0, t0 + (minute + 1) * 60 - time.monotonic()))
    minute += 1
    try:
        rss = rss_mib()
    except OSError:
        print("server process is gone", flush=True)
        break
    with lock:
        snap = {k: v for k, v in stats.items()}
        stats.clear()
        n_unexpected = len(unexpected)
    samples.append((minute, rss))

    def lat(kind, q):
        xs = sorted(s for st, s in snap.get(kind, []) if st == 200)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
    print(f"{minute:6d} {rss:8.1f} {len(snap.get('ocr', [])):6d} {lat('ocr', .5):10.2f} {lat('ocr', .95):10.2f} "
          f"{len(snap.get('bad', [])):6d} {len(snap.get('archive', [])):10d} {lat('archive', .95):14.3f} "
          f"{sum(1 for st, _ in snap.get('slow', []) if st == 1):12d} {n_unexpected:11d}", flush=True)

stop.set()
time.sleep(2)
after = [(m, r) for m, r in samples if m > args.warmup]
slope = float("nan")
if len(after) >= 2:
    xs = [m for m, _ in after]
    ys = [r for _, r in after]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs) * 10
lost = 0
with lock:
    ids = list(acknowledged)
for rid in ids:
    status, _, _ = request("GET", f"/v1/records/{rid}")
    if status != 200:
        lost += 1
print(f"minutes={minute} rss_first={samples[0][1] if samples else float('nan'):.1f}MiB "
      f"rss_last={samples[-1][1] if samples else float('nan'):.1f}MiB "
      f"rss_slope_after_warmup={slope:.2f}MiB/10min unexpected_statuses={len(unexpected)} "
      f"records_acknowledged={len(ids)} records_lost={lost}")
if unexpected:
    from collections import Counter
    print("unexpected:", dict(Counter((k, st) for k, st, _ in unexpected)))
    for kind, status, detail in unexpected[:20]:
        print(f"  {kind} {status} {detail}")
sys.exit(1 if unexpected or lost else 0)
