"""``harnet-edge bench``: accuracy versus latency, size and memory of model variants on this device."""
