"""What each DICOM transfer syntax is, as far as pixel data conversion is concerned.

One :class:`TransferSyntax` record per UID of PS3.6 Table A-1 (every standard and retired
transfer syntax, up to the 2024 editions: JPEG processes 1-29, JPEG-LS, RLE, JPEG 2000 Part 1
and Part 2, JPIP, MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265, JPEG XL, HTJ2K, deflate, SMPTE ST 2110,
the encapsulated uncompressed and deflated image frame syntaxes).  The records describe
*capabilities*: how the data set is encoded (PS3.5 §10 and Annex A), whether pixel data are
encapsulated (PS3.5 §A.4), whether the syntax admits lossy compression.  Display names
(DCMTK's spelling) live in :mod:`pydcmkit.uids`; the short ``keyword`` here only labels a record
in code, logs and test ids.

Lossless classification follows DCMTK's ``DcmXfer::isLossless``/``isLossy``: a syntax whose
definition allows irreversible coding (JPEG 2000 ``.91``, HTJ2K ``.203``, JPEG-LS near-lossless,
JPEG processes with DCT coding, the video syntaxes, JPEG XL ``.112``) counts as lossy even though
a particular object may have been coded reversibly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "TransferSyntax",
    "TRANSFER_SYNTAXES",
    "UNCOMPRESSED",
    "IMPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_BIG_ENDIAN",
    "DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN",
    "ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN",
    "JPEG_BASELINE",
    "JPEG_EXTENDED",
    "JPEG_SPECTRAL_SELECTION",
    "JPEG_FULL_PROGRESSION",
    "JPEG_LOSSLESS",
    "JPEG_LOSSLESS_SV1",
    "JPEG_LS_LOSSLESS",
    "JPEG_LS_NEAR_LOSSLESS",
    "JPEG_2000_LOSSLESS",
    "JPEG_2000",
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
    "HTJ2K",
    "RLE_LOSSLESS",
    "lookup",
    "transfer_syntax",
    "is_known",
    "is_uncompressed",
]

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.98"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_SPECTRAL_SELECTION = "1.2.840.10008.1.2.4.53"
JPEG_FULL_PROGRESSION = "1.2.840.10008.1.2.4.55"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG_2000 = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"

#: The three uncompressed transfer syntaxes of PS3.5 §A.1-A.3, in the order DCMTK proposes them
#: (Explicit VR Little Endian, Explicit VR Big Endian, Implicit VR Little Endian).
UNCOMPRESSED: tuple[str, str, str] = (
    EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
)


@dataclass(frozen=True)
class TransferSyntax:
    """Encoding properties of one transfer syntax (PS3.5 §10, Annex A).

    Attributes
    ----------
    uid : str
        The Transfer Syntax UID.
    keyword : str
        A short identifier for code and logs (not a display name, see :mod:`pydcmkit.uids`).
    family : str
        The coding family: ``native``, ``deflate``, ``jpeg``, ``jpeg-ls``, ``rle``, ``jpeg2000``,
        ``jpeg2000-mc``, ``htj2k``, ``jpip``, ``mpeg2``, ``h264``, ``hevc``, ``jpeg-xl``,
        ``smpte-2110``, ``deflate-frame``, ``mime``, ``xml`` or ``unknown``.
    is_implicit : bool
        The data set uses Implicit VR (PS3.5 §7.1.3).
    is_little_endian : bool
        Binary values are little endian (PS3.5 §7.3).
    is_encapsulated : bool
        Pixel Data are encapsulated in fragments (PS3.5 §A.4).
    is_compressed : bool
        Pixel Data are coded by an image or video codec (encapsulated and not the Encapsulated
        Uncompressed syntax).
    is_deflated : bool
        The whole data set is deflate-compressed (RFC 1951, PS3.5 §A.5).
    lossless : bool or None
        ``True`` when the syntax only admits reversible coding, ``False`` when it admits
        irreversible coding, ``None`` for an unknown syntax.
    lossy_method : str or None
        The defined term for (0028,2114) Lossy Image Compression Method (PS3.3 C.7.6.1.1.5.1)
        when the syntax admits lossy coding.
    pixel_data_referenced : bool
        Pixel data are not in the data set but referenced, (0028,7FE0) Pixel Data Provider URL
        (JPIP, PS3.5 §A.6) or sent as an RTP stream (SMPTE ST 2110, PS3.5 §8.2.11).
    is_retired : bool
        The syntax is retired in the current edition of PS3.6.
    """

    uid: str
    keyword: str
    family: str
    is_implicit: bool = False
    is_little_endian: bool = True
    is_encapsulated: bool = False
    is_compressed: bool = False
    is_deflated: bool = False
    lossless: bool | None = True
    lossy_method: str | None = None
    pixel_data_referenced: bool = False
    is_retired: bool = False

    @property
    def is_uncompressed(self) -> bool:
        """``True`` for the three uncompressed syntaxes of :data:`UNCOMPRESSED`."""
        return self.uid in UNCOMPRESSED

    @property
    def is_known(self) -> bool:
        """``False`` for the placeholder record of an unknown (private) syntax."""
        return self.family != "unknown"

    @property
    def is_lossy(self) -> bool:
        """``True`` when the syntax admits irreversible coding (``lossless is False``)."""
        return self.lossless is False

    def __str__(self) -> str:
        return f"{self.uid} ({self.keyword})"


def _jpeg(uid_suffix: str, keyword: str, lossless: bool, retired: bool = True) -> TransferSyntax:
    return TransferSyntax(
        uid=f"1.2.840.10008.1.2.4.{uid_suffix}",
        keyword=keyword,
        family="jpeg",
        is_encapsulated=True,
        is_compressed=True,
        lossless=lossless,
        lossy_method=None if lossless else "ISO_10918_1",
        is_retired=retired,
    )


def _video(uid: str, keyword: str, family: str, method: str) -> TransferSyntax:
    return TransferSyntax(
        uid=uid, keyword=keyword, family=family, is_encapsulated=True, is_compressed=True,
        lossless=False, lossy_method=method,
    )


def _codec(uid: str, keyword: str, family: str, lossless: bool, method: str | None = None,
           retired: bool = False) -> TransferSyntax:
    return TransferSyntax(
        uid=uid, keyword=keyword, family=family, is_encapsulated=True, is_compressed=True,
        lossless=lossless, lossy_method=None if lossless else method, is_retired=retired,
    )


_ALL: tuple[TransferSyntax, ...] = (
    TransferSyntax(IMPLICIT_VR_LITTLE_ENDIAN, "ImplicitVRLittleEndian", "native", is_implicit=True),
    TransferSyntax(EXPLICIT_VR_LITTLE_ENDIAN, "ExplicitVRLittleEndian", "native"),
    TransferSyntax(ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
                   "EncapsulatedUncompressedExplicitVRLittleEndian", "native", is_encapsulated=True),
    TransferSyntax(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, "DeflatedExplicitVRLittleEndian", "deflate",
                   is_deflated=True),
    TransferSyntax(EXPLICIT_VR_BIG_ENDIAN, "ExplicitVRBigEndian", "native", is_little_endian=False,
                   is_retired=True),
    _jpeg("50", "JPEGBaseline8Bit", lossless=False, retired=False),
    _jpeg("51", "JPEGExtended12Bit", lossless=False, retired=False),
    _jpeg("52", "JPEGExtended35", lossless=False),
    _jpeg("53", "JPEGSpectralSelection68", lossless=False),
    _jpeg("54", "JPEGSpectralSelection79", lossless=False),
    _jpeg("55", "JPEGFullProgression1012", lossless=False),
    _jpeg("56", "JPEGFullProgression1113", lossless=False),
    _jpeg("57", "JPEGLossless", lossless=True, retired=False),
    _jpeg("58", "JPEGLossless15", lossless=True),
    _jpeg("59", "JPEGExtendedHierarchical1618", lossless=False),
    _jpeg("60", "JPEGExtendedHierarchical1719", lossless=False),
    _jpeg("61", "JPEGSpectralSelectionHierarchical2022", lossless=False),
    _jpeg("62", "JPEGSpectralSelectionHierarchical2123", lossless=False),
    _jpeg("63", "JPEGFullProgressionHierarchical2426", lossless=False),
    _jpeg("64", "JPEGFullProgressionHierarchical2527", lossless=False),
    _jpeg("65", "JPEGLosslessHierarchical28", lossless=True),
    _jpeg("66", "JPEGLosslessHierarchical29", lossless=True),
    _jpeg("70", "JPEGLosslessSV1", lossless=True, retired=False),
    _codec(JPEG_LS_LOSSLESS, "JPEGLSLossless", "jpeg-ls", lossless=True),
    _codec(JPEG_LS_NEAR_LOSSLESS, "JPEGLSNearLossless", "jpeg-ls", lossless=False, method="ISO_14495_1"),
    _codec(JPEG_2000_LOSSLESS, "JPEG2000Lossless", "jpeg2000", lossless=True),
    _codec(JPEG_2000, "JPEG2000", "jpeg2000", lossless=False, method="ISO_15444_1"),
    _codec("1.2.840.10008.1.2.4.92", "JPEG2000MCLossless", "jpeg2000-mc", lossless=True),
    _codec("1.2.840.10008.1.2.4.93", "JPEG2000MC", "jpeg2000-mc", lossless=False, method="ISO_15444_2"),
    TransferSyntax("1.2.840.10008.1.2.4.94", "JPIPReferenced", "jpip", lossless=None,
                   pixel_data_referenced=True),
    TransferSyntax("1.2.840.10008.1.2.4.95", "JPIPReferencedDeflate", "jpip", is_deflated=True,
                   lossless=None, pixel_data_referenced=True),
    _video("1.2.840.10008.1.2.4.100", "MPEG2MPML", "mpeg2", "ISO_13818_2"),
    _video("1.2.840.10008.1.2.4.100.1", "MPEG2MPMLF", "mpeg2", "ISO_13818_2"),
    _video("1.2.840.10008.1.2.4.101", "MPEG2MPHL", "mpeg2", "ISO_13818_2"),
    _video("1.2.840.10008.1.2.4.101.1", "MPEG2MPHLF", "mpeg2", "ISO_13818_2"),
    _video("1.2.840.10008.1.2.4.102", "MPEG4HP41", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.102.1", "MPEG4HP41F", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.103", "MPEG4HP41BD", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.103.1", "MPEG4HP41BDF", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.104", "MPEG4HP422D", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.104.1", "MPEG4HP422DF", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.105", "MPEG4HP423D", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.105.1", "MPEG4HP423DF", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.106", "MPEG4HP42STEREO", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.106.1", "MPEG4HP42STEREOF", "h264", "ISO_14496_10"),
    _video("1.2.840.10008.1.2.4.107", "HEVCMP51", "hevc", "ISO_23008_2"),
    _video("1.2.840.10008.1.2.4.108", "HEVCM10P51", "hevc", "ISO_23008_2"),
    _codec("1.2.840.10008.1.2.4.110", "JPEGXLLossless", "jpeg-xl", lossless=True),
    # Lossless transcoding of a JPEG baseline codestream: the pixels were lossy coded before.
    _codec("1.2.840.10008.1.2.4.111", "JPEGXLJPEGRecompression", "jpeg-xl", lossless=False,
           method="ISO_18181_1"),
    _codec("1.2.840.10008.1.2.4.112", "JPEGXL", "jpeg-xl", lossless=False, method="ISO_18181_1"),
    _codec(HTJ2K_LOSSLESS, "HTJ2KLossless", "htj2k", lossless=True),
    _codec(HTJ2K_LOSSLESS_RPCL, "HTJ2KLosslessRPCL", "htj2k", lossless=True),
    _codec(HTJ2K, "HTJ2K", "htj2k", lossless=False, method="ISO_15444_15"),
    TransferSyntax("1.2.840.10008.1.2.4.204", "JPIPHTJ2KReferenced", "jpip", lossless=None,
                   pixel_data_referenced=True),
    TransferSyntax("1.2.840.10008.1.2.4.205", "JPIPHTJ2KReferencedDeflate", "jpip", is_deflated=True,
                   lossless=None, pixel_data_referenced=True),
    _codec(RLE_LOSSLESS, "RLELossless", "rle", lossless=True),
    TransferSyntax("1.2.840.10008.1.2.6.1", "RFC2557MIMEEncapsulation", "mime", lossless=None,
                   is_retired=True),
    TransferSyntax("1.2.840.10008.1.2.6.2", "XMLEncoding", "xml", lossless=None, is_retired=True),
    TransferSyntax("1.2.840.10008.1.2.7.1", "SMPTEST211020UncompressedProgressiveActiveVideo",
                   "smpte-2110", pixel_data_referenced=True),
    TransferSyntax("1.2.840.10008.1.2.7.2", "SMPTEST211020UncompressedInterlacedActiveVideo",
                   "smpte-2110", pixel_data_referenced=True),
    TransferSyntax("1.2.840.10008.1.2.7.3", "SMPTEST211030PCMDigitalAudio", "smpte-2110",
                   pixel_data_referenced=True),
    _codec("1.2.840.10008.1.2.8.1", "DeflatedImageFrameCompression", "deflate-frame", lossless=True),
    TransferSyntax("1.2.840.10008.1.20", "Papyrus3ImplicitVRLittleEndian", "native", is_implicit=True,
                   is_retired=True),
)

#: Every known transfer syntax by UID (read-only).
TRANSFER_SYNTAXES: Mapping[str, TransferSyntax] = MappingProxyType({ts.uid: ts for ts in _ALL})


def lookup(uid: str) -> TransferSyntax | None:
    """Return the record of a known transfer syntax, ``None`` for any other UID."""
    return TRANSFER_SYNTAXES.get(str(uid).strip().rstrip("\x00"))


def transfer_syntax(uid: str) -> TransferSyntax:
    """Return the record of `uid`, or a placeholder for an unknown (private) syntax.

    An unknown syntax is assumed to be Explicit VR Little Endian with encapsulated pixel data
    of unknown losslessness -- the only sensible assumption for a syntax that was negotiated
    but is not in PS3.6 (PS3.5 §10.2 requires Explicit VR LE for all syntaxes but the defaults
    and Big Endian).
    """
    uid = str(uid).strip().rstrip("\x00")
    known = TRANSFER_SYNTAXES.get(uid)
    if known is not None:
        return known
    return TransferSyntax(uid=uid, keyword="Unknown", family="unknown", is_encapsulated=True,
                          is_compressed=True, lossless=None)


def is_known(uid: str) -> bool:
    """``True`` when `uid` is a standard (current or retired) transfer syntax."""
    return lookup(uid) is not None


def is_uncompressed(uid: str) -> bool:
    """``True`` for Implicit VR LE, Explicit VR LE and Explicit VR BE (PS3.5 §A.1-A.3)."""
    return str(uid).strip().rstrip("\x00") in UNCOMPRESSED
