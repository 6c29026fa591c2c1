import socket
import threading

from pydcmkit.net import dimse
from pydcmkit.net.association import AcceptedContext, Association, AssociationReleased


def _pair():
    a, b = socket.socketpair()
    ctx = {1: AcceptedContext(1, "1.2.840.10008.1.1", "1.2.840.10008.1.2")}
    return (Association(a, contexts=ctx, peer_max_pdu=16384, calling_ae="A", called_ae="B"),
            Association(b, contexts=ctx, peer_max_pdu=16384, calling_ae="A", called_ae="B"))


def test_message_waiting_sees_a_cancel_without_blocking():
    x, y = _pair()
    assert not y.message_waiting()
    x.send_command(1, dimse.encode_command(CommandField=dimse.C_CANCEL_RQ, MessageIDBeingRespondedTo=5,
                                           CommandDataSetType=dimse.NO_DATASET))
    import time
    deadline = time.monotonic() + 5
    while not y.message_waiting():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ctx, cmd = y.receive_command()
    assert cmd.command_field == dimse.C_CANCEL_RQ and cmd.MessageIDBeingRespondedTo == 5
    assert not y.message_waiting()


def test_dataset_is_fragmented_to_the_peer_pdu_size_and_reassembled():
    x, y = _pair()
    x.max_pdv = 100
    payload = bytes(range(256)) * 40
    t = threading.Thread(target=lambda: (x.send_command(1, dimse.encode_command(
        CommandField=dimse.C_STORE_RQ, MessageID=1, CommandDataSetType=0)), x.send_dataset_bytes(1, payload)))
    t.start()
    ctx, cmd = y.receive_command()
    got = y.receive_dataset_bytes(ctx)
    t.join()
    assert got == payload and cmd.has_dataset


def test_release_is_acknowledged():
    x, y = _pair()
    t = threading.Thread(target=x.release)
    t.start()
    try:
        y.receive_command()
    except AssociationReleased:
        pass
    else:
        raise AssertionError("release not seen")
    t.join(5)
    assert not t.is_alive() and not x.is_open


def test_file_dataset_is_sent_vectored_and_reassembled(tmp_path):
    x, y = _pair()
    x.max_pdv = 1000
    payload = bytes(range(256)) * 9000  # 2.3 MB: several chunks of many PDUs
    f = tmp_path / "d.bin"
    f.write_bytes(b"HEAD" + payload)
    chunks = []

    def send():
        with open(f, "rb") as fh:
            fh.seek(4)
            x.send_command(1, dimse.encode_command(CommandField=dimse.C_STORE_RQ, MessageID=1, CommandDataSetType=0))
            x.send_dataset_file(1, fh, len(payload))

    t = threading.Thread(target=send)
    t.start()
    ctx, cmd = y.receive_command()
    n = y.receive_dataset(ctx, lambda mv: chunks.append(bytes(mv)))
    t.join()
    assert n == len(payload) and b"".join(chunks) == payload
    assert len(chunks) == 3  # gathered per megabyte, not per PDV
