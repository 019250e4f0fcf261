"""Model zoo: HARNet5/10/30 (published-checkpoint compatible) and small students."""
from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint, save_published_layout
from .cost import count_macs, count_parameters
from .harnet import HARNet, VARIANTS, feature_size, window_samples

__all__ = [
    "HARNet", "VARIANTS", "CheckpointError", "count_macs", "count_parameters", "feature_size", "window_samples",
    "load_checkpoint", "save_checkpoint", "save_published_layout",
]
