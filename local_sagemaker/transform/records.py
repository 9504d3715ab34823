"""An input object as batch transform reads it: decompressed, split into records and packed into mini-batches.

Follows CreateTransformJob's SplitType, BatchStrategy and MaxPayloadInMB
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformInput.html): SplitType None sends the
whole object as one request; Line and RecordIO cut it at record boundaries; MultiRecord packs as many whole
records as fit in MaxPayloadInMB, SingleRecord sends one record per request. A record (or an unsplit object)
larger than the payload limit fails the job. RecordIO keeps each record's framing; SingleRecord drops the
padding after a RecordIO record, as the API reference says.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

from local_sagemaker.s3io import DataError

_RECORDIO_MAGIC = 0xCED7230A
_RECORDIO_HEADER = 8


def decompressed(chunks: Iterable[bytes], compression: str, where: str) -> Iterator[bytes]:
    """The object's bytes, gunzipped on the fly for CompressionType Gzip."""
    if compression != "Gzip":
        yield from chunks
        return
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        for chunk in chunks:
            while chunk:
                data = inflater.decompress(chunk)
                if data:
                    yield data
                if inflater.eof:  # concatenated gzip members, as `cat a.gz b.gz` makes
                    chunk = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
                else:
                    chunk = b""
        tail = inflater.flush()
    except zlib.error as exc:
        raise DataError(f"{where}: CompressionType is Gzip but the object is not gzip data ({exc})") from exc
    if tail:
        yield tail


def _too_large(where: str, size: int, limit: int, what: str) -> DataError:
    return DataError(
        f"{where}: {what} of {size} bytes is larger than MaxPayloadInMB ({limit // (1024 * 1024)} MB = {limit} "
        "bytes); raise MaxPayloadInMB (at most 100) or split the input into smaller records (SplitType)"
    )


def mini_batches(
    chunks: Iterable[bytes], split_type: str, strategy: str, limit: int, where: str
) -> Iterator[bytes]:
    """The request payloads SageMaker would send for one input object."""
    if split_type == "Line":
        yield from (_single_lines if strategy == "SingleRecord" else _line_batches)(chunks, limit, where)
    elif split_type == "RecordIO":
        yield from _recordio_batches(chunks, limit, where, strategy == "SingleRecord")
    else:
        whole = b"".join(chunks)
        if len(whole) > limit:
            raise _too_large(where, len(whole), limit, "the object (SplitType None sends it whole)")
        if whole:
            yield whole


def _line_batches(chunks: Iterable[bytes], limit: int, where: str) -> Iterator[bytes]:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) > limit:
            cut = buffer.rfind(b"\n", 0, limit)
            if cut < 0:
                end = buffer.find(b"\n")
                raise _too_large(where, end + 1 if end >= 0 else len(buffer), limit, "a record")
            batch = bytes(buffer[: cut + 1])
            del buffer[: cut + 1]
            if batch.strip():
                yield batch
    if buffer.strip():
        yield bytes(buffer)


def _single_lines(chunks: Iterable[bytes], limit: int, where: str) -> Iterator[bytes]:
    for batch in _line_batches(chunks, limit, where):
        for line in batch.splitlines(keepends=True):
            if line.strip():
                yield line


def _recordio_batches(chunks: Iterable[bytes], limit: int, where: str, single: bool) -> Iterator[bytes]:
    buffer = bytearray()
    batch = bytearray()
    for chunk in chunks:
        buffer += chunk
        offset = 0
        while len(buffer) - offset >= _RECORDIO_HEADER:
            magic, header = struct.unpack_from("<II", buffer, offset)
            if magic != _RECORDIO_MAGIC:
                raise DataError(
                    f"{where}: SplitType is RecordIO but the data at byte {offset} is not a RecordIO record"
                )
            length = header & ((1 << 29) - 1)
            padded = _RECORDIO_HEADER + length + (-length % 4)
            if len(buffer) - offset < padded:
                break
            record = bytes(buffer[offset : offset + (_RECORDIO_HEADER + length if single else padded)])
            offset += padded
            if len(record) > limit:
                raise _too_large(where, len(record), limit, "a record")
            if single:
                yield record
                continue
            if len(batch) + len(record) > limit:
                yield bytes(batch)
                batch.clear()
            batch += record
        del buffer[:offset]
    if buffer:
        raise DataError(f"{where}: the RecordIO data ends inside a record ({len(buffer)} bytes left over)")
    if batch:
        yield bytes(batch)


def lines_of(batch: bytes) -> list[bytes]:
    """The records of a Line mini-batch, without their line ends (blank lines are not records)."""
    return [line for line in batch.splitlines() if line.strip()]
