"""Export stage: distil HARNet into a student, quantise, write ONNX/TFLite, validate every artefact.

An implementation package: users reach it through ``harnet-edge export`` / ``harnet-edge distil``.
Installed as ``harnet_edge.export``. It may import ``harnet_edge`` (models, data, runtime engines for validation); nothing in
``harnet_edge.runtime`` or ``harnet_edge.firmware_bridge`` imports it.
"""
from harnet_edge.errors import HarnetEdgeError


class ExportError(HarnetEdgeError):
    """An export that cannot be done or whose artefacts failed validation."""
