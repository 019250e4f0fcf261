"""The CSV reader works a block at a time: same result as one block, bounded memory, exact line numbers."""
import gzip

import numpy as np
import pytest

from harnet_edge.data import DataError, read_csv, resample_to_rate, write_csv
from harnet_edge.data.csv_file import iter_csv_chunks


def labelled_file(path, n=3000):
    t = np.arange(n) / 50.0
    xyz = np.stack([np.sin(t), np.cos(t), -np.ones(n)], axis=1)
    labels = np.where(np.arange(n) < n // 3, "walk", np.where(np.arange(n) < 2 * n // 3, "sit", "walk"))
    rows = [f"{a:.4f},{b:.5f},{c:.5f},{d:.5f},{lab},s{i // 2000}" for i, (a, (b, c, d), lab) in
            enumerate(zip(t, xyz, labels))]
    text = "time,x,y,z,label,subject\n" + "\n".join(rows) + "\n"
    path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())
    return t, xyz


@pytest.mark.parametrize("name", ["rec.csv", "rec.csv.gz"])
def test_small_blocks_give_the_same_recordings_as_one_block(tmp_path, name):
    t, xyz = labelled_file(tmp_path / name)
    whole = read_csv(tmp_path / name)
    pieces = read_csv(tmp_path / name, chunk_bytes=997)      # blocks split rows mid-line
    assert [(r.label, r.subject, len(r.t)) for r in whole] == [(r.label, r.subject, len(r.t)) for r in pieces]
    assert [(r.label, r.subject) for r in whole] == [("walk", "s0"), ("sit", "s0"), ("walk", "s1")]
    assert np.allclose(np.concatenate([r.t for r in pieces]), t)
    assert np.allclose(np.concatenate([r.xyz for r in pieces]), xyz, atol=1e-5)


def test_blocks_bound_the_rows_held_at_once(tmp_path):
    path = tmp_path / "long.csv"
    write_csv(path, np.arange(200_000) / 100.0, np.tile([0.0, 0.0, 1.0], (200_000, 1)))
    sizes = [len(c.t) for c in iter_csv_chunks(path, chunk_bytes=64 << 10)]
    assert sum(sizes) == 200_000 and max(sizes) < 3000      # ~30 bytes a row: 64 KiB is ~2,200 rows


def test_problem_in_a_later_block_names_its_line(tmp_path):
    path = tmp_path / "late.csv"
    t = np.arange(5000) / 50.0
    xyz = np.tile([0.0, 0.0, 1.0], (5000, 1))
    xyz[4321, 0] = np.nan
    write_csv(path, t, xyz)
    with pytest.raises(DataError, match=r"first at line 4323\)"):
        read_csv(path, chunk_bytes=4096)


def test_iso_times_across_blocks_count_from_the_first_stamp(tmp_path):
    stamps = np.datetime64("2016-04-13T10:31:57.494") + np.arange(400) * np.timedelta64(10, "ms")
    path = tmp_path / "iso.csv"
    path.write_text("time,x,y,z\n" + "".join(f"{str(s).replace('T', ' ')},0,0,1\n" for s in stamps))
    [rec] = read_csv(path, chunk_bytes=512)
    assert np.allclose(rec.t, np.arange(400) * 0.01)


def test_offline_resampling_refuses_rather_than_allocates():
    """A 2-minute 50 Hz recording in epoch microseconds would be 3.6e9 samples at 30 Hz (tens of GB)."""
    t = 1.7e15 + np.arange(6000) * 20_000.0
    with pytest.raises(DataError, match="as microseconds they would be 50 Hz"):
        resample_to_rate(t, np.zeros((6000, 3)))


@pytest.mark.parametrize("spoil, message", [("back", "not strictly increasing at line 2502"),
                                            ("nan", "NaN or infinite \\(first at line 2502\\)")])
def test_rows_before_a_bad_row_in_the_same_block_are_delivered_then_the_error(tmp_path, spoil, message):
    """A replay keeps what came before a clock reset or a NaN: the good head of the failing block is
    yielded first (it used to be dropped with the block, up to 4 MB of rows nobody classified)."""
    t = np.arange(3000) / 50.0
    xyz = np.tile([0.0, 0.0, -1.0], (3000, 1))
    if spoil == "back":
        t[2500:] -= 10.0
    else:
        xyz[2500, 0] = np.nan
    write_csv(tmp_path / "rec.csv", t, xyz)
    delivered = []
    with pytest.raises(DataError, match=message):
        for chunk in iter_csv_chunks(tmp_path / "rec.csv", chunk_bytes=1 << 20):   # one block holds it all
            delivered.append(chunk.t)
    assert np.allclose(np.concatenate(delivered), t[:2500])
