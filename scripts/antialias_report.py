"""Measure the anti-aliasing low-pass shared by the live and offline resamplers.

For 50, 52 and 100 Hz input: the design's attenuation at 10/15/16/20 Hz, and, end to end, how much
of a 16/18/20 Hz tone (which would fold to 14/12/10 Hz) survives resampling to 30 Hz in each path.
Writes docs/results/antialias.json and the README fragment docs/results/antialias.md.

    python scripts/antialias_report.py
"""
from __future__ import annotations

import numpy as np

from harnet_edge.data import resample_to_rate
from harnet_edge.data.antialias import antialias_taps, group_delay_s, response_db
from harnet_edge.runtime.resampler import Resampler30Hz
from readme_results import write_result

RATES = (50.0, 52.0, 100.0)
DESIGN_FREQS = (10.0, 15.0, 16.0, 20.0)
TONES = (16.0, 18.0, 20.0)


def tone(rate, freq, seconds=30.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    xyz = np.zeros((len(t), 3))
    xyz[:, 0] = amplitude * np.sin(2 * np.pi * freq * t + 0.3)
    xyz[:, 2] = 1.0
    return t, xyz


def surviving_db(out_x, amplitude=0.5):
    return float(20 * np.log10(np.sqrt(2) * np.std(out_x[60:-60, 0]) / amplitude))


def live(t, xyz, burst=9):
    r = Resampler30Hz()
    return np.concatenate([r.push(t[a:a + burst], xyz[a:a + burst]).x for a in range(0, len(t), burst)])


def main() -> None:
    rows = []
    for rate in RATES:
        taps = antialias_taps(rate)
        design = dict(zip(map(str, DESIGN_FREQS), (float(v) + 0.0 for v in response_db(taps, rate, DESIGN_FREQS).round(1))))
        tones = {}
        for freq in TONES:
            t, xyz = tone(rate, freq)
            tones[str(freq)] = {"live": round(surviving_db(live(t, xyz)), 1),
                                "offline": round(surviving_db(resample_to_rate(t, xyz)[1]), 1)}
        rows.append({"rate_hz": rate, "taps": len(taps), "group_delay_s": round(group_delay_s(rate), 3),
                     "design_db": design, "tone_db": tones})
    lines = ["| input | taps | group delay | design dB at 10 / 15 / 16 / 20 Hz | 16 / 18 / 20 Hz tone after "
             "resampling, live (offline), dB |", "|---|---|---|---|---|"]
    for r in rows:
        design = " / ".join(f"{r['design_db'][str(f)]:g}" for f in DESIGN_FREQS)
        tones = " / ".join(f"{r['tone_db'][str(f)]['live']:g} ({r['tone_db'][str(f)]['offline']:g})" for f in TONES)
        lines.append(f"| {r['rate_hz']:g} Hz | {r['taps']} | {r['group_delay_s']:.2f} s | {design} | {tones} |")
    lines.append("\nMeasured by `python scripts/antialias_report.py` (docs/results/antialias.json).")
    write_result("antialias", {"command": "python scripts/antialias_report.py", "rates": rows}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
