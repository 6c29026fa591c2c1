"""pydcmkit.conquest.remote: dgate's remote-command protocol (dgate.md §6, §1.5, §7.2, §13.1-3)."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from pydcmkit.conquest import remote
from pydcmkit.conquest.amap import parse_amap
from pydcmkit.net import dimse, pdu as P
from pydcmkit.net.server import Acceptance, DicomServer, ServerSettings

VERIFICATION = "1.2.840.10008.1.1"


def _spec_hex(text: str) -> bytes:
    """dgate.md's dump notation: hex words and quoted strings."""
    out = b""
    for i, part in enumerate(text.split('"')):
        out += part.encode() if i % 2 else bytes.fromhex("".join(part.split()))
    return out


# dgate.md §6.2: the whole P-DATA-TF of `--echo:CONQUESTSRV1`, verbatim
SPEC_ECHO_PDATA = _spec_hex('''
04 00 00000096  00000092 03 03
00000000 04000000 38000000
00000200 12000000 "1.2.840.10008.1.1" 00
00000001 02000000 3000
00001001 02000000 0100
00000008 02000000 0101
99990003 2a000000 "Server command sent using DGATE -- option" 00
99990004 12000000 "echo:CONQUESTSRV1" 00
''')


def _pdata(command_set: bytes, context_id: int = 3) -> bytes:
    return P.pdv_header(context_id, 0x03, len(command_set)) + command_set


# --- codec ----------------------------------------------------------------------------------

def test_request_reproduces_the_spec_p_data_tf_byte_for_byte():
    assert len(SPEC_ECHO_PDATA) == 156
    assert _pdata(remote.encode_request("echo:CONQUESTSRV1")) == SPEC_ECHO_PDATA


def test_spec_request_decodes_to_its_command_and_console_text():
    request = remote.decode_request(dimse.decode_command(SPEC_ECHO_PDATA[12:]))
    assert request == remote.RemoteRequest(message_id=1, command="echo:CONQUESTSRV1",
                                           console_text="Server command sent using DGATE -- option")


def test_echo_response_is_the_spec_116_bytes():
    command_set = remote.encode_response("CONQUESTSRV1 is UP", message_id=1)
    whole = _pdata(command_set)
    assert len(whole) == 116
    assert struct.unpack_from("<I", command_set, 8)[0] == 66  # group 0000 only
    assert whole.endswith(_spec_hex('00000009 02000000 0000 99990104 12000000 "CONQUESTSRV1 is UP"'))
    response = dimse.decode_command(command_set)
    assert response.command_field == dimse.C_ECHO_RSP and response.MessageIDBeingRespondedTo == 1
    assert response.AffectedSOPClassUID == VERIFICATION and not response.has_dataset
    assert remote.decode_response(response) == b"CONQUESTSRV1 is UP"


def test_odd_answer_is_padded_and_flagged_as_for_get_param_sqlite():
    command_set = remote.encode_response("1", message_id=1)
    assert command_set.endswith(_spec_hex('99990104 02000000 "1" 00  99990404 02000000 0100'))
    assert remote.decode_response(dimse.decode_command(command_set)) == b"1"


@pytest.mark.parametrize("answer", [b"ab", b"abc", b"\x00\x01\x00", b"bin\x00"])
def test_answers_of_both_parities_round_trip_unchanged(answer):
    command_set = remote.encode_response(answer, message_id=7)
    response = dimse.decode_command(command_set)
    assert (remote.ODD_LENGTH in response.private) == (len(answer) % 2 == 1)
    assert remote.decode_response(response) == answer


def test_empty_answer_leaves_0401_out():
    for answer in (None, b"", ""):
        response = dimse.decode_command(remote.encode_response(answer, message_id=1))
        assert response.private == {} and remote.decode_response(response) is None


def test_pad_without_0404_is_kept_as_dgate_1_4_17_sends_it():
    command_set = dimse.encode_command(AffectedSOPClassUID=VERIFICATION, CommandField=dimse.C_ECHO_RSP,
                                       MessageIDBeingRespondedTo=1, CommandDataSetType=dimse.NO_DATASET,
                                       Status=0, private={remote.ANSWER: b"1\x00"})
    assert remote.decode_response(dimse.decode_command(command_set)) == b"1\x00"


@pytest.mark.parametrize("payload", [b"DICM", b"DICM!", b"\x00", b""])
def test_upload_payload_of_both_parities_round_trips(payload):
    command_set = remote.encode_request("addimagefile:x.dcm", payload=payload)
    command = dimse.decode_command(command_set)
    assert len(command.private[remote.PAYLOAD]) % 2 == 0
    assert (command.private.get(remote.ODD_LENGTH) == b"\x01\x00") == (len(payload) % 2 == 1)
    request = remote.decode_request(command)
    assert request.payload == payload and request.command == "addimagefile:x.dcm"


