"""The store-and-forward queue: order, bound, and surviving a restart (a new process opening the file)."""
import subprocess
import sys

from harnet_edge.fleet.disk_queue import DiskQueue


def test_queue_keeps_order_and_survives_reopening(tmp_path):
    path = tmp_path / "q.sqlite"
    code = ("import sys; from harnet_edge.fleet.disk_queue import DiskQueue; q = DiskQueue(sys.argv[1]);"
            "[q.put('t', str(i).encode()) for i in range(5)]")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)   # another process, then gone
    queue = DiskQueue(path)
    assert len(queue) == 5
    rows = queue.peek(0, 10)
    assert [p for _, _, p in rows] == [b"0", b"1", b"2", b"3", b"4"]
    queue.remove(rows[1][0])
    assert [p for _, _, p in queue.peek(rows[0][0], 10)] == [b"2", b"3", b"4"]
    assert len(queue) == 4


def test_full_queue_drops_the_oldest_and_counts_them(tmp_path):
    queue = DiskQueue(tmp_path / "q.sqlite", max_messages=3)
    for i in range(5):
        queue.put("t", str(i).encode())
    assert [p for _, _, p in queue.peek(0, 10)] == [b"2", b"3", b"4"]
    assert queue.dropped == 2 and len(queue) == 3


def test_a_queue_path_that_cannot_hold_a_queue_is_a_one_line_error(tmp_path):
    import pytest

    from harnet_edge.errors import HarnetEdgeError

    (tmp_path / "folder.sqlite").mkdir()
    (tmp_path / "corrupt.sqlite").write_bytes(b"not a database, " * 64)
    (tmp_path / "file").write_text("")
    for path in (tmp_path / "folder.sqlite", tmp_path / "corrupt.sqlite", tmp_path / "file" / "q.sqlite"):
        with pytest.raises(HarnetEdgeError, match="cannot be used as a queue"):   # was a sqlite3/OS traceback
            DiskQueue(path)


def test_two_gateways_cannot_share_one_queue_file(tmp_path):
    import pytest

    from harnet_edge.errors import HarnetEdgeError

    # Shared, they deleted each other's rows and miscounted (len() went negative); now: one line.
    first = DiskQueue(tmp_path / "q.sqlite")
    code = "import sys; from harnet_edge.fleet.disk_queue import DiskQueue; DiskQueue(sys.argv[1])"
    other = subprocess.run([sys.executable, "-c", code, str(tmp_path / "q.sqlite")], capture_output=True, text=True)
    assert other.returncode != 0 and "in use by another gateway" in other.stderr
    with pytest.raises(HarnetEdgeError, match="in use by another gateway"):
        DiskQueue(tmp_path / "q.sqlite")
    first.close()
    DiskQueue(tmp_path / "q.sqlite").close()              # free again once the first one is closed
