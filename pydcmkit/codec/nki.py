"""ConQuest's NKI private pixel compression (dgate codes ``n1``-``n5``), byte-compatible.

The format (nki-compression.md, checked against ConQuest 1.5.0e):

* The compressed value replaces (7FE0,0010) Pixel Data by (7FDF,0010) -- an odd group, but with
  no private creator: element 0010 is used directly -- with the VR of the Pixel Data it
  replaces; nothing else in the data set changes, and the object travels and is stored as
  Implicit VR Little Endian (ConQuest's ``.v2`` files hold no file meta).  The value is padded
  with one ``00`` to even length.
* The pixel buffer is a sequence of signed 16-bit little endian values, ``npixels = bytes // 2``,
  whatever Bits Allocated says.
* Header, 32-bit little endian words: number of pixels, mode; modes 2, 4 and 5 add the body size,
  the CRC of the pixels (modes 2, 4) and the CRC of the body (mode 2).  The CRC is CRC-32 with
  the reflected polynomial 0xEDB88320, initial register 0 and no final XOR (:func:`nki_crc`).
* Body of modes 1-4: the first pixel (int16 LE), then per pixel a code for the difference to the
  previous one: one byte for a 7-bit difference, two bytes ``(d >> 8) ^ 0x40, d`` for a 15-bit
  one, ``7F`` + the value big endian, ``80 n`` for n repeats; modes 3 and 4 also pack runs of
  4-bit differences as ``C0 n`` + n/2 bytes (high nibble first), so their one-byte code stops
  at -63.  Modes 2 and 4 pad the body to even length and check the pixel CRC on decoding.
* Mode 5 (lossy) keeps only the low 13 bits: ``00``-``1F`` + 1 byte is a direct value, ``20``-``DF``
  a difference ``b - 128``, ``E0``-``FF`` repeats the previous value ``b - 223`` times.

The encoder follows ConQuest's policy byte for byte (section 4.1 of the reference), which
matters because dgate leaves an object "already of mode X" alone and sites compare files.
Both directions are vectorised with numpy; the one Python loop follows the chain of the codes
whose start depends on the previous one (runs in the encoder, multi-byte codes in the decoder),
one step per such code.  A 512x512 CT image takes about 10-20 ms each way, against 40-65 ms for
compressing it with a plain per-pixel Python loop.

Data set level: :func:`compress_dataset`, :func:`decompress_dataset`, :func:`is_nki_compressed`.
Importing this module registers the targets ``n1``-``n5`` with
:func:`pydcmkit.codec.conversion.register_target`, so ``convert(ds, "n4")`` works like any
other target, and the NKI decoder with
:func:`pydcmkit.codec.conversion.register_private_decoder`, so ``decompress(ds)`` and
``convert(ds, target)`` decode an NKI object like any other compressed one.
"""

from __future__ import annotations

import struct
import zlib
from functools import partial
from typing import NamedTuple

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset

from pydcmkit.codec.conversion import (PrivatePixelDecoder, dataset_transfer_syntax,
                                       register_private_decoder, register_target)
from pydcmkit.codec.conversion import decompress as _to_native
from pydcmkit.codec.errors import CodecError
from pydcmkit.codec.syntaxes import IMPLICIT_VR_LITTLE_ENDIAN

__all__ = [
    "LOSSLESS_MODES",
    "MAX_MODE",
    "NKI_TAG",
    "NKIError",
    "NKIHeader",
    "compress_dataset",
    "decompress_dataset",
    "is_nki_compressed",
    "nki_compress",
    "nki_crc",
    "nki_decompress",
    "nki_header",
    "nki_mode",
    "nki_value",
]

#: (7FDF,0010): where ConQuest keeps the compressed pixels (no private creator).
NKI_TAG = 0x7FDF_0010
PIXEL_DATA = 0x7FE0_0010
#: The highest mode ConQuest 1.5 reads (1.4.17 reads up to 4).
MAX_MODE = 5
#: Modes 1-4 are lossless; mode 5 keeps only the low 13 bits.
LOSSLESS_MODES = (1, 2, 3, 4)
#: Vendors that use (7FDF,0010) for something else; ConQuest leaves such values alone.
FOREIGN_PREFIXES = (b"ACUSON", b"ELSCIN")