def test_odd_command_text_is_nul_padded_without_flag_and_even_text_is_not_padded():
    odd = dimse.decode_command(remote.encode_request("genuid:", console_text=None))
    assert odd.private == {remote.COMMAND: b"genuid:\x00"}
    assert remote.decode_request(odd).command == "genuid:"
    even = dimse.decode_command(remote.encode_request("lua:", console_text=None))
    assert even.private == {remote.COMMAND: b"lua:"}
    assert remote.decode_request(even).command == "lua:"


def test_non_ascii_command_bytes_survive():
    raw = b"addimagefile:/srv/\xe9t\xc3\xa9.dcm"
    request = remote.decode_request(dimse.decode_command(remote.encode_request(raw)))
    assert request.command.encode("utf-8", "surrogateescape") == raw


def test_plain_c_echo_has_no_command():
    command_set = dimse.encode_command(AffectedSOPClassUID=VERIFICATION, CommandField=dimse.C_ECHO_RQ,
                                       MessageID=5, CommandDataSetType=dimse.NO_DATASET)
    request = remote.decode_request(dimse.decode_command(command_set))
    assert request.command is None and request.message_id == 5 and request.payload is None


# --- exit codes (§1.5) ----------------------------------------------------------------------

@pytest.mark.parametrize("outcome,code", [
    (None, 0), (b"", 0), (b"CONQUESTSRV1 is UP", 255), (b"0", 255),
    (remote.RemoteCommandFailed("127.0.0.1", 5678, "association lost"), 1), (OSError("x"), 1),
])
def test_client_exit_code(outcome, code):
    assert remote.client_exit_code(outcome) == code


def test_failure_exception_carries_exit_1_and_names_the_peer():
    exc = remote.RemoteCommandFailed("10.0.0.5", 104, "cannot connect: refused")
    assert exc.exit_code == 1 and str(exc) == "10.0.0.5:104: cannot connect: refused"


# --- server-side conventions (§6.5) ---------------------------------------------------------

def _ctx(permitted=True, payload=None):
    return remote.CommandContext(association=None, payload=payload, permitted_to_modify=permitted,
                                 calling_ae="CLIENT", peer_address="10.1.2.3")


@pytest.mark.parametrize("target,expected", [
    ("", b"text"), ("binary", b"text"), ("pre", b"<pre>text"),
    ("cgi", b"Content-type: text/html\n\ntext"),
])
def test_output_argument_convention(target, expected):
    assert remote.command_output("text", target) == expected


def test_output_cgi_with_pre_for_the_commands_that_add_it():
    assert remote.command_output(b"x", "cgi", cgi_pre=True) == b"Content-type: text/html\n\n<pre>x"


def test_output_to_a_server_path_writes_and_answers_nothing(tmp_path):
    out = tmp_path / "answer.txt"
    assert remote.command_output("AE is UP", str(out), _ctx()) is None
    assert out.read_bytes() == b"AE is UP"


def test_output_to_a_server_path_is_refused_without_permission(tmp_path):
    out = tmp_path / "answer.txt"
    answer = remote.command_output("AE is UP", str(out), _ctx(permitted=False))
    assert b"refused" in answer and str(out).encode() in answer and not out.exists()


def test_output_write_error_is_one_line_naming_the_file(tmp_path):
    target = str(tmp_path / "missing" / "x.txt")
    answer = remote.command_output("x", target, _ctx())
    assert answer.startswith(f"cannot write {target}: ".encode()) and b"\n" not in answer


def test_format_fields_repeat_so_fields_can_be_skipped_and_reused():
    assert remote.format_fields("%0.0s%s=%s", ("a", "b", "c")) == "b=c"
    assert remote.format_fields("%s %s %s %s", ("x", "y")) == "x y x y"
    assert remote.format_fields("port=%s!", ("5678",)) == "port=5678!"


def test_format_records_star_separates_records():
    rows = [("f1.dcm", "MAG0"), ("f2.dcm", "MAG0")]
    assert remote.format_records("%s@%s*", rows) == "f1.dcm@MAG0*f2.dcm@MAG0"
    assert remote.format_records("%s %s", rows) == "f1.dcm MAG0\nf2.dcm MAG0"


