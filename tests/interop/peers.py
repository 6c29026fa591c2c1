"""pynetdicom Storage SCPs with special behaviour, run in a thread of the test process."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification

from tests.support.procs import free_port

logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


@contextmanager
def pynetdicom_scp(contexts: list[str], handlers=(), ae_title: str = "PYSCP"):
    """A pynetdicom acceptor supporting ``contexts`` (abstract syntaxes, default transfer syntaxes);
    yields its port and stops it afterwards."""
    ae = AE(ae_title=ae_title)
    for abstract in contexts:
        ae.add_supported_context(abstract)
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=list(handlers))
    try:
        yield port
    finally:
        server.shutdown()


@contextmanager
def verification_only_scp():
    """Accepts associations even when no storage context is acceptable (dcmsend.md S6)."""
    with pynetdicom_scp([Verification]) as port:
        yield port


@contextmanager
def status_scp(status_by_sop_class: dict[str, int]):
    """Answers every C-STORE with the status configured for the SOP class (dcmsend.md S7)."""
    received: list[str] = []

    def on_store(event):
        received.append(event.request.AffectedSOPInstanceUID)
        return status_by_sop_class[event.request.AffectedSOPClassUID]

    with pynetdicom_scp([Verification, *status_by_sop_class], [(evt.EVT_C_STORE, on_store)]) as port:
        yield port, received