_HEADER_SIZE = {1: 8, 2: 20, 3: 8, 4: 20, 5: 20}
_RUN_CAP = {1: 255, 2: 255, 3: 255, 4: 255, 5: 32}
_MIN_ZEROS = 5     # modes 3, 4: a shorter zero run is written as zero bytes (4-bit candidates)
_MIN_4BIT = 6      # modes 3, 4: the shortest run of 4-bit candidates that is packed
_MAX_4BIT = 254    # modes 3, 4: a run of candidates is packed as soon as it is this long
_SLACK = 512       # look-up arrays reach this far past the end of the body (longest code 129)


class NKIError(ValueError):
    """NKI compressed data cannot be decoded: bad header, truncated body, corrupt code or CRC.

    The message names the reason, e.g. ``NKI data corrupt: pixel CRC 0x1234abcd does not match
    the header's 0x6e805036``.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"NKI data corrupt: {reason}")


class NKIHeader(NamedTuple):
    """The header words of an NKI compressed value (``None`` where the mode has no such word)."""

    npixels: int
    mode: int
    body_size: int | None
    pixel_crc: int | None
    body_crc: int | None

    @property
    def size(self) -> int:
        """The header length in bytes: 8 for modes 1 and 3, 20 for modes 2, 4 and 5."""
        return _HEADER_SIZE[self.mode]


def nki_crc(data: bytes) -> int:
    """CRC-32 as ConQuest computes it: polynomial 0xEDB88320 (reflected), register 0, no final XOR.

    Per byte ``crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)``; this is also what
    ``dgate --checksum:`` prints (``hello`` -> 4029829531).
    """
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------

def _as_int16(pixels) -> np.ndarray:
    """The pixels as a flat native int16 array (bytes: little endian, an odd last byte ignored)."""
    if isinstance(pixels, (bytes, bytearray, memoryview)):
        buf = memoryview(pixels).cast("B")
        return np.frombuffer(buf, dtype="<i2", count=len(buf) // 2).astype(np.int16, copy=False)
    arr = np.asarray(pixels)
    if arr.dtype.kind not in "iu" or arr.dtype.itemsize != 2:
        raise ValueError(f"NKI compression codes 16-bit integer pixels, not {arr.dtype}")
    native = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    return np.ascontiguousarray(native).reshape(-1).view(np.int16)


def _walk(candidates: np.ndarray, lengths: np.ndarray) -> list[int]:
    """Indices of the sorted `candidates` that a left-to-right walk of variable-length codes meets.

    Every position that is not a candidate is a code of length 1 (encoder: a one-pixel code;
    decoder: a one-byte code), so the walk meets the first candidate, then after each one met
    (at ``c``, ``lengths`` long) the first candidate at or after ``c + length``.  Those jumps
    are computed with numpy; only the chain is followed in Python, once per code met.
    """
    jump = np.searchsorted(candidates, candidates + lengths).tolist()
    met = []
    i, end = 0, len(jump)
    while i < end:
        met.append(i)
        i = jump[i]
    return met


def _runs(p: np.ndarray, zero: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """The runs of two or more pixels ConQuest's walk writes: first pixels k and lengths r.

    `zero` marks the zero differences (index k - 1 for pixel k).  At a zero difference ConQuest
    counts ``r = 1 +`` the pixels after k that equal ``p[k-1]`` (unmasked, also in mode 5),
    capped at `cap` and never taking the last pixel unless it is the only one left:
    ``r <= max(1, n - 1 - k)``; every other code takes one pixel.
    """
    n = p.size
    if n < 4:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # r >= 2 needs p[k+1] == p[k-1] and k <= n - 3.
    k = np.flatnonzero(zero[:n - 3] & (p[2:n - 1] == p[:n - 3])) + 1
    # pixels from k+1 on that equal p[k+1]: up to the first change at or after k+1
    change = np.append(np.flatnonzero(p[1:] != p[:-1]), n - 1)
    stretch_end = change[np.searchsorted(change, k + 1)]
    r = np.minimum(np.minimum(1 + stretch_end - k, cap), n - 1 - k)
    met = _walk(k, r)
    return k[met], r[met]


def _code_pixels(n: int, run_at: np.ndarray, run_len: np.ndarray) -> np.ndarray:
    """The pixels k = 1 .. n-1 that start a code: all but the ones inside a run after its first."""
    if not run_at.size:
        return np.arange(1, n)
    covered = np.zeros(n + 1, dtype=np.int32)
    covered[run_at + 1] = 1
    covered[run_at + run_len] -= 1
    return np.flatnonzero(np.cumsum(covered[1:n]) == 0) + 1


def _emit(slots: np.ndarray, length: np.ndarray) -> bytes:
    """The first ``length[i]`` bytes of every row of `slots`, in order."""
    return slots[np.arange(slots.shape[1]) < length[:, None]].tobytes()


def _body_modes_1_to_4(p: np.ndarray, mode: int) -> bytes:
    n = p.size
    first = p[:1].astype("<i2").tobytes()
    if n == 1:
        return first
    wide = p.astype(np.int32)
    d = wide[1:] - wide[:-1]
    run_at, run_len = _runs(p, d == 0, _RUN_CAP[mode])
    four_bit = mode in (3, 4)
    if four_bit:
        # Runs of up to 4 pixels are written as that many zero bytes (each a 4-bit candidate).
        keep = run_len >= _MIN_ZEROS
        run_at, run_len = run_at[keep], run_len[keep]
    k = _code_pixels(n, run_at, run_len)
    dk = d[k - 1]
    value = wide[k]

    small = (dk >= (-63 if four_bit else -64)) & (dk <= 63)
    medium = ~small & (dk >= -0x3F00) & (dk <= 0x3EFF)
    slots = np.empty((k.size, 3), dtype=np.uint8)
    slots[:, 0] = np.where(small, dk, np.where(medium, (dk >> 8) ^ 0x40, 0x7F)) & 0xFF
    slots[:, 1] = np.where(medium, dk, value >> 8) & 0xFF
    slots[:, 2] = value & 0xFF
    length = 3 - small - small - medium           # 1, 2 or 3 (bool arithmetic)
    run = np.searchsorted(k, run_at)
    slots[run, 0] = 0x80
    slots[run, 1] = run_len
    length[run] = 2
    small[run] = False
    if four_bit:
        _pack_4bit_runs(slots, length, small & (dk >= -8) & (dk <= 7), dk)
    return first + _emit(slots, length)


def _pack_4bit_runs(slots: np.ndarray, length: np.ndarray, candidate: np.ndarray,
                    dk: np.ndarray) -> None:
    """Replace runs of 4-bit candidates by ``C0 n`` + n/2 nibble bytes, as ConQuest does.

    ConQuest counts consecutive one-byte codes of -8..7 (zero runs of up to 4 included); a run
    is packed when it reaches 254 codes, or when another code ends it and it has at least 6:
    then its last ``n & ~1`` codes are packed (an odd first one stays a plain byte).  A run still
    open at the end of the image is not packed.
    """
    t = candidate.size
    edges = np.diff(candidate.view(np.int8), prepend=0, append=0)
    seq_start = np.flatnonzero(edges == 1)
    seq_len = np.flatnonzero(edges == -1) - seq_start
    closed = seq_start + seq_len < t

    full = seq_len // _MAX_4BIT
    full_start = np.repeat(seq_start, full) + _MAX_4BIT * _within(full)
    rest = seq_len % _MAX_4BIT
    tail = closed & (rest >= _MIN_4BIT)
    group_start = np.concatenate((full_start, seq_start[tail] + _MAX_4BIT * full[tail]
                                  + (rest[tail] & 1)))
    group_size = np.concatenate((np.full(full_start.size, _MAX_4BIT), rest[tail] & ~1))
    if not group_start.size:
        return

    members = np.repeat(group_start, group_size) + _within(group_size)
    pair, follower = members[0::2], members[1::2]      # every group has an even size
    slots[pair, 0] = ((dk[pair] << 4) | (dk[follower] & 15)) & 0xFF
    length[pair] = 1
    length[follower] = 0
    slots[group_start, 2] = slots[group_start, 0]
    slots[group_start, 0] = 0xC0
    slots[group_start, 1] = group_size
    length[group_start] = 3


def _within(counts: np.ndarray) -> np.ndarray:
    """``0 .. c-1`` for each count, concatenated."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def _body_mode_5(p: np.ndarray) -> bytes:
    n = p.size
    q = p.astype(np.int32) & 0x1FFF
    first = bytes((int(q[0]) >> 8, int(q[0]) & 0xFF))
    if n == 1:
        return first
    d = q[1:] - q[:-1]
    run_at, run_len = _runs(p, d == 0, _RUN_CAP[5])
    k = _code_pixels(n, run_at, run_len)
    dk = d[k - 1]
    qk = q[k]

    small = (dk >= -96) & (dk <= 95)
    slots = np.empty((k.size, 2), dtype=np.uint8)
    slots[:, 0] = np.where(dk == 0, 0xE0, np.where(small, dk + 128, qk >> 8))
    slots[:, 1] = qk & 0xFF
    length = 2 - small                             # a zero difference is small too
    slots[np.searchsorted(k, run_at), 0] = 0xDF + run_len
    return first + _emit(slots, length)


