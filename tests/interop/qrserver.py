"""An in-process Q/R server over an indexed copy of the corpus, for the C-FIND/C-MOVE/C-GET tests."""

import contextlib
import threading

from pydcmkit.config.asconfig import parse_config
from pydcmkit.db import open_database, reindex
from pydcmkit.net import dimse
from pydcmkit.net.negotiation import ProfileNegotiator
from pydcmkit.net.server import DicomServer, ServerSettings
from pydcmkit.services.store import handle_echo

INDEXED = ("ct1.dcm", "ct2.dcm", "ct3.dcm", "mr1.dcm", "sc1.dcm")


def indexed_corpus(work):
    """An SQLite index of five corpus files (three CT of study .2.1, MR .2.2, SC .2.3)."""
    db = open_database(str(work / "index.sqlite"))
    assert reindex(db, [str(work / "data" / n) for n in INDEXED]).count == len(INDEXED)
    return db


@contextlib.contextmanager
def serving(profile_text: str, handlers: dict, **settings):
    """A DicomServer on 127.0.0.1 (free port) accepting profile ``QR`` of ``profile_text``, with
    C-ECHO plus ``handlers``, served from a thread until the block ends."""
    profile = parse_config(profile_text, "qr.cfg").profile("QR")
    server = DicomServer(ServerSettings(port=0, bind_address="127.0.0.1", host_lookup=False, **settings),
                         ProfileNegotiator(profile), {dimse.C_ECHO_RQ: handle_echo, **handlers})
    server.bind()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(10)
