"""What the numbers were measured on: enough to compare devices fairly."""
from __future__ import annotations

import os
import platform
from importlib import metadata


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
            # Raspberry Pi / Arm: the board model is the useful name
        with open("/proc/device-tree/model") as fh:
            return fh.read().strip("\x00\n")
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def fingerprint() -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "arch": platform.machine(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "hostname": platform.node(),
            "runtimes": {p: version(p) for p in ("numpy", "onnxruntime", "ai-edge-litert", "tflite-runtime", "torch")
                         if version(p)}}
