"""harnet_edge.firmware_bridge (folder firmware_bridge/): everything between a wearable's firmware and the streaming runtime.

Protocols turn notification bytes into timestamped samples in g (``reference_profile``,
``polar_pmd`` with ``polar_control``, ``movesense``, ``metamotion``, ``banglejs``; ``pinetime`` is
recognised and refused); transports carry GATT over a real radio (``bleak_transport``) or the software
Bluetooth stack (``bumble_transport``); ``session`` keeps one device streaming through disconnects;
``wearable`` runs a software device twin (``twins``: the reference firmware, Polar models) as a
peripheral for tests and demos, and ``twin_<family>`` (on ``family_twin``) is a strict software twin of
each other vendor device. Never imports torch.
"""
