"""harnet-edge: HARNet activity recognition from GPU training to real-time use on the edge.

Import-light on purpose: ``import harnet_edge`` (and ``harnet_edge.runtime``) never imports torch,
so the device-side install runs without it. Torch-using parts live in ``harnet_edge.models``,
``harnet_edge.train`` and ``harnet_edge.export``.
"""
__version__ = "0.1.0"
