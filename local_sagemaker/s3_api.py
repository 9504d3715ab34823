"""The S3 REST API (path-style) over the durable ObjectStore, as a WSGI application.

Follows the Amazon S3 API Reference for the operations boto3, the AWS CLI, the Amazon provider and
sagemaker-core call here; any other subresource or an unsupported request header gets NotImplemented
naming it, never a silent success."""

from __future__ import annotations

import base64
import calendar
import hashlib
import re
import time
import uuid
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import IO, Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from werkzeug.wsgi import get_input_stream

from local_sagemaker.objectstore import Listing, ObjectInfo, ObjectStore, StoreError

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_OWNER = "<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>"
_STORED_HEADERS = (
    "content-type",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "x-amz-server-side-encryption",
)
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-cache-control": "Cache-Control",
    "response-expires": "Expires",
}
# Query keys that carry a request's signature or parameters, not a subresource.
_PLAIN_QUERY = {
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "marker",
    "x-id",
    "partNumber",
    "uploadId",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
    *_RESPONSE_OVERRIDES,
}
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1024 * 1024

StartResponse = Callable[..., Any]


class S3Api:
    def __init__(self, store: ObjectStore, default_region: str = "us-east-1") -> None:
        self.store = store
        self.default_region = default_region

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = uuid.uuid4().hex[:16].upper()
        method = environ["REQUEST_METHOD"]
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]).path
        bucket, _, key = unquote(raw_path.lstrip("/")).partition("/")
        query = {
            k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        try:
            _check_expiry(query)
            status, reply_headers, body = self._route(method, bucket, key, query, headers, environ)
        except StoreError as error:
            status, reply_headers = error.status, {"Content-Type": "application/xml"}
            body = [] if method == "HEAD" else [_error_xml(error, raw_path, request_id)]
        reply_headers["x-amz-request-id"] = request_id
        if isinstance(body, list) and "Content-Length" not in reply_headers:
            # Without a length, the server would close the connection after each answer.
            reply_headers["Content-Length"] = str(sum(len(chunk) for chunk in body))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", list(reply_headers.items()))
        return body

    # --- routing -------------------------------------------------------------------------------
    def _route(
        self, method: str, bucket: str, key: str, query: dict[str, str], headers: dict[str, str], environ: Any
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        subresources = sorted(set(query) - _PLAIN_QUERY)
        if not bucket:
            if method == "GET":
                return _xml(self._list_buckets())
            raise _not_implemented(f"{method} on the service root")
        if not key:
            return self._bucket_operation(method, bucket, query, subresources, environ)
        if subresources == ["uploads"] and method == "POST":
            _refuse_unsupported_headers(headers)
            upload_id = self.store.start_upload(bucket, key, _stored_headers(headers))
            return _xml(
                f'<InitiateMultipartUploadResult xmlns="{_NS}"><Bucket>{escape(bucket)}</Bucket>'
                f"<Key>{escape(key)}</Key><UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
            )
        if subresources:
            raise _not_implemented(f"the object subresource(s) {', '.join(subresources)} ({method})")
        if "uploadId" in query:
            return self._upload_operation(method, bucket, key, query, headers, environ)
        if method == "PUT":
            _refuse_unsupported_headers(headers)
            if "x-amz-copy-source" in headers:
                return self._copy(bucket, key, headers)
            return self._put(bucket, key, headers, environ)
        if method in ("GET", "HEAD"):
            return self._get(method, bucket, key, query, headers)
        if method == "DELETE":
            self.store.delete(bucket, key)
            return 204, {}, []
        raise _not_implemented(f"{method} on an object")

    def _bucket_operation(
        self, method: str, bucket: str, query: dict[str, str], subresources: list[str], environ: Any
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        if subresources == ["location"] and method == "GET":
            region = self.store.bucket_region(bucket)
            constraint = "" if region == "us-east-1" else escape(region)
            return _xml(f'<LocationConstraint xmlns="{_NS}">{constraint}</LocationConstraint>')
        if subresources == ["delete"] and method == "POST":
            return _xml(self._delete_objects(bucket, _read_xml(environ)))
        if subresources:
            raise _not_implemented(f"the bucket subresource(s) {', '.join(subresources)} ({method})")
        if method == "PUT":
            return self._create_bucket(bucket, environ)
        if method == "HEAD":
            return 200, {"x-amz-bucket-region": self.store.bucket_region(bucket)}, []
        if method == "DELETE":
            self.store.delete_bucket(bucket)
            return 204, {}, []
        if method == "GET":
            return _xml(self._list_objects(bucket, query))
        raise _not_implemented(f"{method} on a bucket")

    def _upload_operation(
        self, method: str, bucket: str, key: str, query: dict[str, str], headers: dict[str, str], environ: Any
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        upload_id = query["uploadId"]
        if method == "PUT" and "partNumber" in query:
            number = _int_param("partNumber", query["partNumber"])
            if "x-amz-copy-source" in headers:
                source = self._copy_source(headers)
                start, length = _copy_range(headers.get("x-amz-copy-source-range"), source.size)
                with self.store.open(source) as data:
                    data.seek(start)
                    etag = self.store.put_part(upload_id, number, data, length)
                return _xml(
                    f'<CopyPartResult xmlns="{_NS}"><LastModified>{_iso(time.time())}</LastModified>'
                    f"<ETag>{escape(etag)}</ETag></CopyPartResult>"
                )
            body, check = _checked_body(environ, headers)
            etag = self.store.put_part(upload_id, number, body, _length(headers), check)
            return 200, {"ETag": etag}, []
        if method == "POST":
            parts = [
                (_int_param("PartNumber", _text(part, "PartNumber")), _text(part, "ETag"))
                for part in _children(_read_xml(environ), "Part")
            ]
            info = self.store.complete_upload(upload_id, parts)
            return _xml(
                f'<CompleteMultipartUploadResult xmlns="{_NS}"><Location>/{escape(quote(bucket))}/'
                f"{escape(quote(key))}</Location><Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>"
                f"<ETag>{escape(info.etag)}</ETag></CompleteMultipartUploadResult>"
            )
        if method == "DELETE":
            self.store.abort_upload(upload_id)
            return 204, {}, []
        if method == "GET":
            parts_xml = "".join(
                f"<Part><PartNumber>{n}</PartNumber><Size>{size}</Size><ETag>{escape(etag)}</ETag></Part>"
                for n, size, etag in self.store.list_parts(upload_id)
            )
            return _xml(
                f'<ListPartsResult xmlns="{_NS}"><Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>'
                f"<UploadId>{upload_id}</UploadId><IsTruncated>false</IsTruncated>{parts_xml}</ListPartsResult>"
            )
        raise _not_implemented(f"{method} on a multipart upload")

    # --- operations ----------------------------------------------------------------------------
    def _list_buckets(self) -> str:
        buckets = "".join(
            f"<Bucket><Name>{escape(name)}</Name><CreationDate>{_iso(created)}</CreationDate></Bucket>"
            for name, created in self.store.list_buckets()
        )
        return f'<ListAllMyBucketsResult xmlns="{_NS}">{_OWNER}<Buckets>{buckets}</Buckets></ListAllMyBucketsResult>'

    def _create_bucket(self, bucket: str, environ: Any) -> tuple[int, dict[str, str], Iterable[bytes]]:
        if not _BUCKET_NAME.match(bucket) or ".." in bucket:
            raise StoreError(
                "InvalidBucketName",
                f"The bucket name {bucket!r} is not valid: 3-63 lowercase letters, digits, dots and hyphens, "
                "starting and ending with a letter or digit.",
                400,
            )
        body = _read_xml(environ, required=False)
        region = self.default_region
        if body is not None:
            region = _text(body, "LocationConstraint", default="") or "us-east-1"
        try:
            self.store.create_bucket(bucket, region)
        except StoreError as error:
            # In us-east-1, S3 answers a repeated CreateBucket of one's own bucket with 200.
            if error.code != "BucketAlreadyOwnedByYou" or region != "us-east-1":
                raise
        return 200, {"Location": f"/{bucket}"}, []

    def _put(
        self, bucket: str, key: str, headers: dict[str, str], environ: Any
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        body, check = _checked_body(environ, headers)
        info = self.store.put(bucket, key, body, _length(headers), _stored_headers(headers), check)
        return 200, {"ETag": info.etag, **_sse(info)}, []

    def _copy_source(self, headers: dict[str, str]) -> ObjectInfo:
        source = unquote(headers["x-amz-copy-source"]).lstrip("/")
        if "?versionId=" in source:
            raise _not_implemented("x-amz-copy-source with a versionId (the local store keeps no versions)")
        source_bucket, _, source_key = source.partition("/")
        return self.store.get(source_bucket, source_key)

    def _copy(
        self, bucket: str, key: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        source = self._copy_source(headers)
        directive = headers.get("x-amz-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise StoreError(
                "InvalidArgument", f"x-amz-metadata-directive {directive!r} must be COPY or REPLACE.", 400
            )
        replaced = _stored_headers(headers) if directive == "REPLACE" else None
        info = self.store.copy(source, bucket, key, replaced)
        return _xml(
            f'<CopyObjectResult xmlns="{_NS}"><LastModified>{_iso(info.modified)}</LastModified>'
            f"<ETag>{escape(info.etag)}</ETag></CopyObjectResult>"
        )

    def _get(
        self, method: str, bucket: str, key: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Iterable[bytes]]:
        info = self.store.get(bucket, key)
        reply = {
            "ETag": info.etag,
            "Last-Modified": formatdate(info.modified, usegmt=True),
            "Accept-Ranges": "bytes",
            "Content-Type": "binary/octet-stream",
            **{_header_case(k): v for k, v in info.headers.items()},
        }
        for param, header in _RESPONSE_OVERRIDES.items():
            if param in query:
                reply[header] = query[param]
        if not _preconditions_hold(info, headers):
            if "if-none-match" in headers or "if-modified-since" in headers:
                return 304, {"ETag": info.etag, "Last-Modified": reply["Last-Modified"]}, []
            raise StoreError(
                "PreconditionFailed", "At least one of the preconditions you specified did not hold.", 412
            )
        start, length, status = 0, info.size, 200
        if "range" in headers and info.size > 0:
            start, end = _parse_range(headers["range"], info.size)
            length, status = end - start + 1, 206
            reply["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        reply["Content-Length"] = str(length)
        if method == "HEAD":
            return status, reply, []
        return status, reply, _stream(self.store.open(info), start, length)

    def _delete_objects(self, bucket: str, request: ElementTree.Element | None) -> str:
        if request is None:
            raise StoreError("MalformedXML", "DeleteObjects needs a <Delete> body listing the keys.", 400)
        quiet = _text(request, "Quiet", default="false").lower() == "true"
        objects = _children(request, "Object")
        if len(objects) > 1000:
            raise StoreError(
                "MalformedXML", f"DeleteObjects takes at most 1000 keys; {len(objects)} were sent.", 400
            )
        deleted = []
        for entry in objects:
            key = _text(entry, "Key")
            self.store.delete(bucket, key)
            deleted.append(key)
        body = "" if quiet else "".join(f"<Deleted><Key>{escape(key)}</Key></Deleted>" for key in deleted)
        return f'<DeleteResult xmlns="{_NS}">{body}</DeleteResult>'

    def _list_objects(self, bucket: str, query: dict[str, str]) -> str:
        v2 = query.get("list-type") == "2"
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        max_keys = min(_int_param("max-keys", query.get("max-keys", "1000")), 1000)
        url_encoded = query.get("encoding-type") == "url"
        if "encoding-type" in query and not url_encoded:
            raise StoreError("InvalidArgument", f"encoding-type {query['encoding-type']!r} must be url.", 400)
        if v2:
            token = query.get("continuation-token")
            after = _decode_token(token) if token else query.get("start-after", "")
        else:
            after = query.get("marker", "")
        listing = self.store.list_keys(bucket, prefix, delimiter, after, max_keys)
        enc = (lambda s: escape(quote(s, safe="/~"))) if url_encoded else escape
        show_owner = not v2 or query.get("fetch-owner") == "true"
        head = [
            f"<Name>{escape(bucket)}</Name><Prefix>{enc(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys>",
            f"<IsTruncated>{str(listing.truncated).lower()}</IsTruncated>",
        ]
        if delimiter:
            head.append(f"<Delimiter>{enc(delimiter)}</Delimiter>")
        if url_encoded:
            head.append("<EncodingType>url</EncodingType>")
        if v2:
            head.append(f"<KeyCount>{len(listing.objects) + len(listing.common_prefixes)}</KeyCount>")
            if "continuation-token" in query:
                head.append(f"<ContinuationToken>{escape(query['continuation-token'])}</ContinuationToken>")
            if "start-after" in query:
                head.append(f"<StartAfter>{enc(query['start-after'])}</StartAfter>")
            if listing.truncated and listing.last is not None:
                head.append(f"<NextContinuationToken>{_encode_token(listing.last)}</NextContinuationToken>")
        else:
            head.append(f"<Marker>{enc(after)}</Marker>")
            if listing.truncated and delimiter and listing.last is not None:
                head.append(f"<NextMarker>{enc(listing.last)}</NextMarker>")
        tag = "ListBucketResult"
        return f'<{tag} xmlns="{_NS}">{"".join(head)}{_contents(listing, enc, show_owner)}</{tag}>'


# --- request helpers ---------------------------------------------------------------------------
def _refuse_unsupported_headers(headers: dict[str, str]) -> None:
    """Headers with a meaning the local store cannot honour: refused by name instead of ignored."""
    for name in headers:
        if name.startswith(("x-amz-object-lock", "x-amz-server-side-encryption-customer")) or name in (
            "x-amz-tagging",
            "x-amz-website-redirect-location",
            "x-amz-grant-read",
            "x-amz-grant-full-control",
            "x-amz-grant-write-acp",
            "x-amz-grant-read-acp",
        ):
            raise _not_implemented(f"the request header {name}")
    acl = headers.get("x-amz-acl")
    # One owner, no other accounts: these canned ACLs mean what the local store already does.
    if acl is not None and acl not in ("private", "bucket-owner-full-control", "bucket-owner-read"):
        raise _not_implemented(f"x-amz-acl {acl!r} (only private and bucket-owner-* have a local meaning)")
    sse = headers.get("x-amz-server-side-encryption")
    if sse is not None and sse != "AES256":
        raise _not_implemented(f"x-amz-server-side-encryption {sse!r} (no KMS locally; AES256 is accepted)")
    if "aws-chunked" in headers.get("content-encoding", "") or headers.get(
        "x-amz-content-sha256", ""
    ).startswith("STREAMING-"):
        raise _not_implemented(
            "aws-chunked request bodies (botocore sends them only over https; use the http endpoint)"
        )


def _stored_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k in _STORED_HEADERS or k.startswith("x-amz-meta-")}


def _length(headers: dict[str, str]) -> int | None:
    return int(headers["content-length"]) if "content-length" in headers else None


class _HashingReader:
    """Reads the request body once, feeding the hashes the client's checksum headers ask for."""

    def __init__(self, raw: IO[bytes], hashers: dict[str, Any]) -> None:
        self.raw = raw
        self.hashers = hashers

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        for hasher in self.hashers.values():
            hasher.update(chunk)
        return chunk


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, chunk: bytes) -> None:
        self.value = zlib.crc32(chunk, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


_CHECKSUMS: dict[str, Callable[[], Any]] = {
    "content-md5": lambda: hashlib.md5(usedforsecurity=False),
    "x-amz-checksum-crc32": _Crc32,
    "x-amz-checksum-sha1": lambda: hashlib.sha1(usedforsecurity=False),
    "x-amz-checksum-sha256": hashlib.sha256,
}


def _checked_body(environ: Any, headers: dict[str, str]) -> tuple[BinaryIO, Callable[[], None]]:
    for name in ("x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme"):
        if name in headers:
            raise _not_implemented(
                f"{name} (use CRC32, SHA1 or SHA256; botocore's default without awscrt is CRC32)"
            )
    hashers = {name: make() for name, make in _CHECKSUMS.items() if name in headers}
    reader = _HashingReader(get_input_stream(environ), hashers)

    def check() -> None:
        for name, hasher in hashers.items():
            got = base64.b64encode(hasher.digest()).decode()
            if got != headers[name]:
                code = "BadDigest" if name == "content-md5" else "InvalidRequest"
                raise StoreError(
                    code, f"The body's {name} is {got}, not the {headers[name]} the request sent.", 400
                )

    return reader, check  # type: ignore[return-value]


def _read_xml(environ: Any, required: bool = True) -> ElementTree.Element | None:
    raw = get_input_stream(environ).read()
    if not raw.strip():
        if required:
            raise StoreError("MalformedXML", "The request needs an XML body.", 400)
        return None
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        raise StoreError("MalformedXML", f"The XML body does not parse: {error}.", 400) from error
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _children(element: ElementTree.Element | None, tag: str) -> list[ElementTree.Element]:
    return [] if element is None else list(element.iter(tag))


def _text(element: ElementTree.Element, tag: str, default: str | None = None) -> str:
    found = element.find(tag) if element.tag != tag else element
    if found is None or found.text is None:
        if default is not None:
            return default
        raise StoreError("MalformedXML", f"The XML body lacks <{tag}>.", 400)
    return found.text


def _int_param(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StoreError("InvalidArgument", f"{name} {value!r} must be an integer.", 400) from None


def _parse_range(header: str, size: int) -> tuple[int, int]:
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise _not_implemented(f"the Range {header!r} (one range, bytes=a-b, bytes=a- or bytes=-n)")
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise StoreError("InvalidRange", f"The range {header!r} is outside the object's {size} bytes.", 416)
    return start, end


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    if header is None:
        return 0, size
    start, end = _parse_range(header, size)
    return start, end - start + 1


def _preconditions_hold(info: ObjectInfo, headers: dict[str, str]) -> bool:
    if "if-match" in headers and headers["if-match"].strip() not in (info.etag, info.etag.strip('"'), "*"):
        return False
    if "if-none-match" in headers and headers["if-none-match"].strip() in (
        info.etag,
        info.etag.strip('"'),
        "*",
    ):
        return False
    if "if-modified-since" in headers:
        since = _http_date(headers["if-modified-since"])
        if since is not None and int(info.modified) <= since:
            return False
    if "if-unmodified-since" in headers:
        since = _http_date(headers["if-unmodified-since"])
        if since is not None and int(info.modified) > since:
            return False
    return True


def _http_date(value: str) -> int | None:
    from email.utils import parsedate_tz

    parsed = parsedate_tz(value)
    return None if parsed is None else calendar.timegm(parsed[:9]) - (parsed[9] or 0)


def _check_expiry(query: dict[str, str]) -> None:
    """A presigned URL past its expiry is refused, as S3 does; its signature is not checked locally."""
    now = time.time()
    if "Expires" in query and "Signature" in query and int(query["Expires"]) < now:
        raise StoreError("AccessDenied", "Request has expired (the presigned URL's Expires is past).", 403)
    if "X-Amz-Date" in query and "X-Amz-Expires" in query:
        signed = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        if signed + int(query["X-Amz-Expires"]) < now:
            raise StoreError("AccessDenied", "Request has expired (X-Amz-Date + X-Amz-Expires is past).", 403)


# --- response helpers --------------------------------------------------------------------------
def _stream(data: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    with data:
        data.seek(start)
        left = length
        while left > 0:
            chunk = data.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _contents(listing: Listing, enc: Callable[[str], str], show_owner: bool) -> str:
    owner = _OWNER if show_owner else ""
    objects = "".join(
        f"<Contents><Key>{enc(o.key)}</Key><LastModified>{_iso(o.modified)}</LastModified>"
        f"<ETag>{escape(o.etag)}</ETag><Size>{o.size}</Size>{owner}<StorageClass>STANDARD</StorageClass></Contents>"
        for o in listing.objects
    )
    prefixes = "".join(
        f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>" for p in listing.common_prefixes
    )
    return objects + prefixes


def _sse(info: ObjectInfo) -> dict[str, str]:
    sse = info.headers.get("x-amz-server-side-encryption")
    return {"x-amz-server-side-encryption": sse} if sse else {}


def _header_case(name: str) -> str:
    return name if name.startswith("x-amz-") else "-".join(part.capitalize() for part in name.split("-"))


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        raise StoreError(
            "InvalidArgument", f"The continuation token {token!r} is not one this store gave.", 400
        ) from None


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"


def _xml(body: str) -> tuple[int, dict[str, str], Iterable[bytes]]:
    data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
    return 200, {"Content-Type": "application/xml", "Content-Length": str(len(data))}, [data]


def _error_xml(error: StoreError, resource: str, request_id: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{error.code}</Code>'
        f"<Message>{escape(error.message)}</Message><Resource>{escape(resource)}</Resource>"
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()


def _not_implemented(what: str) -> StoreError:
    return StoreError("NotImplemented", f"The local S3 store does not implement {what}.", 501)


_REASONS = {
    200: "OK",
    204: "No Content",
    206: "Partial Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    412: "Precondition Failed",
    416: "Requested Range Not Satisfiable",
    501: "Not Implemented",
}