def nki_compress(pixels, mode: int) -> bytes:
    """Compress 16-bit pixels to the NKI private value ConQuest writes in (7FDF,0010).

    Parameters
    ----------
    pixels : bytes or numpy array
        Native little endian pixel data (any Bits Allocated: the buffer is read as signed 16-bit
        little endian values, an odd last byte is ignored as ConQuest does), or an array of
        int16/uint16 values (any shape, C order).
    mode : int
        1, 2 (with CRCs), 3, 4 (4-bit runs; 4 with the pixel CRC): lossless; 5: lossy, only
        ``p & 0x1FFF`` survives.

    Returns
    -------
    bytes
        Header + body, padded with one ``00`` to even length: byte-identical to ConQuest.  A
        single pixel gives a body of just that pixel (ConQuest's own encoder reads past its
        buffer there).

    Raises
    ------
    ValueError
        `mode` is not 1-5, there are no pixels, or the array is not of 16-bit integers.
    """
    if mode not in _HEADER_SIZE:
        raise ValueError(f"NKI compression mode must be 1-5, not {mode!r}")
    p = _as_int16(pixels)
    n = p.size
    if n == 0:
        raise ValueError("NKI compression needs at least one pixel")
    if n > 0xFFFFFFFF:
        raise ValueError(f"{n} pixels do not fit the 32-bit NKI header")
    body = _body_mode_5(p) if mode == 5 else _body_modes_1_to_4(p, mode)

    if mode in (1, 3):
        header = struct.pack("<II", n, mode)
    elif mode == 5:
        header = struct.pack("<IIIII", n, mode, len(body), 0, 0)
    else:
        if len(body) % 2:
            body += b"\x00"
        pixel_crc = nki_crc(p.astype("<i2", copy=False).tobytes())
        body_crc = nki_crc(body) if mode == 2 else 0
        header = struct.pack("<IIIII", n, mode, len(body), pixel_crc, body_crc)
    value = header + body
    return value + b"\x00" if len(value) % 2 else value


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

