"""Rewrite examples/your_pond/ (seed 2024): the order log, the past and the next A/B test and the
truth, drawn with plain numpy by simlib.example_data (which imports only numpy; its docstring
says what the made-up brand is). An installed simlib writes the same files anywhere with
`simlib example your_pond --out DIR`.

    python examples/make_your_pond.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simlib.example_data import write_your_pond

OUT = Path(__file__).resolve().parent / "your_pond"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    write_your_pond(args.out, args.seed, offers=False)
