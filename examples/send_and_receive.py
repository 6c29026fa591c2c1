"""Send and receive DICOM instances with the pydcmkit library API (no command line involved).

Run: python examples/send_and_receive.py FILE.dcm [FILE.dcm ...]
"""

import sys
import tempfile
import threading

from pydcmkit.config.asconfig import parse_config
from pydcmkit.net import dimse
from pydcmkit.net.negotiation import ProfileNegotiator
from pydcmkit.net.requestor import RequestorSettings
from pydcmkit.net.sender import SenderSettings, StorageSender, summary_lines
from pydcmkit.net.server import DicomServer, ServerSettings
from pydcmkit.services.store import StorageSCP, StoredInstance, StoreSettings, handle_echo
from pydcmkit.storage.inputs import read_instance
from pydcmkit.storage.naming import NamingScheme, StorageLayout

PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[Store]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = CTImageStorage\\Uncompressed
PresentationContext3 = MRImageStorage\\Uncompressed
PresentationContext4 = SecondaryCaptureImageStorage\\Uncompressed
[[Profiles]]
[Example]
PresentationContexts = Store
"""


class PrintingStore(StorageSCP):
    """A storage SCP that reports every stored instance (the index hook)."""

    def instance_stored(self, stored: StoredInstance) -> None:
        print(f"stored {stored.sop_instance_uid} -> {stored.path}")


def main(files):
    out = tempfile.mkdtemp(prefix="pydcmkit-example-")
    profile = parse_config(PROFILE, "example.cfg").profile("Example")
    store = PrintingStore(StoreSettings(StorageLayout(out, NamingScheme.SHORT_UNIQUE, extension=".dcm")))
    server = DicomServer(ServerSettings(port=0, bind_address="127.0.0.1"), ProfileNegotiator(profile),
                         {dimse.C_STORE_RQ: store.handle, dimse.C_ECHO_RQ: handle_echo})
    server.bind()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        sender = StorageSender(SenderSettings("127.0.0.1", server.port, RequestorSettings(called_ae="EXAMPLE")))
        result = sender.send([read_instance(f) for f in files])
        print("\n".join(summary_lines(result)))
    finally:
        server.shutdown()
        thread.join()


if __name__ == "__main__":
    main(sys.argv[1:])