def nki_header(data: bytes) -> NKIHeader:
    """Read and check the header of an NKI compressed value.

    Raises
    ------
    NKIError
        Shorter than its header, mode not 1-5, or a pixel count of 0.
    """
    if len(data) < 8:
        raise NKIError(f"{len(data)} bytes are too short for the 8-byte header")
    npixels, mode = struct.unpack_from("<II", data)
    if mode not in _HEADER_SIZE:
        raise NKIError(f"unknown compression mode {mode} (ConQuest knows 1-5)")
    if npixels < 1:
        raise NKIError("the header gives 0 pixels")
    if _HEADER_SIZE[mode] == 8:
        return NKIHeader(npixels, mode, None, None, None)
    if len(data) < 20:
        raise NKIError(f"{len(data)} bytes are too short for the 20-byte header of mode {mode}")
    body_size, pixel_crc, body_crc = struct.unpack_from("<III", data, 8)
    if mode == 4:
        body_crc = None
    elif mode == 5:
        pixel_crc = body_crc = None
    return NKIHeader(npixels, mode, body_size, pixel_crc, body_crc)


def nki_decompress(data: bytes) -> np.ndarray:
    """Decode an NKI compressed value (modes 1-5) to its pixels.

    Follows ConQuest's decoder: the body is the rest of the value for modes 1 and 3 and the
    header's body size (bounded by what is there) for modes 2, 4 and 5; decoding stops after
    the header's number of pixels, so padding and trailing bytes are ignored; pixel arithmetic
    wraps at 16 bits; modes 2 and 4 check the CRC of the decoded pixels.

    Returns
    -------
    numpy.ndarray
        The pixels, flat int16 (``.tobytes()`` gives the little endian Pixel Data back).  For
        mode 5 the values are the low 13 bits of the originals (0-8191).

    Raises
    ------
    NKIError
        Bad header, a body that ends before all pixels are decoded, a run that overflows the
        pixel count or has length 0, or a CRC mismatch (mode 2 tells whether the compressed body
        itself is damaged).
    """
    data = bytes(data)
    header = nki_header(data)
    start = header.size
    end = len(data) if header.body_size is None else min(len(data), start + header.body_size)
    body = np.frombuffer(data, dtype=np.uint8, count=max(0, end - start), offset=start)
    if body.size < 2:
        raise NKIError(f"truncated: {body.size} body bytes, the first pixel needs 2")
    npixels = header.npixels
    # Longest expansion: 255 pixels per 2-byte run (modes 1-4), 32 per byte (mode 5).
    if npixels - 1 > 128 * (body.size - 2):
        raise NKIError(f"truncated: {body.size} body bytes cannot hold {npixels} pixels")
    if header.mode == 5:
        pixels = _decode_mode_5(body, npixels)
    else:
        pixels = _decode_modes_1_to_4(body, npixels, header.mode)
    if header.pixel_crc is not None:
        crc = nki_crc(pixels.astype("<i2", copy=False).tobytes())
        if crc != header.pixel_crc:
            detail = ""
            if header.body_crc is not None:
                body_ok = nki_crc(body.tobytes()) == header.body_crc
                detail = ("; the body CRC matches, so the coder is at fault" if body_ok
                          else "; the body CRC does not match either: the data are damaged")
            raise NKIError(f"pixel CRC {crc:#010x} does not match the header's "
                           f"{header.pixel_crc:#010x}{detail}")
    return pixels


