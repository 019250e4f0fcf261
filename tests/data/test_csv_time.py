"""Time in a training CSV restarts per run and per trial, as public datasets write it; a replay keeps one clock."""
import numpy as np
import pytest

from harnet_edge.data import DataError, read_csv
from harnet_edge.data.csv_file import iter_csv_chunks

RATE = 50.0


def rows(subject, label, seconds, start=0.0):
    t = start + np.arange(int(seconds * RATE)) / RATE
    return [f"{ti:.4f},0.1,-0.7,-0.7,{label},{subject}" for ti in t]


def write(path, *runs, column="time", scale=1.0):
    lines = [row for run in runs for row in run]
    if scale != 1.0:
        lines = [f"{float(r.split(',', 1)[0]) * scale:.0f},{r.split(',', 1)[1]}" for r in lines]
    path.write_text(f"{column},x,y,z,label,subject\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("chunk_bytes", [4 << 20, 997])       # 997: blocks split rows and runs mid-line
def test_time_restarting_per_activity_and_per_trial_gives_one_recording_each(tmp_path, chunk_bytes):
    path = write(tmp_path / "s.csv", rows("s1", "walk", 12), rows("s1", "walk", 11),   # two walk trials from 0
                 rows("s1", "sit", 12), rows("s2", "walk", 12, start=5.0))
    recs = read_csv(path, chunk_bytes=chunk_bytes)
    assert [(r.subject, r.label, len(r.t)) for r in recs] == [("s1", "walk", 600), ("s1", "walk", 550),
                                                             ("s1", "sit", 600), ("s2", "walk", 600)]
    assert [r.t[0] for r in recs] == [0.0, 0.0, 0.0, 5.0]
    assert [r.source for r in recs] == ["s.csv:2", "s.csv:602", "s.csv:1152", "s.csv:1752"]


def test_restart_in_millisecond_timestamps(tmp_path):
    path = write(tmp_path / "ms.csv", rows("s1", "walk", 12), rows("s1", "sit", 12), column="time_ms", scale=1e3)
    assert [len(r.t) for r in read_csv(path)] == [600, 600]


@pytest.mark.parametrize("chunk_bytes", [4 << 20, 997])
def test_step_back_inside_a_recording_names_file_and_line(tmp_path, chunk_bytes):
    trial = rows("s1", "walk", 12, start=3.0)
    trial[300] = trial[250]                 # 0.98 s back, but after the trial's first time (3.0 s): a glitch
    path = write(tmp_path / "glitch.csv", rows("s1", "sit", 12), trial)
    with pytest.raises(DataError) as info:
        read_csv(path, chunk_bytes=chunk_bytes)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("glitch.csv: timestamps not strictly increasing at line 902 (0.98 s before line 901")
    assert "recording that began at line 602" in message


def test_repeated_time_at_a_restart_is_still_an_error(tmp_path):
    path = write(tmp_path / "dup.csv", ["0.0000,0,0,1,walk,s1", "0.0200,0,0,1,walk,s1", "0.0200,0,0,1,walk,s1"])
    with pytest.raises(DataError, match=r"line 4 \(same time as line 3\)"):
        read_csv(path)


def test_a_replay_keeps_one_clock(tmp_path):
    """stream --replay plays a device: time going back at a new label is refused, not restarted."""
    path = write(tmp_path / "r.csv", rows("s1", "walk", 12), rows("s1", "sit", 12))
    with pytest.raises(DataError, match=r"not strictly increasing at line 602 \(11\.98 s before line 601; "
                                        r"a clock reset or daylight-saving change\? write UTC or seconds; "
                                        r"a replay is one device's clock: time may not restart at a new subject or "
                                        r"label\)$"):
        list(iter_csv_chunks(path))


def test_simulate_plays_each_recording_of_a_restarting_file_in_turn(tmp_path):
    from types import SimpleNamespace

    from harnet_edge.cli.simulate_cmd import load_signal

    path = write(tmp_path / "s.csv", rows("s1", "walk", 12), rows("s1", "sit", 8))
    signal = load_signal(SimpleNamespace(recording=path, rate=25.0, duration=10))
    assert abs(len(signal) - 20 * 25) <= 2            # 12 s + 8 s at 25 Hz, not the 12 s the clocks overlap in


def test_a_run_of_one_row_holds_no_window_and_stops_nothing(tmp_path):
    """One sample labelled differently inside a long recording (an annotation glitch, a transition
    tag) is a run of one row: no rate, no window, and the rest of the file still trains (main refused
    the whole dataset: "cannot estimate a sample rate from fewer than two distinct timestamps")."""
    from harnet_edge.data.csv_windows import csv_windows

    walk = rows("s1", "walk", 30)
    glitch = walk[1250].rsplit(",", 2)[0] + ",transition,s1"
    path = write(tmp_path / "g.csv", walk[:1250] + [glitch] + walk[1251:])
    windows = csv_windows(path, 10.0, 5.0)
    assert sorted(set(windows.labels.tolist())) == ["walk"]
    assert len(windows) == 4      # the 25 s before the glitch row at 5 s hops; the 5 s after hold none


def test_a_folder_reads_recordings_not_lock_files_or_backup_copies(tmp_path):
    """A CSV open in LibreOffice leaves ``.~lock.NAME.csv#`` beside it, and editors leave ``NAME.csv~``
    or ``NAME.csv.bak``: main's ``*.csv*`` read them, refusing the folder (the lock file) or silently
    reading a backup's rows a second time."""
    import gzip
    import shutil

    from harnet_edge.data import csv_files, read_csv_files

    write(tmp_path / "s1.csv", rows("s1", "walk", 12))
    with gzip.open(tmp_path / "s2.csv.gz", "wt") as f:
        f.write("time,x,y,z,label,subject\n" + "\n".join(rows("s2", "walk", 12)) + "\n")
    for copy in ("s1.csv.bak", "s1.csv~"):
        shutil.copy(tmp_path / "s1.csv", tmp_path / copy)
    (tmp_path / ".~lock.s1.csv#").write_text(",user,host,01.01.2026 10:00,file:///home/user;")
    assert [p.name for p in csv_files(tmp_path)] == ["s1.csv", "s2.csv.gz"]
    assert sorted(r.subject for r in read_csv_files(tmp_path)) == ["s1", "s2"]
