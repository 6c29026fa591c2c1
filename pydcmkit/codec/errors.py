"""The one exception of the codec package."""

from __future__ import annotations

__all__ = ["CodecError"]


class CodecError(Exception):
    """Pixel data cannot be decoded, encoded or re-encoded in the requested transfer syntax.

    The message names the transfer syntax and the reason, e.g. ``cannot encode
    1.2.840.10008.1.2.4.50 (JPEGBaseline8Bit): Bits Stored 16 is not allowed, PS3.5 §8.2.1 needs
    8``.  Callers decide what the failure means for them (dcmsend: the instance is not sent;
    dgate: the object is stored unchanged).

    Attributes
    ----------
    transfer_syntax : str
        The UID of the transfer syntax that could not be handled ('' when none applies).
    reason : str
        The reason, without the transfer syntax.
    """

    def __init__(self, transfer_syntax: str, reason: str, *, action: str = "convert to"):
        from pydcmkit.codec.syntaxes import transfer_syntax as _ts

        self.transfer_syntax = str(transfer_syntax or "")
        self.reason = reason
        label = str(_ts(self.transfer_syntax)) if self.transfer_syntax else "(no transfer syntax)"
        super().__init__(f"cannot {action} {label}: {reason}")