def _code_starts(size: int, multi_at: np.ndarray, multi_len: np.ndarray) -> np.ndarray:
    """Positions of all codes of a body of `size` bytes, given the multi-byte codes met.

    Every byte that is not inside a multi-byte code (after its first byte) starts a code.
    """
    covered = np.zeros(size + _SLACK + 1, dtype=np.int32)
    covered[multi_at + 1] = 1
    covered[multi_at + multi_len] -= 1
    return np.flatnonzero(np.cumsum(covered[:size]) == 0)


def _cut(counts: np.ndarray, npixels: int) -> int:
    """Index of the code that completes the image; checks it neither falls short nor overflows."""
    done = np.cumsum(counts)
    need = npixels - 1
    last = int(np.searchsorted(done, need))
    if last == done.size:
        got = int(done[-1]) + 1 if done.size else 1
        raise NKIError(f"truncated: the body ends after {got} of {npixels} pixels")
    if done[last] > need:
        raise NKIError(f"a run of {int(counts[last])} pixels at pixel "
                       f"{int(done[last] - counts[last]) + 1} overflows the {npixels} pixels")
    return last


def _check_end(at: int, code_len: int, size: int) -> None:
    if at + code_len > size:
        raise NKIError(f"truncated: the code at body byte {at + 2} runs past the end "
                       f"({size + 2} bytes)")


