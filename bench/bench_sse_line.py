"""How SSE line buffering grows with the length of one line.

Feeds a single ``data:`` line of N bytes to the SSE decoder in 4 KB reads,
as a slow network would deliver it, for N = 0.75 MB and 3 MB (under the
decoder's 4 MB line cap), and prints the times and their ratio. Linear
buffering gives a ratio near 4; buffering that re-joins the line on every
read grows with the square (near 16).

    .venv/bin/python bench/bench_sse_line.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from starmap_tui.worker.providers.sse import SSEDecoder

READ = 4096


def feed_one_line(size: int) -> float:
    """Seconds to decode one ``size``-byte data line arriving in 4 KB reads."""
    decoder = SSEDecoder()
    piece = b"x" * READ
    started = time.perf_counter()
    decoder.feed(b"data: ")
    for _ in range(size // READ):
        decoder.feed(piece)
    events = decoder.feed(b"\n\n")
    elapsed = time.perf_counter() - started
    assert len(events) == 1 and len(events[0].data) == size // READ * READ
    return elapsed


def main() -> None:
    """Time both sizes, take medians, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    small, large = 768 << 10, 3 << 20
    times = {
        size: statistics.median(feed_one_line(size) for _ in range(args.rounds))
        for size in (small, large)
    }
    print(f"0.75 MB line: {times[small] * 1000:7.1f} ms")
    print(f"3 MB line:    {times[large] * 1000:7.1f} ms")
    ratio = times[large] / times[small]
    print(f"3 MB / 0.75 MB = {ratio:.1f}  (linear ~4, quadratic ~16; target <= 6)")


if __name__ == "__main__":
    main()
