#!/usr/bin/env python3
"""Writes one benchmark build context, deterministically (fixed seeds): the same bytes on every machine and run.

usage: generate.py KIND SCALE DIR
  rebuild     2,000 files of 20 kB (40 MB) under src/, two-stage Dockerfile (scenarios noop, mtime, touch)
  runs        ten small RUN steps, no context files (scenario runs)
  big         SCALE x 300 MB under data/: half random bytes (incompressible), half text (compressible), 1 MB files
  context10k  SCALE x 10,000 small text files (100 B - 2 kB) under files/, COPY then one RUN
The Dockerfiles all start FROM busybox:latest, the image every tool imports from the same rootfs tarball.
"""
import os
import random
import sys

MB = 1 << 20


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def dockerfile(root, text):
    write(os.path.join(root, "Dockerfile"), text.encode())


def rebuild(root, scale):
    # The context of the former bench/rebuild.sh, byte for byte (seed 42, same file order).
    rng = random.Random(42)
    for i in range(2000):
        write(os.path.join(root, "src", f"pkg{i // 100:02d}", f"file{i:04d}.txt"), rng.randbytes(20_000))
    dockerfile(root, "FROM busybox:latest AS build\nWORKDIR /src\nCOPY src/ ./\nRUN find . -type f | wc -l > /count\n\n"
                     "FROM busybox:latest\nCOPY --from=build /count /count\nCOPY src/pkg00 /app/pkg00\nCMD [\"cat\", \"/count\"]\n")


def runs(root, scale):
    steps = "".join(f"RUN echo step{i} > /step{i} && cat /step{i} >> /steps\n" for i in range(10))
    dockerfile(root, "FROM busybox:latest\n" + steps)


def text_lines(rng, words, size):
    """About `size` bytes of word salad, line by line (random words: gzip gets it to about half)."""
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choices(words, k=12)) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def word_list(rng, count):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(count)]


def big(root, scale):
    rng = random.Random(300)
    words = word_list(rng, 5000)
    files = 150 * scale
    for i in range(files):
        write(os.path.join(root, "data", "random", f"d{i // 100:03d}", f"blob{i:05d}.bin"), rng.randbytes(MB))
    for i in range(files):
        write(os.path.join(root, "data", "text", f"d{i // 100:03d}", f"text{i:05d}.txt"), text_lines(rng, words, MB))
    dockerfile(root, "FROM busybox:latest\nCOPY data/ /data/\n")


def context10k(root, scale):
    rng = random.Random(10_000)
    words = word_list(rng, 2000)
    for i in range(10_000 * scale):
        write(os.path.join(root, "files", f"dir{i // 100:04d}", f"f{i:06d}.txt"),
              text_lines(rng, words, rng.randint(100, 2048)))
    dockerfile(root, "FROM busybox:latest\nCOPY files/ /app/\nRUN find /app -type f | wc -l > /count\n")


KINDS = {"rebuild": rebuild, "runs": runs, "big": big, "context10k": context10k}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    KINDS[sys.argv[1]](sys.argv[3], int(sys.argv[2]))