def _rebuild(npixels: int, first: int, delta: np.ndarray, absolute_at: np.ndarray,
             absolute: np.ndarray) -> np.ndarray:
    """Pixels from differences and absolute values, wrapping at 16 bits as ConQuest's shorts do."""
    anchor_value = np.zeros(npixels, dtype=np.int64)
    anchor_value[0] = first
    anchor_value[absolute_at] = absolute
    anchor = np.zeros(npixels, dtype=np.int64)
    anchor[absolute_at] = absolute_at
    anchor = np.maximum.accumulate(anchor)
    delta[absolute_at] = 0
    total = np.cumsum(delta)
    pixels = anchor_value[anchor] + total - total[anchor]
    return (pixels & 0xFFFF).astype(np.uint16).view(np.int16)


def _decode_modes_1_to_4(body: np.ndarray, npixels: int, mode: int) -> np.ndarray:
    first = int(body[:2].view("<i2")[0])
    if npixels == 1:
        return np.array([first], dtype=np.int16)
    size = body.size - 2
    s = np.zeros(size + _SLACK, dtype=np.uint8)
    s[:size] = body[2:]
    signed = s.view(np.int8)
    four_bit = mode in (3, 4)
    small = (signed >= (-63 if four_bit else -64)) & (signed <= 63)
    small[size:] = True

    # Multi-byte codes: 7F (3 bytes), 80 n, C0 n + n/2 (modes 3, 4), 15-bit differences.
    multi_at = np.flatnonzero(~small)
    multi_lead = s[multi_at]
    multi_len = np.where(multi_lead == 0x7F, 3, 2)
    if four_bit:
        packed = multi_lead == 0xC0
        multi_len[packed] += s[multi_at[packed] + 1] // 2
    met = _walk(multi_at, multi_len)
    multi_at, multi_len = multi_at[met], multi_len[met]

    at = _code_starts(size, multi_at, multi_len)
    lead = s[at]
    is_run = (lead == 0x80) | (four_bit & (lead == 0xC0))
    count = np.where(is_run, s[at + 1], 1).astype(np.int64)
    last = _cut(count, npixels)
    at, lead, count, is_run = at[:last + 1], lead[:last + 1], count[:last + 1], is_run[:last + 1]
    final = int(at[-1])
    _check_end(final, 1 if small[final] else int(multi_len[np.searchsorted(multi_at, final)]),
               size)
    if (count[is_run] == 0).any():
        raise NKIError("a run of 0 pixels")
    packed = (lead == 0xC0) if four_bit else np.zeros(at.size, dtype=bool)
    if (count[packed] % 2).any():
        raise NKIError("a 4-bit run with an odd count")

    base = 1 + np.cumsum(count) - count
    delta = np.zeros(npixels, dtype=np.int64)
    one = small[at]
    delta[base[one]] = signed[at[one]]
    is_abs = lead == 0x7F
    medium = ~one & ~is_run & ~is_abs
    ma = at[medium]
    diff = ((s[ma].astype(np.int32) ^ 0x40) << 8) | s[ma + 1]
    delta[base[medium]] = diff.astype(np.uint16).view(np.int16)
    aa = at[is_abs]
    absolute = ((s[aa + 1].astype(np.int32) << 8) | s[aa + 2]).astype(np.uint16).view(np.int16)

    if packed.any():
        pairs = count[packed] // 2
        j = _within(pairs)
        src = np.repeat(at[packed] + 2, pairs) + j
        dst = np.repeat(base[packed], pairs) + 2 * j
        delta[dst] = signed[src] >> 4
        delta[dst + 1] = ((s[src] & 15) ^ 8).astype(np.int64) - 8
    return _rebuild(npixels, first, delta, base[is_abs], absolute)


