"""Streaming runtime: runs next to the wearable with numpy + onnxruntime/TFLite, never torch."""
from .engines import Engine, OnnxEngine, TFLiteEngine, open_engine
from .model_info import ModelFileError, ModelInfo, read_model_info

__all__ = ["Engine", "ModelFileError", "ModelInfo", "OnnxEngine", "TFLiteEngine", "open_engine", "read_model_info"]
