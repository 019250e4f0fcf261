"""The ``harnet-edge`` command: the one place that wires data, training, export, runtime and bridge.

Each subcommand lives in its own module with ``register(subparsers)``; heavy imports (torch,
onnx, bumble) happen inside the command, so ``harnet-edge stream`` never loads torch.
"""
from __future__ import annotations

import argparse
import signal
import sys

from .. import __version__
from ..errors import HarnetEdgeError
from . import bench_cmd, collect_cmd, data_cmd, devices_cmd, export_cmd, model_cmd, simulate_cmd, stream_cmd, train_cmd

COMMAND_MODULES = [data_cmd, model_cmd, train_cmd, export_cmd, stream_cmd, devices_cmd, simulate_cmd, collect_cmd,
                   bench_cmd]


class OneLineErrorParser(argparse.ArgumentParser):
    """A bad option is one line on stderr and exit 2 (argparse would print the usage block first).
    Subcommand parsers inherit this class (add_subparsers uses the parent's class)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="harnet-edge",
        description="HARNet activity recognition: train, export, stream from a wearable, benchmark.")
    parser.add_argument("--version", action="version", version=f"harnet-edge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


class Stopped(KeyboardInterrupt):
    """SIGTERM (systemctl stop, kill): handled like Ctrl-C, so every command stops cleanly."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise Stopped(signum)


def interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C/SIGTERM behind ``exc``, if any: a signal that lands while a native extension is being
    imported (onnxruntime) comes back as ImportError('initialization failed') caused by it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def exit_status_for(exc: KeyboardInterrupt) -> int:
    return 128 + getattr(exc, "signum", signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _raise_stopped)
    command = "harnet-edge"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        command = f"harnet-edge {args.command}"
        return int(args.func(args) or 0)
    except HarnetEdgeError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        name = exc.args[0] if isinstance(exc, Stopped) else "SIGINT"
        print(f"{command}: interrupted ({name})", file=sys.stderr)
        return exit_status_for(exc)
    except ImportError as exc:
        stop = interrupt_behind(exc)
        if stop is not None:
            name = stop.args[0] if isinstance(stop, Stopped) else "SIGINT"
            print(f"{command}: interrupted ({name})", file=sys.stderr)
            return exit_status_for(stop)
        if not isinstance(exc, ModuleNotFoundError):
            raise
        extra = {"torch": "train", "onnx": "export", "litert_torch": "export", "bumble": "sim",
                 "matplotlib": "plot", "sklearn": "train", "safetensors": "train", "pylsl": "lsl", "paho": "mqtt"}
        hint = extra.get((exc.name or "").split(".")[0])
        print(f"{command}: error: {exc.name} is not installed"
              + (f"; install it with: pip install 'harnet-edge[{hint}]'" if hint else ""), file=sys.stderr)
        return 2

if __name__ == "__main__":
    sys.exit(main())
