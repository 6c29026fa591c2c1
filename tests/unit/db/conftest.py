"""Fixtures of the query database tests: both backends, a throwaway PostgreSQL server, the corpus.

PostgreSQL: unless ``PYDCMKIT_TEST_POSTGRES_URL`` names a server to use, a private server is
initialised in a temporary directory (as the ``postgres`` user when running as root), listens on a
unix socket only, and is stopped at the end of the session.  Missing server binaries fail the
tests (CI installs the Debian package ``postgresql``); they are not skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest

from pydcmkit.db import open_database, record_from_file
from tests.support import corpus

BACKENDS = ("sqlite", "postgresql")
#: the files the experiments of dcmqrscp.md §9 store, in order
SPEC_FILES = ("ct1.dcm", "ct2.dcm", "ct3.dcm", "mr1.dcm")


def _pg_bindir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0, reverse=True)
    for d in candidates:
        if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "postgres")):
            return d
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return os.path.dirname(initdb)
    pytest.fail("PostgreSQL server binaries (initdb, postgres) not found: install the Debian package "
                "'postgresql' (or set PYDCMKIT_TEST_POSTGRES_URL to a server to use)", pytrace=False)


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        pytest.fail("running as root needs runuser to start PostgreSQL as the 'postgres' user", pytrace=False)
    return ["runuser", "-u", "postgres", "--"] + cmd


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL database for the session (a private server unless configured)."""
    url = os.environ.get("PYDCMKIT_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    import psycopg

    bindir = _pg_bindir()
    tmp = tempfile.mkdtemp(prefix="pydcmkit-pg-")
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root, but there is no 'postgres' user to run the server", pytrace=False)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    data = os.path.join(tmp, "data")
    init = subprocess.run(_as_server_user([os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                                           "-E", "UTF8", "--no-locale", "--no-sync"]),
                          capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        pytest.fail(f"initdb failed ({init.returncode}): {init.stderr.strip()}", pytrace=False)
    port = 54000 + os.getpid() % 1000
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen(_as_server_user([
        os.path.join(bindir, "postgres"), "-D", data, "-k", tmp, "-p", str(port), "-c", "listen_addresses=",
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=200"]), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"postgresql://postgres@/postgres?host={quote(tmp, safe='')}&port={port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"PostgreSQL exited with {proc.returncode}: {Path(tmp, 'server.log').read_text()}",
                            pytrace=False)
            try:
                with psycopg.connect(base, autocommit=True, connect_timeout=2) as conn:
                    conn.execute("CREATE DATABASE pydcmkit")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    pytest.fail("PostgreSQL did not start in 60 s", pytrace=False)
                time.sleep(0.05)
        yield f"postgresql://postgres@/pydcmkit?host={quote(tmp, safe='')}&port={port}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # fast shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


_schemas = itertools.count()


@pytest.fixture
def pg_url(pg_server_url):
    """URL of an empty PostgreSQL schema of its own (search_path), dropped after the test."""
    import psycopg

    name = f"t{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    yield pg_server_url + ("&" if "?" in pg_server_url else "?") + "options=" + quote(f"-csearch_path={name}", safe="")
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh database of each backend: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "index.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url):
    database = open_database(db_url)
    yield database
    database.close()


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The shared corpus without the DCMTK-made variants (no DCMTK needed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the corpus holds deliberately invalid values
        return Path(corpus.generate(str(tmp_path_factory.mktemp("dbcorpus") / "data"), dcmtk_variants=False))


@pytest.fixture
def spec_db(db, corpus_dir):
    """The database after the stores of dcmqrscp.md §9: ct1, ct2, ct3, mr1."""
    for name in SPEC_FILES:
        db.add_instance(record_from_file(corpus_dir / name))
    return db
