"""Benchmark every variant the same way: latency (threads x batch), throughput, size, cold start,
peak memory and, given labelled data, accuracy and agreement with the fp32 reference."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ..formats import FORMATS, format_of
from ..runtime.engines import open_engine
from ..runtime.model_info import ModelFileError
from .fingerprint import fingerprint
from .measure import TorchReference, accuracy, cold_start, latency_stats, timed_runs


TORCH_REFERENCE_SUFFIX = ".safetensors"


def discover(models: list[Path]) -> list[Path]:
    """Model files given or found in folders: every format of harnet_edge.formats, plus PyTorch checkpoints."""
    found = []
    for m in models:
        if m.is_dir():
            found += sorted(p for p in m.iterdir() if format_of(p) or p.suffix == TORCH_REFERENCE_SUFFIX)
        elif m.is_file():
            found.append(m)
        else:
            raise ModelFileError(f"model file not found: {m}")
    if not found:
        kinds = "/".join([f.suffix for f in FORMATS.values()] + [TORCH_REFERENCE_SUFFIX])
        raise ModelFileError(f"no {kinds} models in {', '.join(map(str, models))}")
    return found


def family(path: Path) -> str:
    """Variants of one model share the stem before _fp32/_int8 (cnn-small_int8.onnx -> cnn-small)."""
    return path.stem.replace("_fp32", "").replace("_int8", "")


def open_variant(path: Path, threads: int):
    if path.suffix == TORCH_REFERENCE_SUFFIX:
        ref = TorchReference(path, threads)
        return ref, {"classes": ref.classes, "window_samples": ref.window_samples, "quantisation": "fp32",
                     "variant": ref.variant, "backend": "pytorch", "recorded": {}}
    engine = open_engine(path, threads=threads)
    info = engine.info
    return engine, {"classes": list(info.classes), "window_samples": info.window_samples,
                    "quantisation": info.quantisation, "variant": info.variant, "backend": engine.backend,
                    "recorded": info.extra.get("heldout_scores") or info.extra.get("evaluation") or {}}


def bench_variant(path: Path, threads_list: list[int], batches: list[int], seconds: float, data, log) -> dict:
    result = {"file": path.name, "family": family(path), "size_bytes": path.stat().st_size, "latency": {}}
    rng = np.random.default_rng(0)
    info = None
    for threads in threads_list:
        runner, opened = open_variant(path, threads)
        if info is None:
            info = opened
            result.update(info)
        for batch in batches:
            x = (rng.normal(0, 0.3, (batch, 3, info["window_samples"])) + np.array([0, 0, 1.0])[None, :, None]).astype(np.float32)
            t0 = time.perf_counter()
            runner.run(x)
            once = max(time.perf_counter() - t0, 1e-5)
            repeats = int(np.clip(seconds / once, 10, 2000))
            stats = latency_stats(timed_runs(runner.run, x, repeats), batch)
            result["latency"][f"threads={threads},batch={batch}"] = stats
            log(f"  {path.name:<28} threads {threads:<2} batch {batch:<3} p50 {stats['p50_ms']:8.3f} ms/window  "
                f"{stats['windows_per_s']:9.0f} windows/s")
    if path.suffix != TORCH_REFERENCE_SUFFIX:
        result["cold_start"] = cold_start(path)
    if data is not None:
        x, y, classes = data
        model_classes = list(info["classes"])
        if not set(classes) <= set(model_classes):
            result["accuracy"] = {"skipped": f"data labels {sorted(set(classes) - set(model_classes))} are not "
                                             f"among the model's classes {model_classes}"}
            log(f"  accuracy not measured: {result['accuracy']['skipped']}")
        else:
            runner, _ = open_variant(path, os.cpu_count() or 1)
            result["probs"] = np.concatenate([runner.run(x[a:a + 64]) for a in range(0, len(x), 64)])
            # Data with some of the model's classes (a walking-only recording) are scored in the model's indices.
            result["y"] = np.array([model_classes.index(c) for c in classes], dtype=int)[y]
    return result


def run_bench(models: list[Path], out_dir: Path, threads_list, batches, seconds: float = 1.0, data=None,
              data_note: str = "", log=print) -> dict:
    paths = discover(models)
    results, interrupted = [], False
    log(f"benchmarking {len(paths)} variants on {fingerprint()['cpu']}")
    try:
        for i, path in enumerate(paths):
            log(f"[{i + 1}/{len(paths)}] {path.name}")
            results.append(bench_variant(path, threads_list, batches, seconds, data, log))
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: keeping what was measured")
    if data is not None:
        _, y, _ = data
        references = {r["family"]: r["probs"] for r in results if "probs" in r and r["quantisation"] == "fp32"
                      and r["backend"] == "pytorch"}
        references.update({r["family"]: r["probs"] for r in results if "probs" in r and r["quantisation"] == "fp32"
                           and r["family"] not in references})
        for r in results:
            if "probs" in r:
                r["accuracy"] = accuracy(r.pop("probs"), r.pop("y"), references.get(r["family"]))
                r["accuracy"]["source"] = f"measured now: {data_note}"
    report = {"device": fingerprint(), "created": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results,
              "interrupted": interrupted}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(report, indent=2))
    return report
