"""Transfer syntax capabilities and pixel data conversion.

* :mod:`~pydcmkit.codec.syntaxes` -- what each transfer syntax is (PS3.5, PS3.6 Table A-1);
* :mod:`~pydcmkit.codec.pixels` -- what this installation can decode and encode;
* :mod:`~pydcmkit.codec.encoders` -- the encoding backends (pydicom, GDCM) and their registry;
* :mod:`~pydcmkit.codec.convert` -- decode, encode, convert and serialise a data set.
"""

import importlib

# Names are resolved on first use (PEP 562): importing the registry must not import pydicom and
# the pixel codecs, which cost a tool about 0.2 s at start-up.
_WHERE = {
    "compress": "conversion", "convert": "conversion", "dataset_transfer_syntax": "conversion",
    "decompress": "conversion", "encode_dataset": "conversion", "is_lossless_conversion": "conversion",
    "register_target": "conversion", "register_private_decoder": "conversion",
    "PrivatePixelDecoder": "conversion", "holds_private_pixels": "conversion",
    "EncodeParams": "encoders", "CodecError": "errors",
    "can_decode": "pixels", "can_encode": "pixels", "decodable_syntaxes": "pixels",
    "decoder_backends": "pixels", "encodable_syntaxes": "pixels", "encoder_backends": "pixels",
    "UNCOMPRESSED": "syntaxes", "TransferSyntax": "syntaxes", "lookup": "syntaxes",
    "transfer_syntax": "syntaxes",
}


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CodecError",
    "EncodeParams",
    "PrivatePixelDecoder",
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
    "holds_private_pixels",
    "is_lossless_conversion",
    "lookup",
    "register_private_decoder",
    "register_target",
    "transfer_syntax",
]
