"""-up: space-padded UIDs corrected when the received data set is written again."""

import io
import os

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from pydcmkit.storage.encoding import WriteEncoding, fix_uid_padding, reencode
from pydcmkit.storage.writer import file_meta_bytes

CT = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "CT_small.dcm")


def test_fix_uid_padding_strips_spaces_at_every_depth():
    from pydicom.dataelem import DataElement

    ds = Dataset()  # as read from the network: pydicom would strip the spaces on assignment
    ds.add(DataElement(0x00080018, "UI", "1.2.3 ", already_converted=True))
    item = Dataset()
    item.add(DataElement(0x00081155, "UI", " 1.2.4", already_converted=True))
    ds.ReferencedImageSequence = Sequence([item])
    ds.PatientName = "SPACE "
    assert fix_uid_padding(ds) == 2
    assert ds.SOPInstanceUID == "1.2.3"
    assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.4"
    assert ds.PatientName == "SPACE "
    assert fix_uid_padding(ds) == 0


def test_uid_padding_makes_the_received_data_set_rewritten(tmp_path):
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    assert not WriteEncoding(fix_uid_padding=True).is_default
    src = pydicom.dcmread(CT)
    series = src.SeriesInstanceUID
    src.SeriesInstanceUID = series + " "
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, src)
    ts = "1.2.840.10008.1.2.1"
    meta = file_meta_bytes(src.SOPClassUID, src.SOPInstanceUID, ts)
    received = tmp_path / "received"
    received.write_bytes(meta + body.getvalue())
    out = io.BytesIO()
    reencode(str(received), len(meta), ts, WriteEncoding(fix_uid_padding=True), out)
    written = pydicom.dcmread(io.BytesIO(out.getvalue()))
    assert written.SeriesInstanceUID == series
    assert written.file_meta.TransferSyntaxUID == ts
