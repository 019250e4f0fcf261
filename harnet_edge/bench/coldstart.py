"""Run in a fresh interpreter: import + load + first inference time, and peak resident memory.

    python -m harnet_edge.bench.coldstart MODEL
prints one JSON line. Separate process, so nothing measured before is already imported or cached.
"""
from __future__ import annotations

import json
import resource
import sys
import time


def peak_rss_kb() -> int:
    """This process's own peak resident set (VmHWM). getrusage's ru_maxrss can carry over the
    parent's peak across fork + exec, which would charge the benchmark's own memory to the model."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # macOS reports bytes here; rare path


def main(path: str) -> None:
    t0 = time.perf_counter()
    import numpy as np

    from harnet_edge.runtime.engines import open_engine

    t_import = time.perf_counter()
    engine = open_engine(path, threads=1, warm_up=False)
    t_load = time.perf_counter()
    x = np.zeros((1, 3, engine.info.window_samples), np.float32)
    x[:, 2] = 1
    engine.run(x)
    t_first = time.perf_counter()
    for _ in range(20):
        engine.run(x)
    rss_kb = peak_rss_kb()
    print(json.dumps({"import_s": t_import - t0, "load_s": t_load - t_import, "first_inference_s": t_first - t_load,
                      "cold_start_s": t_first - t0, "peak_rss_mb": rss_kb / 1024,
                      "torch_imported": "torch" in sys.modules}))


if __name__ == "__main__":
    main(sys.argv[1])
