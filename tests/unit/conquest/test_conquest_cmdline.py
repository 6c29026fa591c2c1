"""dgate's command-line grammar: glued values, left to right, the first action ends the scan."""

import pytest

from pydcmkit.conquest.cmdline import Action, parse


def test_client_pattern_takes_options_before_the_command():
    cl = parse(["-p5678", "-q10.0.0.1", "-hMYAE", "--echo:CONQUESTSRV1", "-p1"])
    assert (cl.port, cl.host, cl.ae_title) == (5678, "10.0.0.1", "MYAE")
    assert cl.remote_command == "echo:CONQUESTSRV1"
    assert cl.action is None


def test_no_action_means_server():
    cl = parse(["-v", "-p104", "-wsome/dir"])
    assert cl.verbose and cl.port == 104 and cl.action is None and cl.remote_command is None


@pytest.mark.parametrize("argv, action", [
    (["-faimg.dcm,NEWID"], Action("-fa", "img.dcm,NEWID")),
    (["-FPPAT1"], Action("-fp", "PAT1")),
    (["-f?x.dcm"], Action("-f?", "x.dcm")),
    (["-fu"], Action("-fu", "")),
    (["-ftPAT:1.2.3"], Action("-ft", "PAT:1.2.3")),
    (["-j*n4x.dcm"], Action("-j*", "n4x.dcm")),
    (["-j-j2x.dcm"], Action("-j-", "j2x.dcm")),
    (["-jdx.dcm"], Action("-jd", "x.dcm")),
    (["-nu", "in.dcm", "out.dcm"], Action("-nu", "", ("in.dcm", "out.dcm"))),
    (["-arMAG0,dir"], Action("-ar", "MAG0,dir")),
    (["-r1"], Action("-r", "1")),
    (["-i"], Action("-i", "")),
    (["-zPAT"], Action("-z", "PAT")),
    (["-gPACS,20240101"], Action("-g", "PACS,20240101")),
])
def test_actions(argv, action):
    assert parse(argv).action == action


def test_action_value_split():
    assert Action("-j*", "n4x.dcm").mode_and_file == ("n4", "x.dcm")


def test_first_action_ends_the_scan():
    cl = parse(["-fu", "-p5", "--echo:X"])
    assert cl.action == Action("-fu") and cl.port is None and cl.remote_command is None


@pytest.mark.parametrize("argv", [["-?"], ["-x"], ["-fX"]])
def test_unknown_option_asks_for_usage(argv):
    assert parse(argv).usage


def test_letters_case_insensitive_except_l():
    assert parse(["-V", "-P11"]).verbose and parse(["-P11"]).port == 11
    cl = parse(["-Ldebug.log", "-lnormal.log"])
    assert (cl.debug_log_file, cl.log_file) == ("debug.log", "normal.log")


def test_port_is_c_atoi():
    assert parse(["-p12ab"]).port == 12 and parse(["-pxyz"]).port == 0
