"""Training throughput, measured side by side in one run (issue: training on GPU).

1. model step alone (forward + backward + Adam on a fixed batch): fp32 vs bf16 autocast (GPU only);
2. pretext transforms: one window at a time (as a DataLoader worker would) vs batched on the device;
3. end-to-end pretraining steps (sampling from shards + transforms + step).
Prints windows/s for each and the ratios. On a machine without a GPU it says so and measures CPU.

    python scripts/bench_training.py [--variant harnet10] [--batch 256] [--steps 20]
Writes docs/results/training_<cpu|cuda>.json and the README fragment docs/results/training_<cpu|cuda>.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def timed(fn, repeats: int, sync) -> float:
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - t0) / repeats


def main() -> int:
    sys.path.insert(0, ".")
    from readme_results import load_note, machine_load, write_result
    from harnet_edge.train.pretext import apply_pretext
    from harnet_edge.train.pretrain import MultiTaskSSL, PretrainConfig, pretrain

    p = argparse.ArgumentParser()
    p.add_argument("--variant", default="harnet10")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--compile", action="store_true")
    args = p.parse_args()
    load_before = machine_load()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    out = {"device": torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)",
           "variant": args.variant, "batch": args.batch}
    model = MultiTaskSSL(args.variant).to(device)
    if args.compile:
        model = torch.compile(model)
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    x = torch.randn(args.batch, 3, 300 if args.variant == "harnet10" else 150, device=device)
    labels = {t: torch.randint(0, 2, (args.batch,), device=device) for t in ("aot", "permute", "time_w")}

    def step(amp: bool):
        def run():
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda"):
                logits = model(x)
                loss = sum(torch.nn.functional.cross_entropy(logits[t].float(), labels[t]) for t in labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return run

    fp32 = timed(step(False), args.steps, sync)
    out["model_step_fp32_windows_per_s"] = round(args.batch / fp32, 1)
    if device.type == "cuda":
        bf16 = timed(step(True), args.steps, sync)
        out["model_step_bf16_windows_per_s"] = round(args.batch / bf16, 1)
        out["bf16_over_fp32"] = round(fp32 / bf16, 2)
    else:
        out["bf16"] = "not measured: no GPU on this machine (bf16 autocast is used on CUDA only)"

    windows = torch.randn(args.batch, 3, x.shape[2])
    per_window = timed(lambda: [apply_pretext(w[None]) for w in windows], 2, lambda: None)
    batched = timed(lambda: apply_pretext(windows.to(device)), 10, sync)
    out["pretext_per_window_cpu_windows_per_s"] = round(args.batch / per_window, 1)
    out["pretext_batched_on_device_windows_per_s"] = round(args.batch / batched, 1)
    out["pretext_batched_over_per_window"] = round(per_window / batched, 1)

    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        shards = []
        for s in range(8):
            path = Path(tmp) / f"s{s}.npy"
            np.save(path, rng.normal(0, 0.3, (512, 3, x.shape[2])).astype(np.float32))
            shards.append(path)
        cfg = PretrainConfig(variant=args.variant, steps=args.steps, batch_size=args.batch, workers=2,
                             show_progress=False, compile=args.compile)
        summary = pretrain(shards, Path(tmp) / "ssl", cfg, log=lambda *_: None)
    out["end_to_end_pretrain_windows_per_s"] = round(summary["windows_per_s"], 1)
    print(json.dumps(out, indent=2))
    command = "python scripts/bench_training.py" + "".join(
        f" --{k} {getattr(args, k)}" for k, v in (("variant", "harnet10"), ("batch", 256), ("steps", 20))
        if getattr(args, k) != v) + (" --compile" if args.compile else "")
    out["command"] = command
    out["machine_load"] = {"start": load_before, "end": machine_load()}
    bf16 = (f"bf16 autocast step {out['model_step_bf16_windows_per_s']:,.1f} windows/s "
            f"({out['bf16_over_fp32']:.2f}x fp32); " if "bf16_over_fp32" in out else "bf16 not measured (no GPU); ")
    write_result(f"training_{device.type}", out, (
        f"- Training throughput on {out['device']} (`{command}`): {args.variant} fp32 step "
        f"{out['model_step_fp32_windows_per_s']:,.1f} windows/s; {bf16}pretext transforms "
        f"{out['pretext_per_window_cpu_windows_per_s']:,.0f} windows/s one window at a time against "
        f"{out['pretext_batched_on_device_windows_per_s']:,.0f} batched on the device "
        f"({out['pretext_batched_over_per_window']:.1f}x); end-to-end pretraining "
        f"{out['end_to_end_pretrain_windows_per_s']:,.1f} windows/s "
        f"({load_note(out['machine_load']['start'], out['machine_load']['end'])})."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
