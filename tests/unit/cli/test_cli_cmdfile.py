"""@file command files (dcmtk-cli.md 4)."""

import pytest

from pydcmkit.cli.cmdfile import expand_command_files, split_command_file
from pydcmkit.status import CommandLineError

CMD2 = '-aet "MY AE" -v\n# comment?\n-nh  \'a b\' x"y z"w "" it\'s"\n'


def test_observed_cmd2_example(tmp_path):
    (tmp_path / "cmd2.txt").write_text(CMD2)
    tokens = expand_command_files(["--arguments", f"@{tmp_path}/cmd2.txt", "127.0.0.1", "1"])
    assert tokens == ["--arguments", "-aet", "MY AE", "-v", "#", "comment?", "-nh", "a b",
                      "xy z", "w", "", 'its"\n', "127.0.0.1", "1"]
    assert len(tokens) == 14


@pytest.mark.parametrize("text, tokens", [
    ("a  b\t\tc\r\nd", ["a", "b", "c", "d"]),
    ('""', [""]),
    ("''", [""]),
    ('x"y z"w', ["xy z", "w"]),
    ("\"it's\"", ["it's"]),
    ("'say \"hi\"'", ['say "hi"']),
    ('"multi\nline"', ["multi\nline"]),
    ('"unterminated rest\n', ["unterminated rest\n"]),
    ("# not a comment", ["#", "not", "a", "comment"]),
    ("back\\slash $HOME", ["back\\slash", "$HOME"]),
    ("   \n\n  ", []),
    ('a"" b', ["a", "b"]),
])
def test_split_rules(text, tokens):
    assert split_command_file(text) == tokens


def test_expansion_is_not_recursive_and_lone_at_is_literal(tmp_path):
    (tmp_path / "inner.txt").write_text("-v")
    (tmp_path / "outer.txt").write_text(f"-aet @{tmp_path}/inner.txt")
    assert expand_command_files([f"@{tmp_path}/outer.txt", "@"]) == \
        ["-aet", f"@{tmp_path}/inner.txt", "@"]


def test_directory_expands_to_nothing(tmp_path):
    assert expand_command_files([f"@{tmp_path}", "x"]) == ["x"]


def test_unreadable_command_file():
    with pytest.raises(CommandLineError) as err:
        expand_command_files(["-v", "@/nonexistent/cmd.txt"])
    assert err.value.message == "Cannot open command file '/nonexistent/cmd.txt'"