def _decode_mode_5(body: np.ndarray, npixels: int) -> np.ndarray:
    first = int(body[:2].view(">i2")[0])    # ConQuest does not mask the first value
    if npixels == 1:
        return np.array([first], dtype=np.int16)
    size = body.size - 2
    s = np.zeros(size + _SLACK, dtype=np.uint8)
    s[:size] = body[2:]
    direct_at = np.flatnonzero(s[:size] < 0x20)
    direct_at = direct_at[_walk(direct_at, np.full(direct_at.size, 2))]

    at = _code_starts(size, direct_at, np.full(direct_at.size, 2))
    lead = s[at]
    count = np.where(lead >= 0xE0, lead.astype(np.int64) - 223, 1)
    last = _cut(count, npixels)
    at, lead, count = at[:last + 1], lead[:last + 1], count[:last + 1]
    _check_end(int(at[-1]), 2 if lead[-1] < 0x20 else 1, size)
    base = 1 + np.cumsum(count) - count
    delta = np.zeros(npixels, dtype=np.int64)
    small = (lead >= 0x20) & (lead < 0xE0)
    delta[base[small]] = lead[small].astype(np.int64) - 128
    is_direct = lead < 0x20
    da = at[is_direct]
    absolute = (s[da].astype(np.int64) << 8) | s[da + 1]
    return _rebuild(npixels, first, delta, base[is_direct], absolute)


# --------------------------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------------------------

def nki_value(ds: Dataset) -> bytes | None:
    """The raw value of (7FDF,0010), or ``None`` when the data set has none.

    A generic reader takes (7FDF,0010) for a Private Creator (VR LO) in Implicit VR; the value
    is taken raw (``Dataset.get_item``) so that pydicom never decodes it as text.

    Raises
    ------
    NKIError
        The element was already converted to text, which mangles binary data.
    """
    if NKI_TAG not in ds:
        return None
    value = ds.get_item(NKI_TAG).value
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise NKIError("(7FDF,0010) was decoded as text, which loses binary data; "
                   "read it raw with Dataset.get_item")


def is_nki_compressed(ds: Dataset) -> bool:
    """``True`` when the pixels of `ds` are NKI compressed, by ConQuest's test on reading.

    (7FDF,0010) is ConQuest's when (7FE0,0010) Pixel Data is absent, its value is longer than
    8 bytes, does not start with ``ACUSON`` or ``ELSCIN`` (vendors that use the same tag) and
    its mode word is at most :data:`MAX_MODE`.
    """
    if PIXEL_DATA in ds or NKI_TAG not in ds:
        return False
    try:
        value = nki_value(ds)
    except NKIError:
        return False
    if len(value) <= 8 or value.startswith(FOREIGN_PREFIXES):
        return False
    return struct.unpack_from("<I", value, 4)[0] <= MAX_MODE


def nki_mode(ds: Dataset) -> int | None:
    """The NKI mode (1-5) of the pixels of `ds`, ``None`` when they are not NKI compressed."""
    if not is_nki_compressed(ds):
        return None
    return struct.unpack_from("<I", nki_value(ds), 4)[0]


