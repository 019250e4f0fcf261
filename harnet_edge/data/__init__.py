"""Data layer: readers for real recordings, resampling to 30 Hz, windowing (numpy only)."""
from .csv_file import csv_files, read_csv, read_csv_files, write_csv
from .datasets import BENCHMARKS, datasets_root, load_benchmark
from .hmp_adl import read_hmp_adl
from .recording import DataError, Recording, check_units_g, estimate_rate_hz
from .resample import resample_to_rate, resize_window
from .selfback import read_selfback_wrist
from .windows import WindowSet, make_windows, split_at_gaps

__all__ = [
    "BENCHMARKS", "DataError", "Recording", "WindowSet", "check_units_g", "csv_files", "datasets_root",
    "estimate_rate_hz", "load_benchmark", "make_windows", "read_csv", "read_csv_files", "read_hmp_adl",
    "read_selfback_wrist", "resample_to_rate", "resize_window", "split_at_gaps", "write_csv",
]
