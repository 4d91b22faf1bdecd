#!/usr/bin/env python3
"""Checks from a build's output that a tool did the work the scenario is about, so every tool is timed on the same job.

usage: check_steps.py TOOL EXPECT LOG
  TOOL    csbuild or buildkit (plain progress: "#N [stage i/n] RUN ..." then "#N CACHED" or "#N DONE 0.1s"),
          or buildah ("[stage/n] STEP i/n: RUN ..." then "--> Using cache ID" when cached)
  EXPECT  all-cached  no RUN, COPY or ADD step ran
          some-ran    at least one of them ran
          any         no check
Exits 1 with a one-line reason when the output says otherwise.
"""
import re
import sys

STEP_WORDS = ("RUN", "COPY", "ADD")
VERTEX_HEADER = re.compile(r"^#(\d+) \[[^\]]*\d+/\d+\] (\w+)")
VERTEX_STATE = re.compile(r"^#(\d+) (CACHED|DONE)\b")
BUILDAH_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (\w+)")  # "[1/2] STEP 3/4: RUN" in multi-stage builds


def vertex_steps(lines):
    """(instruction, cached) of every RUN/COPY/ADD vertex in BuildKit-style plain progress."""
    words, states = {}, {}
    for line in lines:
        if m := VERTEX_HEADER.match(line):
            words[m.group(1)] = m.group(2).upper()
        elif m := VERTEX_STATE.match(line):
            states[m.group(1)] = m.group(2)
    return [(word, states.get(vid) == "CACHED") for vid, word in words.items() if word in STEP_WORDS]


def buildah_steps(lines):
    """(instruction, cached) of every RUN/COPY/ADD step in buildah bud output: cached when "Using cache" follows."""
    steps = []
    for i, line in enumerate(lines):
        if (m := BUILDAH_STEP.match(line)) and m.group(1).upper() in STEP_WORDS:
            following = next((l for l in lines[i + 1:] if l.startswith("-->") or BUILDAH_STEP.match(l)), "")
            steps.append((m.group(1).upper(), following.startswith("--> Using cache")))
    return steps


def main(tool, expect, log):
    if expect == "any":
        return 0
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    steps = buildah_steps(lines) if tool == "buildah" else vertex_steps(lines)
    if not steps:
        print(f"{tool}: no RUN/COPY/ADD step found in the build output", file=sys.stderr)
        return 1
    ran = [word for word, cached in steps if not cached]
    if expect == "all-cached" and ran:
        print(f"{tool}: {len(ran)} step(s) ran ({', '.join(ran)}) in what should be a full cache hit", file=sys.stderr)
        return 1
    if expect == "some-ran" and not ran:
        print(f"{tool}: every step was cached in what should be a rebuild", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[2] not in ("all-cached", "some-ran", "any"):
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
