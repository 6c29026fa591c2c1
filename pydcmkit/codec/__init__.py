"""Transfer syntax capabilities and pixel data conversion.

* :mod:`~pydcmkit.codec.syntaxes` -- what each transfer syntax is (PS3.5, PS3.6 Table A-1);
* :mod:`~pydcmkit.codec.pixels` -- what this installation can decode and encode;
* :mod:`~pydcmkit.codec.encoders` -- the encoding backends (pydicom, GDCM) and their registry;
* :mod:`~pydcmkit.codec.convert` -- decode, encode, convert and serialise a data set.
"""

from pydcmkit.codec.convert import (
    compress,
    convert,
    dataset_transfer_syntax,
    decompress,
    encode_dataset,
    is_lossless_conversion,
    register_target,
)
from pydcmkit.codec.encoders import EncodeParams
from pydcmkit.codec.errors import CodecError
from pydcmkit.codec.pixels import (
    can_decode,
    can_encode,
    decodable_syntaxes,
    decoder_backends,
    encodable_syntaxes,
    encoder_backends,
)
from pydcmkit.codec.syntaxes import UNCOMPRESSED, TransferSyntax, lookup, transfer_syntax

__all__ = [
    "CodecError",
    "EncodeParams",
    "TransferSyntax",
    "UNCOMPRESSED",
    "can_decode",
    "can_encode",
    "compress",
    "convert",
    "dataset_transfer_syntax",
    "decodable_syntaxes",
    "decoder_backends",
    "decompress",
    "encodable_syntaxes",
    "encode_dataset",
    "encoder_backends",
    "is_lossless_conversion",
    "lookup",
    "register_target",
    "transfer_syntax",
]
