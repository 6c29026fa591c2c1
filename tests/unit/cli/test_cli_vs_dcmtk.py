"""Side by side with DCMTK 3.6.7's dcmrecv: same exit code, same stdout/stderr after the
identification line, for command lines that DCMTK rejects (so it never starts listening)."""

import io
import os
import subprocess

import pytest

from pydcmkit.cli.app import Environment, run_tool
from tests.unit.cli.cli_specs import DCMRECV, dcmrecv_like_main

DCMRECV_BIN = "/usr/bin/dcmrecv"

pytestmark = [pytest.mark.interop,
              pytest.mark.skipif(not os.path.exists(DCMRECV_BIN), reason="DCMTK not installed")]

CASES = [
    [], ["-aet"], ["--", "1"], ["-vd", "1"], ["--aetitle=X", "1"], ["--verb", "1"],
    ["1", "2"], ["-xf", "storescp.cfg", "11112"], ["-ta", "abc", "0"], ["0", "-ta", "abc"],
    ["-pdu", "100", "-ta", "abc", "1"], ["-pdu", "100", "1"], ["-pdu", "", "1"],
    ["-ta", "-5", "1"], ["-ta", " -5", "1"], ["-ta", "0x10", "1"], ["0"], ["70000"], ["abc"],
    [""], ["-5"], ["0x2b68"], ["+v", "0"], ["+v", "-ta", "abc", "1"], ["+B", "+ssd", "1"],
    ["-q", "0"], ["-q", "+B", "+ssd", "1"], ["-q", "--bogus"], ["-v", "-q", "0"],
    ["-q", "-v", "0"], ["-q", "-ll", "bogus", "1"], ["-ll", "bogus", "1"],
    ["-ll", "info", "-lc", "x", "1"], ["-lc", "x", "-v", "1"], ["-lc", "/nonexistent", "1"],
    ["-ll", "fatal", "0"], ["-ll", "error", "0"], ["-ll", "OFF", "--arguments", "0"],
    ["--arguments", "-aet", "A B", "", "-v", "0"], ["--version", "--bogus"],
    ["--help", "-aet"], ["@/nonexistent"], ["-q", "@/nonexistent"], ["@", "-q"],
]


def ours(argv):
    out, err = io.StringIO(), io.StringIO()
    code = run_tool(DCMRECV, [DCMRECV_BIN, *argv], dcmrecv_like_main,
                    Environment(stdout=out, stderr=err, env={}))
    return code, out.getvalue(), err.getvalue()


def theirs(argv):
    proc = subprocess.run([DCMRECV_BIN, *argv], capture_output=True, text=True, timeout=10,
                          env={"PATH": "/usr/bin:/bin"})
    return proc.returncode, proc.stdout, proc.stderr


def without_identification(text):
    lines = text.split("\n")
    return "\n".join(line for line in lines
                     if not line.startswith(("$dcmtk: ", "$pydcmkit: ")))


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) or "<none>" for c in CASES])
def test_same_behaviour_as_dcmtk(argv):
    code, out, err = ours(argv)
    ref_code, ref_out, ref_err = theirs(argv)
    assert code == ref_code
    assert without_identification(out) == without_identification(ref_out)
    assert without_identification(err) == without_identification(ref_err)
