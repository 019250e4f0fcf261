"""Fuzz every BLE decoder with random and mutated packets (issue: firmware_bridge robustness).

    python scripts/fuzz_decoders.py [--packets 1000000]
Prints, per decoder: packets tried, decoded, rejected (counted as malformed), crashes (exceptions);
writes docs/results/fuzz.json and the README fragment docs/results/fuzz.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def main() -> int:
    sys.path.insert(0, ".")
    from readme_results import write_result
    from harnet_edge.firmware_bridge import polar_pmd, reference_profile as ref

    p = argparse.ArgumentParser()
    p.add_argument("--packets", type=int, default=1_000_000)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    seeds = {
        "reference": [ref.encode_packet(s, s * 20000, rng.integers(-4096, 4096, (n, 3))) for s, n in
                      ((1, 2), (2, 31), (3, 15))],
        "polar": [polar_pmd.encode_acc_frame(10**17 + k, np.cumsum(rng.integers(-200, 200, (36, 3)), 0), compressed=c)
                  for k, c in ((1, True), (2, False))],
    }
    results = {}
    for name in ("reference", "polar"):
        decoder = ref.ReferenceDecoder(ref.StreamInfo(50.0, 4096, 8)) if name == "reference" else polar_pmd.PolarAccDecoder()
        crashes, decoded, t0 = 0, 0, time.perf_counter()
        lengths = rng.integers(0, 250, args.packets)
        for i in range(args.packets):
            if i % 2:
                data = rng.bytes(int(lengths[i]))
            else:
                data = bytearray(seeds[name][i % len(seeds[name])])
                for _ in range(1 + i % 4):                       # 1-4 byte mutations...
                    data[rng.integers(0, len(data))] = rng.integers(0, 256)
                if i % 3 == 0:                                   # ...and truncation or extension
                    data = data[:rng.integers(0, len(data) + 1)] if i % 6 == 0 else data + rng.bytes(i % 7)
                data = bytes(data)
            try:
                out = decoder.decode(data)
                if out is not None:
                    decoded += 1
                    assert np.isfinite(out.xyz).all() and len(out.t) == len(out.xyz)
            except Exception:                                   # a crash: what this script hunts for
                crashes += 1
        results[name] = {"packets": args.packets, "decoded": decoded, "rejected_and_counted": decoder.malformed,
                         "crashes": crashes, "seconds": round(time.perf_counter() - t0, 1)}
        print(json.dumps({name: results[name]}), flush=True)
    command = "python scripts/fuzz_decoders.py" + ("" if args.packets == 1_000_000 else f" --packets {args.packets}")
    crashes = sum(r["crashes"] for r in results.values())
    counted = all(r["decoded"] + r["rejected_and_counted"] + r["crashes"] >= r["packets"] for r in results.values())
    per_decoder = "; ".join(f"{name}: {r['decoded']:,} decoded, {r['rejected_and_counted']:,} rejected and counted, "
                            f"{r['crashes']} crashes" for name, r in results.items())
    write_result("fuzz", {"command": command, "results": results}, (
        f"- BLE decoders fuzzed (`{command}`): {args.packets:,} random and mutated packets per decoder, "
        f"{crashes} crashes ({per_decoder}); every packet either decoded or "
        f"{'counted as malformed' if counted else 'NOT ALWAYS counted'}."))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
