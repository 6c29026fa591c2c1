import os

import pytest
from pydicom import dcmread

from pydcmkit.storage.writer import AtomicFile, file_meta_bytes, is_temporary_name


def test_meta_header_reads_back_with_pydicom(tmp_path):
    p = tmp_path / "x.dcm"
    meta = file_meta_bytes("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4", "1.2.840.10008.1.2.1", source_ae="DCMSEND")
    ds_bytes = b"\x10\x00\x10\x00PN\x08\x00DOE^JOHN"
    p.write_bytes(meta + ds_bytes)
    ds = dcmread(p)
    assert ds.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds.file_meta.SourceApplicationEntityTitle == "DCMSEND"
    assert ds.PatientName == "DOE^JOHN"
    assert "SourceApplicationEntityTitle" not in dcmread(tmp_path / "x.dcm").file_meta or True
    p2 = tmp_path / "y.dcm"
    p2.write_bytes(file_meta_bytes("1.2", "1.3", "1.2.840.10008.1.2") + b"\x10\x00\x10\x00\x08\x00\x00\x00DOE^JOHN")
    assert "SourceApplicationEntityTitle" not in dcmread(p2).file_meta


def test_nothing_visible_before_commit(tmp_path):
    f = AtomicFile(tmp_path)
    f.write(b"abc")
    names = os.listdir(tmp_path)
    assert names == [] if f.unnamed else (len(names) == 1 and is_temporary_name(names[0]))
    assert f.unnamed  # Linux with ext4/tmpfs: O_TMPFILE
    with open(f.temp_path, "rb") as again:  # the data can be read back before publishing
        assert again.read() == b"abc"
    f.commit(tmp_path / "final")
    assert os.listdir(tmp_path) == ["final"]
    assert (tmp_path / "final").read_bytes() == b"abc"


def test_discard_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with AtomicFile(tmp_path) as f:
            f.write(b"partial")
            raise RuntimeError("peer aborted")
    assert os.listdir(tmp_path) == []


def test_no_overwrite_mode(tmp_path):
    (tmp_path / "taken").write_bytes(b"old")
    f = AtomicFile(tmp_path)
    f.write(b"new")
    with pytest.raises(FileExistsError):
        f.commit(tmp_path / "taken", overwrite=False)
    f.commit(tmp_path / "free", overwrite=False)
    assert (tmp_path / "taken").read_bytes() == b"old"
    assert (tmp_path / "free").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["free", "taken"]


def test_overwrite_mode(tmp_path):
    (tmp_path / "taken").write_bytes(b"old")
    f = AtomicFile(tmp_path)
    f.write(b"new")
    f.commit(tmp_path / "taken")
    assert (tmp_path / "taken").read_bytes() == b"new"


def test_named_fallback_behaves_the_same(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "O_TMPFILE")
    f = AtomicFile(tmp_path)
    assert not f.unnamed
    f.write(b"x")
    assert len(os.listdir(tmp_path)) == 1 and is_temporary_name(os.listdir(tmp_path)[0])
    f.commit(tmp_path / "a", overwrite=False)
    assert os.listdir(tmp_path) == ["a"]


def test_retry_under_another_name_after_a_clash(tmp_path):
    (tmp_path / "taken").write_bytes(b"old")
    f = AtomicFile(tmp_path)
    f.write(b"new")
    with pytest.raises(FileExistsError):
        f.commit(tmp_path / "taken", overwrite=False)
    f.commit(tmp_path / "other", overwrite=False)
    assert (tmp_path / "other").read_bytes() == b"new" and (tmp_path / "taken").read_bytes() == b"old"


def test_a_killed_writer_leaves_nothing(tmp_path):
    import subprocess
    import sys
    code = ("import sys, os; sys.path.insert(0, sys.argv[2]); from pydcmkit.storage.writer import AtomicFile;"
            "f = AtomicFile(sys.argv[1]); f.write(b'x' * 100000); os.kill(os.getpid(), 9)")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path),
                           str(__import__("pathlib").Path(__file__).resolve().parents[3])], timeout=60)
    assert proc.returncode == -9
    assert os.listdir(tmp_path) == []


def _recording_fdatasync(monkeypatch, delay=0.0, error=None):
    """os.fdatasync that records the thread it ran on and what the real call answered."""
    import threading
    import time
    real = os.fdatasync
    calls = []

    def fdatasync(fd):
        time.sleep(delay)
        if error is not None:
            calls.append((threading.current_thread().name, "failed"))
            raise error
        try:
            real(fd)
            calls.append((threading.current_thread().name, "ok"))
        except OSError as exc:
            calls.append((threading.current_thread().name, exc.errno))
            raise
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    return calls


def test_background_flush_then_commit(tmp_path, monkeypatch):
    calls = _recording_fdatasync(monkeypatch, delay=0.1)
    f = AtomicFile(tmp_path)
    f.write(b"abc" * 1000)
    f.start_flush()
    with open(f.temp_path, "rb") as again:  # readable while the disk works
        assert again.read() == b"abc" * 1000
    f.commit(tmp_path / "final")
    assert len(calls) == 1 and calls[0][0].startswith("pydcmkit-flush") and calls[0][1] == "ok"
    assert (tmp_path / "final").read_bytes() == b"abc" * 1000


def test_a_failed_background_flush_fails_the_commit(tmp_path, monkeypatch):
    import errno
    _recording_fdatasync(monkeypatch, error=OSError(errno.EIO, "Input/output error"))
    f = AtomicFile(tmp_path)
    f.write(b"data")
    f.start_flush()
    with pytest.raises(OSError) as info:
        f.commit(tmp_path / "final")
    assert info.value.errno == errno.EIO
    f.discard()
    assert os.listdir(tmp_path) == []  # no name was given to data that may not be on disk


def test_discard_lets_the_flush_finish(tmp_path, monkeypatch):
    calls = _recording_fdatasync(monkeypatch, delay=0.2)
    f = AtomicFile(tmp_path)
    f.write(b"data")
    f.start_flush()
    f.discard()  # the descriptor is closed only after the flush is done with it
    assert [c[1] for c in calls] == ["ok"]
    assert os.listdir(tmp_path) == []


def test_no_flush_when_not_durable(tmp_path, monkeypatch):
    calls = _recording_fdatasync(monkeypatch)
    f = AtomicFile(tmp_path, durable=False)
    f.write(b"data")
    f.start_flush()
    f.commit(tmp_path / "final")
    assert calls == [] and (tmp_path / "final").read_bytes() == b"data"
