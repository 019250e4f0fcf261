"""The ``harnet-edge`` command: the one place that wires data, training, export, runtime and bridge.

Each subcommand lives in its own module with ``register(subparsers)``; heavy imports (torch,
onnx, bumble) happen inside the command, so ``harnet-edge stream`` never loads torch.
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import HarnetEdgeError
from . import bench_cmd, collect_cmd, data_cmd, devices_cmd, export_cmd, model_cmd, simulate_cmd, stream_cmd, train_cmd

COMMAND_MODULES = [data_cmd, model_cmd, train_cmd, export_cmd, stream_cmd, devices_cmd, simulate_cmd, collect_cmd,
                   bench_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harnet-edge",
        description="HARNet activity recognition: train, export, stream from a wearable, benchmark.")
    parser.add_argument("--version", action="version", version=f"harnet-edge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HarnetEdgeError as exc:
        print(f"harnet-edge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"harnet-edge {args.command}: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        extra = {"torch": "train", "onnx": "export", "litert_torch": "export", "bumble": "sim",
                 "matplotlib": "plot", "sklearn": "train", "safetensors": "train", "pylsl": "lsl", "paho": "mqtt"}
        hint = extra.get((exc.name or "").split(".")[0])
        print(f"harnet-edge {args.command}: error: {exc.name} is not installed"
              + (f"; install it with: pip install 'harnet-edge[{hint}]'" if hint else ""), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