def test_genuid_format_and_counter():
    uids = remote.UidGenerator("99999.99999", counter=9998, clock=lambda: 1795414114.7)
    assert [uids.genuid() for _ in range(3)] == ["99999.99999.6.1795414114.9998", "99999.99999.6.1795414114.9999",
                                                  "99999.99999.6.1795414114.0"]
    assert uids.changed_uid() == "99999.99999.7.1795414114.10001"
    assert remote.UidGenerator().genuid().startswith(remote.DEFAULT_UID_PREFIX + ".6.")


@pytest.mark.parametrize("address,allowed", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.5", False), ("::ffff:10.0.0.5", False), ("", False), ("host", False),
])
def test_loopback_only(address, allowed):
    assert remote.loopback_only(address, "ANY") is allowed


def test_dispatch_is_by_prefix_up_to_the_colon_case_sensitive():
    handler = remote.RemoteCommandHandler()
    handler.register("get_param:", lambda args, ctx: f"[{args}]")
    assert handler.dispatch("get_param:TCPPort,port=%s!", _ctx()) == b"[TCPPort,port=%s!]"
    assert handler.dispatch("get_param:", _ctx()) == b"[]"
    assert handler.dispatch("GET_PARAM:x", _ctx()) is None
    assert handler.dispatch("get_param", _ctx()) is None
    assert handler.dispatch("get_paramx:x", _ctx()) is None
    assert handler.dispatch("nosuch:x", _ctx()) is None


def test_register_wants_one_trailing_colon():
    handler = remote.RemoteCommandHandler()
    for bad in ("echo", "a:b:", ""):
        with pytest.raises(ValueError):
            handler.register(bad, lambda args, ctx: None)


def test_refused_modifying_command_answers_text_and_does_nothing():
    calls = []
    handler = remote.RemoteCommandHandler()
    handler.register("deletepatient:", lambda args, ctx: calls.append(args), modifies=True)
    answer = handler.dispatch("deletepatient:PAT1", _ctx(permitted=False))
    assert answer == b"deletepatient: refused: CLIENT at 10.1.2.3 may not change or delete data on this server"
    assert calls == []
    assert handler.dispatch("deletepatient:PAT1", _ctx(permitted=True)) is None and calls == ["PAT1"]


def test_a_failing_command_answers_its_error():
    def broken(args, ctx):
        raise OSError("disk on fire")
    handler = remote.RemoteCommandHandler()
    handler.register("regen:", broken)
    assert handler.dispatch("regen:", _ctx()) == b"regen: failed: disk on fire"


# --- round trips over loopback --------------------------------------------------------------

class _VerificationOnly:
    """Accepts Verification on Implicit VR LE and remembers the requests."""

    def __init__(self):
        self.requests = []

    def negotiate(self, rq, peer):
        self.requests.append(rq)
        return Acceptance(tuple(
            P.ContextResult(pc.context_id, P.PC_ACCEPTANCE, "1.2.840.10008.1.2", pc.abstract_syntax)
            if pc.abstract_syntax == VERIFICATION and "1.2.840.10008.1.2" in pc.transfer_syntaxes
            else P.ContextResult(pc.context_id, P.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, None, pc.abstract_syntax)
            for pc in rq.contexts), {}, {})


@pytest.fixture
def dgate_server():
    """A DicomServer on 127.0.0.1 serving remote commands; yields (port, handler, negotiator, events)."""
    negotiator = _VerificationOnly()
    events = {"stop": threading.Event(), "safe": threading.Event()}
    handler = remote.RemoteCommandHandler()
    server = DicomServer(ServerSettings(port=0, bind_address="127.0.0.1", host_lookup=False, acse_timeout=5,
                                        dimse_timeout=5), negotiator, {dimse.C_ECHO_RQ: handler})
    server.bind()
    amap = parse_amap(f"CONQUESTSRV1 127.0.0.1 {server.port} un\nNOBODY 127.0.0.1 1 un\n")
    remote.register_stateless_commands(
        handler, ae_lookup=remote.acrnema_lookup(amap), own_ae="CONQUESTSRV1",
        uids=remote.UidGenerator("99999.99999", counter=18),
        stop=events["stop"].set, stop_when_idle=events["safe"].set,
        echo=lambda host, port, calling, called: remote.c_echo(host, port, calling, called, timeout=5))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port, handler, negotiator, events
    finally:
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive()


def _send(port, command, payload=None):
    return remote.send_command("127.0.0.1", port, "CONQUESTSRV1", command, payload, timeout=10)


