"""pydcmkit.config.asconfig: DCMTK association negotiation profile files (dcmrecv.md §3)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pydcmkit import uids
from pydcmkit.config.asconfig import (
    VERIFICATION_ONLY_PROFILE, AssociationProfile, ContextSpec, ProfileFileError, ProfileSelectionError,
    RoleSpec, load_config, load_profile, mangle_profile_name, parse_config)
from pydcmkit.status import AssociationConfigError, ExitCode

STORESCP_CFG = Path("/etc/dcmtk/storescp.cfg")
STORESCU_CFG = Path("/etc/dcmtk/storescu.cfg")
DCMRECV = "/usr/bin/dcmrecv"

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SC = "1.2.840.10008.5.1.4.1.1.7"
VERIFICATION = "1.2.840.10008.1.1"
PRIVATE = "1.3.6.1.4.1.99999.1.1"
IMPLICIT, EXPLICIT, BIG = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"

from tests.support.corpus import MY_CFG  # noqa: E402  (dcmrecv.md §3.7)

TS = "[[TransferSyntaxes]]\n[U]\nTransferSyntax1 = LittleEndianImplicit\n"
PC = "[[PresentationContexts]]\n[S]\nPresentationContext1 = CTImageStorage\\U\n"
PR = "[[Profiles]]\n[P]\nPresentationContexts = S\n"


def write(tmp_path: Path, text: str | bytes, name: str = "test.cfg") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def failure(text: str, profile: str = "p") -> AssociationConfigError:
    with pytest.raises(AssociationConfigError) as info:
        parse_config(text, "x.cfg").profile(profile)
    assert info.value.exit_code == ExitCode.INVALID_ASSOCIATION_CONFIG == 66
    return info.value


# -- the Debian sample files, unmodified ---------------------------------------------------------


@pytest.mark.skipif(not STORESCP_CFG.exists(), reason="DCMTK sample configs not installed")
def test_storescp_cfg_every_profile():
    config = load_config(STORESCP_CFG)
    assert set(config.profiles) == {"DEFAULT", "ALLDICOM"}
    for key, profile in config.profiles.items():
        assert profile.is_valid_for_scp(), key
        assert len(profile.contexts) == 128
        assert profile.contexts[0] == ContextSpec(VERIFICATION, (EXPLICIT, BIG, IMPLICIT), "UNCOMPRESSED")
        assert not profile.roles and not profile.extended_negotiation
        assert config.profile(key.lower()) is profile
    default = config.profile("default")
    ct = default.context_for(CT)
    assert ct.transfer_syntax_list == "ANYTRANSFERSYNTAX"
    assert len(ct.transfer_syntaxes) == 21
    assert ct.transfer_syntaxes[:2] == ("1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.90")
    assert ct.transfer_syntaxes[-3:] == (EXPLICIT, BIG, IMPLICIT)
    assert config.transfer_syntax_lists["UNCOMPRESSEDORZLIB"] == (
        "1.2.840.10008.1.2.1.99", EXPLICIT, BIG, IMPLICIT)
    # §3.5 observed: dcmsend's MR context (ExplicitLE, ExplicitBE, ImplicitLE) -> Explicit LE
    assert default.accept(MR, [EXPLICIT, BIG, IMPLICIT]) == (0, EXPLICIT)
    assert default.accept(PRIVATE, [EXPLICIT, IMPLICIT]) == (3, None)


@pytest.mark.skipif(not STORESCU_CFG.exists(), reason="DCMTK sample configs not installed")
def test_storescu_cfg_every_profile():
    config = load_config(STORESCU_CFG)
    assert set(config.profiles) == {"DEFAULT"}
    profile = config.profile("Default", role="scu")
    assert len(profile.contexts) == 128
    assert profile.contexts[0] == ContextSpec("1.2.840.10008.5.1.4.1.1.1", (JPEG_BASELINE,), "JPEGBASELINE")
    assert profile.scu_problem() is None
    # an SCU profile proposes each SOP class several times: not valid for an SCP
    assert not profile.is_valid_for_scp()
    with pytest.raises(ProfileSelectionError) as info:
        config.profile("Default")
    assert info.value.message == "Invalid or non-existing SCP Association Profile"
    assert info.value.details[0].startswith(
        'The association profile named "Default" is not a valid SCP association profile (line ')


@pytest.mark.parametrize("cfg", ["dcmpstat.cfg", "dcmqrscp.cfg", "filelog.cfg", "logger.cfg", "printers.cfg"])
def test_other_etc_dcmtk_files_are_not_profile_files(cfg):
    path = Path("/etc/dcmtk") / cfg
    if not path.exists():
        pytest.skip(f"{path} not installed")
    with pytest.raises(ProfileFileError) as info:
        load_config(path)
    assert info.value.reason == "cannot find section [[TRANSFERSYNTAXES]] in config file"


# -- §3.7 my.cfg and §3.5 outcomes ---------------------------------------------------------------


def test_my_cfg_example(tmp_path):
    profile = load_profile(write(tmp_path, MY_CFG, "my.cfg"), "My Profile")
    assert profile.name == "MYPROFILE"
    assert profile.context_list == "STORESCP"
    assert profile.abstract_syntaxes == (VERIFICATION, CT, MR, SC, PRIVATE)
    assert profile.context_for(CT).transfer_syntaxes == (uids.LOCAL_ENDIAN_EXPLICIT, IMPLICIT)
    assert profile.context_for(MR) == ContextSpec(MR, (IMPLICIT,), "IMPLICITONLY")
    assert profile.role_list is None and profile.extended_negotiation_list is None


@pytest.mark.parametrize("abstract, proposed, outcome", [
    (MR, [EXPLICIT, BIG, IMPLICIT], (0, IMPLICIT)),    # observed: MR accepted as Implicit LE
    (CT, [IMPLICIT, EXPLICIT], (0, EXPLICIT)),         # the profile's order wins, not the requestor's
    (CT, [IMPLICIT], (0, IMPLICIT)),
    (CT, [JPEG_BASELINE], (4, None)),                  # no common transfer syntax
    (MR, [EXPLICIT], (4, None)),
    (PRIVATE, [EXPLICIT], (0, EXPLICIT)),
    (VERIFICATION, [IMPLICIT], (0, IMPLICIT)),
    ("1.2.840.10008.5.1.4.1.1.1", [IMPLICIT], (3, None)),  # CR: not in the profile
    (CT + ".", [IMPLICIT], (3, None)),                 # exact match on the abstract syntax
])
def test_my_cfg_accept(abstract, proposed, outcome):
    profile = parse_config(MY_CFG).profile("my profile")
    assert profile.accept(abstract, proposed) == outcome


# -- §3.4 profile name mangling ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["My Profile", "my profile", "MYPROFILE", "myprofile", " my\tprofile "])
def test_profile_selection_mangling(name):
    assert parse_config(MY_CFG).profile(name).name == "MYPROFILE"


@pytest.mark.parametrize("name", ["my_profile", "My.Profile", "My-Profile"])
def test_profile_selection_keeps_other_characters(name):
    with pytest.raises(ProfileSelectionError) as info:
        parse_config(MY_CFG).profile(name)
    assert info.value.problem == "unknown"
    assert info.value.profile == name


def test_mangle_profile_name():
    assert mangle_profile_name("my profile") == "MYPROFILE"
    assert mangle_profile_name("my_profile") == "MY_PROFILE"
    assert mangle_profile_name("My.Profile") == "MY.PROFILE"


def test_section_names_keep_only_letters_digits_dash_underscore():
    config = parse_config(MY_CFG.replace("[My Profile]", "[My.Pro file]"))
    assert set(config.profiles) == {"MYPROFILE"}
    config = parse_config(MY_CFG.replace("[My Profile]", "[my_pro-file]"))
    assert set(config.profiles) == {"MY_PRO-FILE"}


def test_references_are_mangled_by_removing_whitespace_only():
    config = parse_config(MY_CFG.replace("\\ImplicitOnly", "\\implicit only"))
    assert config.profile("myprofile").context_for(MR).transfer_syntax_list == "IMPLICITONLY"
    e = failure(MY_CFG.replace("[ImplicitOnly]", "[Implicit.Only]").replace("\\ImplicitOnly", "\\Implicit.Only"),
                "myprofile")
    assert e.message == "transfer syntax key undefined: IMPLICIT.ONLY"


# -- §3.1 lexical rules ---------------------------------------------------------------------------


def test_comments_only_in_column_one():
    config = parse_config("# a comment = x\n" + TS + "#TransferSyntax2 = Nope\n" + PC + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT,)
    # an indented '#' line is a continuation of the previous value
    e = failure(TS + "  # not a comment\n" + PC + PR)
    assert e.message == "not a valid transfer syntax UID: LittleEndianImplicit\n# not a comment"


def test_continuation_lines_join_with_newline():
    e = failure(TS.replace("LittleEndianImplicit", "Little\n   EndianImplicit") + PC + PR)
    assert e.message == "not a valid transfer syntax UID: Little\nEndianImplicit"
    # blank lines in between do not end the value; trailing newlines are dropped
    e = failure(TS + "\n\n    Implicit\n" + PC + PR)
    assert e.message == "not a valid transfer syntax UID: LittleEndianImplicit\nImplicit"
    config = parse_config(TS.replace("LittleEndianImplicit", "LittleEndianImplicit\n   ") + PC + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT,)


def test_continuation_of_a_reference():
    config = parse_config(TS + PC.replace("\\U", "\\\n  U") + PR)
    assert config.profile("P").contexts[0].transfer_syntax_list == "U"


def test_trailing_blanks_are_kept():
    e = failure(TS.replace("LittleEndianImplicit", "LittleEndianImplicit  ") + PC + PR)
    assert e.message == "not a valid transfer syntax UID: LittleEndianImplicit  "


def test_whitespace_and_case_around_keys_and_brackets():
    text = ("[ [ transfer syntaxes ] ]\n[u]\n  transfer syntax 1\t=\tLittleEndianImplicit\n"
            "[[presentationcontexts]]\n[s]\npresentationContext1=CTImageStorage\\u\n"
            "[[[Profiles]]]\n[p]\npresentationcontexts=s\n")
    assert parse_config(text).profile("P").contexts == (ContextSpec(CT, (IMPLICIT,), "U"),)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings(newline):
    assert parse_config((TS + PC + PR).replace("\n", newline)).profile("p").contexts[0].abstract_syntax == CT


def test_entries_outside_a_section_are_dropped():
    text = ("TransferSyntax1 = Nope\n[Orphan]\nTransferSyntax1 = Nope\n"
            "[[TransferSyntaxes]]\nTransferSyntax1 = Nope\n[U]\nTransferSyntax1 = LittleEndianImplicit\n")
    config = parse_config(text + PC + PR)
    assert dict(config.transfer_syntax_lists) == {"U": (IMPLICIT,)}


def test_first_of_two_equal_keys_wins():
    config = parse_config(TS + "TransferSyntax1 = Nope\n" + PC + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT,)


def test_first_of_two_equal_supersections_wins():
    text = TS + "[[TransferSyntaxes]]\n[V]\nTransferSyntax1 = LittleEndianExplicit\n" + PC.replace("\\U", "\\V") + PR
    assert failure(text).message == "transfer syntax key undefined: V"


def test_equal_sections_are_merged():
    config = parse_config(TS + "[U]\nTransferSyntax1 = LittleEndianExplicit\n" + PC + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT, EXPLICIT)


def test_a_line_without_equals_swallows_what_follows_up_to_the_next_equals():
    # OFConfigFile reads a keyword up to '='; '[V]' and the next key become part of it
    config = parse_config(TS + "garbage line\n[V]\nTransferSyntax1 = Nope\n" + PC + PR)
    assert set(config.transfer_syntax_lists) == {"U"}


def test_symbolic_names_are_exact_with_optional_equals():
    assert failure(TS.replace("LittleEndianImplicit", "littleendianimplicit") + PC + PR).message == \
        "not a valid transfer syntax UID: littleendianimplicit"
    assert failure(TS + PC.replace("CTImageStorage", "ctimagestorage") + PR).message == \
        "not a valid abstract syntax UID: ctimagestorage"
    config = parse_config(TS.replace("LittleEndianImplicit", "=LittleEndianImplicit")
                          + PC.replace("CTImageStorage", "=CTImageStorage") + PR)
    assert config.profile("p").contexts == (ContextSpec(CT, (IMPLICIT,), "U"),)


def test_special_endian_names():
    config = parse_config(TS.replace("LittleEndianImplicit", "OppositeEndianExplicit") + PC + PR)
    assert config.transfer_syntax_lists["U"] == (uids.OPPOSITE_ENDIAN_EXPLICIT,)


# -- numbered keys ---------------------------------------------------------------------------------


def test_numbering_stops_at_the_first_gap():
    config = parse_config(TS + "TransferSyntax3 = Nope\n" + PC + "PresentationContext3 = Nope\\U\n" + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT,)
    assert len(config.profile("p").contexts) == 1
    assert failure(TS + "TransferSyntax2 = Nope\n" + PC + PR).message == "not a valid transfer syntax UID: Nope"


def test_numbers_with_leading_zeros_are_not_read():
    config = parse_config(TS + "TransferSyntax02 = Nope\n" + PC + PR)
    assert config.transfer_syntax_lists["U"] == (IMPLICIT,)


def test_128_contexts_per_list():
    pcs = "".join(f"PresentationContext{i} = 1.3.6.1.4.1.9.{i}\\U\n" for i in range(1, 129))
    config = parse_config(TS + "[[PresentationContexts]]\n[S]\n" + pcs + PR)
    assert len(config.profile("p").contexts) == 128
    e = failure(TS + "[[PresentationContexts]]\n[S]\n" + pcs + "PresentationContext129 = 1.3.6.1.4.1.9.129\\U\n" + PR)
    assert e.message == "presentation context list too long (> 128 entries): S"
    assert e.details == ("Unable to parse association configuration file: x.cfg: presentation context list "
                         "too long (> 128 entries): S (line 134)",)


# -- roles and extended negotiation ----------------------------------------------------------------

ROLES = "[[SCPSCURoleSelection]]\n[R]\nRole1 = CTImageStorage\\SCU\nRole2 = 1.2.840.10008.5.1.4.1.1.4\\both\n" \
        "Role3 = SecondaryCaptureImageStorage\\Scp\n"
EXT = "[[ExtendedNegotiation]]\n[E]\nExtendedNegotiation1 = CTImageStorage\\020003000000\n" \
      "ExtendedNegotiation2 = MRImageStorage\\0aFf\n"
PC3 = PC + "PresentationContext2 = MRImageStorage\\U\nPresentationContext3 = SecondaryCaptureImageStorage\\U\n"
PR_FULL = PR + "SCPSCURoleSelection = R\nExtendedNegotiation = e\n"


def test_roles_and_extended_negotiation_parsed():
    profile = parse_config(TS + PC3 + ROLES + EXT + PR_FULL).profile("p")
    assert dict(profile.roles) == {CT: RoleSpec(True, False), MR: RoleSpec(True, True), SC: RoleSpec(False, True)}
    assert dict(profile.extended_negotiation) == {CT: bytes.fromhex("020003000000"), MR: b"\x0a\xff"}
    assert profile.role_list == "R" and profile.extended_negotiation_list == "E"
    assert profile.extended_negotiation_reply([MR, SC]) == {MR: b"\x0a\xff"}


def test_role_negotiation():
    profile = parse_config(TS + PC3 + ROLES + PR + "SCPSCURoleSelection = R\n").profile("p")
    # default role proposed for a class configured SCP only: rejected, result 2 (no reason)
    assert profile.accept(SC, [IMPLICIT]) == (2, None)
    assert profile.accept(SC, [IMPLICIT], always_accept_default_role=True) == (0, IMPLICIT)
    assert profile.accept(SC, [IMPLICIT], proposed_role=RoleSpec(True, True)) == (0, IMPLICIT)
    assert profile.accept(CT, [IMPLICIT]) == (0, IMPLICIT)
    # the AC item grants only proposed roles, and only where the profile configures one
    assert profile.role_reply(SC, RoleSpec(True, True)) == RoleSpec(False, True)
    assert profile.role_reply(SC, RoleSpec(True, False)) == RoleSpec(False, False)
    assert profile.role_reply(MR, RoleSpec(False, True)) == RoleSpec(False, True)
    assert profile.role_reply(CT, RoleSpec(True, True)) == RoleSpec(True, False)
    assert profile.role_reply(CT, None) is None
    assert parse_config(MY_CFG).profile("myprofile").role_reply(CT, RoleSpec(True, True)) is None


@pytest.mark.parametrize("hex_data, reason", [
    ("02000300000", "parse error in extended negotiation data in entry EXTENDEDNEGOTIATION1 in config file"),
    ("0200030000zz", "parse error in extended negotiation data in entry EXTENDEDNEGOTIATION1 in config file"),
    ("020003000000 ", "parse error in extended negotiation data in entry EXTENDEDNEGOTIATION1 in config file"),
    ("", "Illegal call, perhaps wrong parameters"),
    ("ab" * 1024, "extended negotiation data too long, cannot handle > 1024 bytes in entry "
                  "EXTENDEDNEGOTIATION1 in config file"),
])
def test_extended_negotiation_data_errors(hex_data, reason):
    ext = f"[[ExtendedNegotiation]]\n[E]\nExtendedNegotiation1 = CTImageStorage\\{hex_data}\n"
    assert failure(TS + PC + ext + PR + "ExtendedNegotiation = E\n").message == reason


def test_extended_negotiation_max_length():
    # DCMTK's check lets 1023 bytes through, not 1024
    ext = f"[[ExtendedNegotiation]]\n[E]\nExtendedNegotiation1 = CTImageStorage\\{'ab' * 1023}\n"
    profile = parse_config(TS + PC + ext + PR + "ExtendedNegotiation = E\n").profile("p")
    assert profile.extended_negotiation[CT] == b"\xab" * 1023


# -- §3.6 every error, with DCMTK's text -------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = str(tmp_path / "does-not-exist.cfg")
    with pytest.raises(ProfileFileError) as info:
        load_profile(missing, "default")
    e = info.value
    assert e.exit_code == 66
    assert e.message == f"unable to open configuration file: {missing}"
    assert e.details == (f"Unable to parse association configuration file: {missing}: "
                         f"unable to open configuration file: {missing}",)
    assert e.line is None


def test_directory_reads_as_empty_file(tmp_path):
    with pytest.raises(ProfileFileError) as info:
        load_profile(tmp_path, "default")
    assert info.value.message == "cannot find section [[TRANSFERSYNTAXES]] in config file"


def test_missing_supersections():
    assert failure(PC + PR).message == "cannot find section [[TRANSFERSYNTAXES]] in config file"
    assert failure(TS + PR).message == "cannot find section [[PRESENTATIONCONTEXTS]] in config file"
    e = failure(TS + PC)
    assert e.message == "cannot find section [[PROFILES]] in config file"
    assert e.details == ("Unable to parse association configuration file: x.cfg: "
                         "cannot find section [[PROFILES]] in config file",)
    assert failure("").message == "cannot find section [[TRANSFERSYNTAXES]] in config file"


@pytest.mark.parametrize("text, reason, line", [
    (TS.replace("LittleEndianImplicit", "NoSuchTS") + PC + PR, "not a valid transfer syntax UID: NoSuchTS", 3),
    (TS.replace("LittleEndianImplicit", "") + PC + PR, "not a valid transfer syntax UID: ", 3),
    (TS + PC.replace("\\U", "\\NOPE") + PR, "transfer syntax key undefined: NOPE", 6),
    (TS + PC.replace("\\U", " U") + PR,
     "syntax error: missing '\\' in entry PRESENTATIONCONTEXT1 in config file", 6),
    (TS + PC.replace("CTImageStorage", "") + PR, "Illegal call, perhaps wrong parameters", 6),
    (TS + PC.replace("CTImageStorage\\", "CTImageStorage \\") + PR,
     "not a valid abstract syntax UID: CTImageStorage ", 6),
    (TS + PC.replace("\\U", "\\U\\U") + PR, "transfer syntax key undefined: U\\U", 6),
    (TS + PC + "[[Profiles]]\n[P]\nFoo = S\n",
     "no PRESENTATIONCONTEXTS  entry in section P in config file", 8),
    (TS + PC + "[[Profiles]]\n[P]\nPresentationContexts = T\n", "presentation context key undefined: T", 9),
    (TS + PC + PR + "[p]\nPresentationContexts = S\n", "two profiles defined for key: S", 10),
    (TS + PC + ROLES.replace("\\SCU", "\\SCX") + PR, "syntax error: unknown role key in entry ROLE1 in config file", 9),
    (TS + PC + ROLES.replace("\\SCU", "\\ SCU") + PR,
     "syntax error: unknown role key in entry ROLE1 in config file", 9),
    (TS + PC + ROLES.replace("\\SCU", " SCU") + PR, "syntax error: missing '\\' in entry ROLE1 in config file", 9),
    (TS + PC + ROLES.replace("CTImageStorage", "Nope") + PR, "not a valid abstract syntax UID: Nope", 9),
    (TS + PC + ROLES.replace("Role2 = 1.2.840.10008.5.1.4.1.1.4", "Role2 = 1.2.840.10008.5.1.4.1.1.2") + PR,
     "role selection defined twice for abstract syntax UID: 1.2.840.10008.5.1.4.1.1.2", 10),
    (TS + PC + ROLES + PR + "SCPSCURoleSelection = Q\n", "role selection key undefined: Q", 15),
    (TS + PC + "[[SCPSCURoleSelection]]\n[R]\n" + PR + "SCPSCURoleSelection = R\n",
     "role selection key undefined: R", 12),
    (TS + PC + ROLES + PR + "SCPSCURoleSelection = R\n",
     "abstract syntax defined in role selection list 'R' but not in presentation context list 'S': "
     "1.2.840.10008.5.1.4.1.1.4", 10),
    (TS + PC + EXT.replace("\\020003000000", " 020003000000") + PR,
     "syntax error: missing '\\' in entry EXTENDEDNEGOTIATION1 in config file", 9),
    (TS + PC + EXT.replace("ExtendedNegotiation2 = MRImageStorage", "ExtendedNegotiation2 = CTImageStorage") + PR,
     "extended negotiation defined twice for abstract syntax UID: CTImageStorage", 10),
    (TS + PC + EXT + PR + "ExtendedNegotiation = F\n", "extended negotiation key undefined: F", 14),
    # sic: DCMTK 3.6.7 reuses the role selection wording for extended negotiation
    (TS + PC + EXT + PR + "ExtendedNegotiation = E\n",
     "abstract syntax defined in role selection list 'E' but not in presentation context list 'S': "
     "1.2.840.10008.5.1.4.1.1.4", 10),
])
def test_file_errors(text, reason, line):
    e = failure(text)
    assert isinstance(e, ProfileFileError)
    assert (e.message, e.reason, e.line) == (reason, reason, line)
    assert e.details == (f"Unable to parse association configuration file: x.cfg: {reason} (line {line})",)


def test_unknown_profile():
    with pytest.raises(ProfileSelectionError) as info:
        parse_config(TS + PC + PR).profile("NoSuchProfile")
    e = info.value
    assert e.exit_code == 66
    assert e.message == "Invalid or non-existing SCP Association Profile"
    assert e.details == ('No association profile named "NoSuchProfile" in association configuration, '
                         "did you forget to add presentation contexts?",)
    assert (e.problem, e.profile, e.profile_key) == ("unknown", "NoSuchProfile", "NOSUCHPROFILE")


def test_duplicate_abstract_syntax_is_not_a_valid_scp_profile():
    text = (TS + PC + "PresentationContext2 = 1.2.840.10008.5.1.4.1.1.2\\U\n"
            + "[[Profiles]]\n[Dup]\nPresentationContexts = S\n")
    config = parse_config(text)
    with pytest.raises(ProfileSelectionError) as info:
        config.profile("Dup")
    e = info.value
    assert e.message == "Invalid or non-existing SCP Association Profile"
    assert e.details == ('The association profile named "Dup" is not a valid SCP association profile (line 7)',)
    assert e.problem == "not_scp"
    # fine for a requestor
    assert len(config.profile("dup", role="scu").contexts) == 2


def test_scu_problem_too_many_transfer_syntaxes():
    tss = "".join(f"TransferSyntax{i} = 1.2.3.{i}\n" for i in range(1, 130))
    profile = parse_config("[[TransferSyntaxes]]\n[U]\n" + tss + PC + PR).profile("p")
    assert profile.scu_problem() == "transfer syntax list too long, cannot handle more than 128 entries: U"


# -- built-in profile -----------------------------------------------------------------------------


def test_verification_only_profile():
    profile = VERIFICATION_ONLY_PROFILE
    assert isinstance(profile, AssociationProfile)
    assert profile.contexts == (ContextSpec(VERIFICATION, (IMPLICIT,)),)
    assert profile.accept(VERIFICATION, [EXPLICIT, IMPLICIT]) == (0, IMPLICIT)
    assert profile.accept(VERIFICATION, [EXPLICIT]) == (4, None)
    assert profile.accept(CT, [IMPLICIT]) == (3, None)
    profile.validate_for_scp()


# -- the real DCMTK as oracle ----------------------------------------------------------------------

ORACLE_CASES = {
    "ok": (TS + PC + PR, "p"),
    "my_profile": (MY_CFG, "my profile"),
    "my_underscore": (MY_CFG, "my_profile"),
    "dup": (TS + PC + "PresentationContext2 = 1.2.840.10008.5.1.4.1.1.2\\U\n" + PR, "p"),
    "bad_ts": (TS.replace("LittleEndianImplicit", "NoSuchTS") + PC + PR, "p"),
    "no_profiles": (TS + PC, "p"),
    "missing_backslash": (TS + PC.replace("\\U", " U") + PR, "p"),
    "empty_abstract": (TS + PC.replace("CTImageStorage", "") + PR, "p"),
    "role": (TS + PC3 + ROLES + EXT + PR_FULL, "p"),
    "role_undefined": (TS + PC + ROLES + PR + "SCPSCURoleSelection = Q\n", "p"),
    "ext_odd": (TS + PC + EXT.replace("020003000000", "02000300000") + PR, "p"),
    "ext_1024": (TS + PC + EXT.replace("020003000000", "ab" * 1024) + PR, "p"),
    "two_profiles": (TS + PC + PR + "[p]\nPresentationContexts = S\n", "p"),
    "gap_and_orphans": ("x = 1\n" + TS + "TransferSyntax3 = Nope\n" + PC + PR, "P"),
    "garbage_line": (TS + "garbage line\n[V]\nTransferSyntax1 = Nope\n" + PC + PR, "p"),
    "pc129": (TS + "[[PresentationContexts]]\n[S]\n" + "".join(
        f"PresentationContext{i} = 1.3.6.1.4.1.9.{i}\\U\n" for i in range(1, 130)) + PR, "p"),
}


@pytest.mark.interop
@pytest.mark.skipif(not os.access(DCMRECV, os.X_OK), reason="DCMTK dcmrecv not installed")
@pytest.mark.parametrize("case", sorted(ORACLE_CASES))
def test_same_outcome_as_dcmtk_dcmrecv(tmp_path, case):
    """dcmrecv -xf <file> <profile> with a missing output directory: exit 45 means the profile
    loaded, exit 66 comes with the E:/F: lines to compare."""
    text, profile = ORACLE_CASES[case]
    path = write(tmp_path, text)
    missing_dir = tmp_path / "missing"
    run = subprocess.run([DCMRECV, "-xf", str(path), profile, "11199", "-od", str(missing_dir)],
                         capture_output=True, text=True, timeout=10)
    dcmtk_lines = [line for line in run.stderr.splitlines() + run.stdout.splitlines()
                   if line.startswith(("E:", "F:"))]
    try:
        load_profile(path, profile)
    except AssociationConfigError as e:
        ours = [f"E: {re.sub(r' [(]line [0-9]+[)]$', '', d)}" for d in e.details]
        ours.append(f"F: cannot load association configuration: {e.message}")
        assert run.returncode == 66
        assert dcmtk_lines == ours
    else:
        assert run.returncode == 45, dcmtk_lines
