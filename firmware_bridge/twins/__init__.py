"""Software twins of real wearables: one module per device family, plus shared machinery.

A twin is the test oracle for its protocol class, so it behaves as the vendor documents the device:
it offers only the settings the device offers, refuses the rest with the device's own codes, and
streams from a clock that is not exactly nominal, in frames no larger than the negotiated MTU,
with optional frame loss and reboots (clock restarts). Shared pieces: ``clock`` (a device's own
drifting, restartable sample clock) and ``mtu`` (fitting frames into a notification payload).
"""
