#!/usr/bin/env python3
"""Turns bench/run.sh's measurements into the markdown report.

usage: report.py META.tsv RESULTS.tsv
  META     key<TAB>value lines (date, machine, load, runs, version, skipped, note), in order
  RESULTS  label<TAB>tool<TAB>run<TAB>wall microseconds<TAB>peak RSS kB, one line per timed run
"""
import statistics
import sys
from collections import OrderedDict

PEERS = [("buildkit", "BuildKit"), ("buildah", "buildah")]
# csbuild/BuildKit targets of issue 9; every scenario has <= 0.5x buildah; "push (2nd)" is an absolute target.
BUILDKIT_TARGETS = {"noop": 0.7, "touch": 0.7, "mtime": 0.7, "runs": 1.0, "big": 0.5, "push": 0.3, "context10k": 0.7}
BUILDAH_TARGET = 0.5
SECOND_PUSH_MS = 100
RSS_TARGET_MB = 200


def read_meta(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t", 1) for line in f if "\t" in line]


def read_results(path):
    """label -> tool -> list of (ms, rss MB), labels in the order they were measured."""
    results = OrderedDict()
    with open(path) as f:
        for line in f:
            label, tool, _run, us, rss_kb = line.rstrip("\n").split("\t")
            results.setdefault(label, OrderedDict()).setdefault(tool, []).append((int(us) / 1000, int(rss_kb) / 1024))
    return results


def mark(ok):
    return "✓" if ok else "✗"


def fmt_ms(ms):
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def scenario_of(label):
    return label.split(" ")[0]


def main(meta_path, results_path):
    meta = read_meta(meta_path)
    results = read_results(results_path)
    peers = [(key, name) for key, name in PEERS if any(key in tools for tools in results.values())]
    date = next((v for k, v in meta if k == "date"), "")
    out = [f"# csbuild benchmark, {date}", ""]
    for key, value in meta:
        if key != "date":
            out.append(f"- {key}: {value}")
    out.append("")

    header = ["scenario", "csbuild ms"]
    for _, name in peers:
        header += [f"{name} ms", f"csbuild/{name}", "target"]
    header += ["csbuild peak RSS"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for label, tools in results.items():
        own = tools.get("csbuild", [])
        own_ms = statistics.median(ms for ms, _ in own) if own else None
        row = [label, fmt_ms(own_ms) if own else "–"]
        for key, name in peers:
            runs = tools.get(key)
            if not runs or own_ms is None:
                row += [fmt_ms(statistics.median(ms for ms, _ in runs)) if runs else "–", "–", "–"]
                continue
            peer_ms = statistics.median(ms for ms, _ in runs)
            ratio = own_ms / peer_ms
            if label == "push (2nd)":
                target = f"≤ {SECOND_PUSH_MS} ms {mark(own_ms <= SECOND_PUSH_MS)}" if key == "buildkit" else \
                    f"≤ {BUILDAH_TARGET}x {mark(ratio <= BUILDAH_TARGET)}"
            else:
                limit = BUILDKIT_TARGETS.get(scenario_of(label)) if key == "buildkit" else BUILDAH_TARGET
                target = f"≤ {limit}x {mark(ratio <= limit)}" if limit is not None else ""
            row += [fmt_ms(peer_ms), f"{ratio:.2f}x", target]
        peak = max(rss for _, rss in own) if own else None
        row.append(f"{peak:.0f} MB {mark(peak < RSS_TARGET_MB)}" if peak is not None else "–")
        out.append("| " + " | ".join(row) + " |")

    out += ["", "Wall-clock medians in milliseconds. Peak RSS is csbuild's own (`/usr/bin/time -f %M`, the largest of "
            f"its timed runs; target < {RSS_TARGET_MB} MB). It is not given for the peers: the docker client does no "
            "building (dockerd and its BuildKit do), so its RSS says nothing comparable."
            + (f" \"push (2nd)\" is the same push again, unchanged; its target is ≤ {SECOND_PUSH_MS} ms."
               if "push (2nd)" in results else ""), "",
            "## Every run (ms)", "", "| scenario | tool | runs |", "|---|---|---|"]
    order = ["csbuild"] + [key for key, _ in PEERS]
    for label, tools in results.items():
        for tool, runs in sorted(tools.items(), key=lambda item: order.index(item[0])):
            out.append(f"| {label} | {tool} | {', '.join(fmt_ms(ms) for ms, _ in runs)} |")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