def decompress_dataset(ds: Dataset) -> Dataset:
    """Restore (7FE0,0010) Pixel Data from ConQuest's (7FDF,0010), in place; return `ds`.

    Nothing else changes (ConQuest leaves Rows, Bits Allocated and the transfer syntax alone:
    the object stays native Implicit VR Little Endian).  The Pixel Data take the VR of the NKI
    element when it is OB or OW (explicit VR files), otherwise OB for Bits Allocated <= 8 and OW
    above.  A data set that is not NKI compressed (:func:`is_nki_compressed`) is returned as is.
    :func:`pydcmkit.codec.conversion.decompress` and ``convert`` call it for every native
    little endian data set (it is registered as their ``nki`` private decoder).

    Raises
    ------
    NKIError
        The compressed value is corrupt; `ds` is unchanged.
    """
    if not is_nki_compressed(ds):
        return ds
    pixels = nki_decompress(nki_value(ds))
    vr = ds.get_item(NKI_TAG).VR
    if vr not in ("OB", "OW"):
        vr = "OB" if int(ds.get("BitsAllocated", 16) or 16) <= 8 else "OW"
    del ds[NKI_TAG]
    ds.add_new(PIXEL_DATA, vr, pixels.astype("<i2", copy=False).tobytes())
    _forget_pixel_cache(ds)
    return ds


def compress_dataset(ds: Dataset, mode: int) -> Dataset:
    """Compress the pixels of `ds` in place with NKI mode `mode` (1-5), as ConQuest stores them.

    Following dgate (nki-compression.md §1, §6): an object already holding NKI data of mode
    `mode` is left as is; NKI data of another mode are decompressed first, as are encapsulated
    or big endian pixel data (:func:`pydcmkit.codec.conversion.decompress`); then the native
    little endian Pixel Data are compressed into (7FDF,0010) -- VR of the Pixel Data, no private
    creator -- and (7FE0,0010) is deleted.  The file meta Transfer Syntax becomes Implicit VR
    Little Endian, the only encoding an NKI object travels in (group 0002 is not written into a
    ConQuest ``.v2`` file; that is the writer's business).  Like ConQuest, a data set without
    Pixel Data, with empty Pixel Data, or whose (7FDF,0010) is taken by another vendor while
    Pixel Data are present, is left uncompressed.  Mode 5 is lossy (13 bits) but ConQuest does
    not set (0028,2110) for it, so neither does this.

    Raises
    ------
    ValueError
        `mode` is not 1-5.
    NKIError
        Existing NKI data are corrupt.
    CodecError
        Compressed pixel data cannot be decoded first.
    """
    if mode not in _HEADER_SIZE:
        raise ValueError(f"NKI compression mode must be 1-5, not {mode!r}")
    current = nki_mode(ds)
    if current == mode:
        _set_implicit_little_endian(ds)
        return ds
    if current is not None:
        decompress_dataset(ds)
    if PIXEL_DATA not in ds or NKI_TAG in ds:
        _set_implicit_little_endian(ds)
        return ds
    _native_little_endian(ds)
    elem = ds["PixelData"]
    if not elem.value:
        return ds
    value = nki_compress(elem.value, mode)
    vr = elem.VR if elem.VR in ("OB", "OW") else "OW"
    del ds[PIXEL_DATA]
    ds.add_new(NKI_TAG, vr, value)
    _forget_pixel_cache(ds)
    return ds


def _native_little_endian(ds: Dataset) -> None:
    """Make the Pixel Data of `ds` native little endian, labelled Implicit VR Little Endian."""
    try:
        dataset_transfer_syntax(ds)
    except CodecError:
        # A data set made in memory: native pixel data are taken to be little endian.
        if getattr(ds["PixelData"], "is_undefined_length", False):
            raise
        _set_implicit_little_endian(ds)
    _to_native(ds, IMPLICIT_VR_LITTLE_ENDIAN)


def _set_implicit_little_endian(ds: Dataset) -> None:
    if getattr(ds, "file_meta", None) is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN


def _forget_pixel_cache(ds: Dataset) -> None:
    ds._pixel_array = None
    ds._pixel_id = {}


def _encode_target(ds: Dataset, params, *, mode: int) -> Dataset:
    """:data:`pydcmkit.codec.conversion.TargetEncoder` for ``n1``-``n5``."""
    return compress_dataset(ds, mode)


for _mode in _HEADER_SIZE:
    register_target(f"n{_mode}", partial(_encode_target, mode=_mode))
del _mode
register_private_decoder(PrivatePixelDecoder("NKI", is_nki_compressed, decompress_dataset))