def test_client_association_is_dgates(dgate_server):
    port, _handler, negotiator, _events = dgate_server
    assert _send(port, "genuid:")
    rq = negotiator.requests[-1]
    assert rq.calling_ae == rq.called_ae == "CONQUESTSRV1"
    assert [(pc.context_id, pc.abstract_syntax, pc.transfer_syntaxes) for pc in rq.contexts] == [
        (3, VERIFICATION, ("1.2.840.10008.1.2",))]
    assert rq.max_pdu == 4096
    assert rq.implementation_class_uid == "1.2.826.0.1.3680043.2.135.1066.101"
    assert rq.implementation_version_name == "1.5.0/OTHER"


def test_echo_command_reports_up_and_down(dgate_server):
    port = dgate_server[0]
    assert _send(port, "echo:CONQUESTSRV1") == b"CONQUESTSRV1 is UP"
    assert _send(port, "echo:NOBODY") == b"NOBODY is DOWN"
    assert _send(port, "echo:UNKNOWN") == b"UNKNOWN is DOWN"
    assert _send(port, "echo:") == b" is DOWN"


def test_echo_command_writes_its_output_file(dgate_server, tmp_path):
    out = tmp_path / "echo.txt"
    assert _send(dgate_server[0], f"echo:CONQUESTSRV1,{out}") is None
    assert out.read_bytes() == b"CONQUESTSRV1 is UP"


def test_genuid_and_checksum(dgate_server):
    port = dgate_server[0]
    first, second = _send(port, "genuid:").decode(), _send(port, "genuid:").decode()
    assert first.startswith("99999.99999.6.") and first.endswith(".18") and second.endswith(".19")
    assert _send(port, "checksum:hello") == b"4029829531"


def test_unknown_command_answers_nothing(dgate_server):
    answer = _send(dgate_server[0], "no_such_command:1,2")
    assert answer is None and remote.client_exit_code(answer) == 0


@pytest.mark.parametrize("payload", [b"0123456789" * 300 + b"odd", b"\x00\x01" * 2000, b"x"],
                         ids=["odd-3003", "even-4000-fragmented", "one-byte"])
def test_upload_payload_reaches_the_command(dgate_server, payload):
    port, handler, _negotiator, _events = dgate_server
    handler.register("upload:", lambda args, ctx: b"%s %d " % (args.encode(), len(ctx.payload)) + ctx.payload)
    answer = _send(port, "upload:name.dcm", payload)
    assert answer == b"name.dcm %d " % len(payload) + payload


def test_plain_c_echo_still_answers_success(dgate_server):
    assert remote.c_echo("127.0.0.1", dgate_server[0], "ECHOSCU", "CONQUESTSRV1", timeout=5)


def test_modifying_command_from_loopback_is_allowed(dgate_server):
    port, handler, _negotiator, _events = dgate_server
    handler.register("put_param:", lambda args, ctx: f"set {args} {ctx.permitted_to_modify}", modifies=True)
    assert _send(port, "put_param:A,1") == b"set A,1 True"


def test_access_hook_gets_address_and_calling_ae(dgate_server):
    port, handler, _negotiator, _events = dgate_server
    seen = []
    handler.may_modify = lambda address, ae: seen.append((address, ae)) or False
    handler.register("deletepatient:", lambda args, ctx: "deleted", modifies=True)
    assert _send(port, "deletepatient:P1") == (
        b"deletepatient: refused: CONQUESTSRV1 at 127.0.0.1 may not change or delete data on this server")
    assert seen == [("127.0.0.1", "CONQUESTSRV1")]


def test_quit_drops_the_link_without_answer_then_stops(dgate_server):
    port, _handler, _negotiator, events = dgate_server
    with pytest.raises(remote.RemoteCommandFailed, match=rf"^127\.0\.0\.1:{port}: association lost") as info:
        _send(port, "quit:")
    assert remote.client_exit_code(info.value) == 1
    assert events["stop"].wait(5)


def test_safequit_answers_nothing_and_asks_for_a_stop_when_idle(dgate_server):
    port, _handler, _negotiator, events = dgate_server
    assert _send(port, "safequit:") is None
    assert events["safe"].is_set() and not events["stop"].is_set()


def test_cannot_connect_names_the_peer():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(remote.RemoteCommandFailed, match=rf"^127\.0\.0\.1:{port}: cannot connect"):
        _send(port, "genuid:")


def test_context_not_accepted_is_a_failure(dgate_server):
    port, _handler, negotiator, _events = dgate_server
    negotiator.negotiate = lambda rq, peer: Acceptance(tuple(
        P.ContextResult(pc.context_id, P.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, None, pc.abstract_syntax)
        for pc in rq.contexts), {}, {})
    with pytest.raises(remote.RemoteCommandFailed, match="Verification .* not accepted"):
        _send(port, "genuid:")
