"""Download a file from a list of mirrors, verify its checksum, and move it into place atomically.

Used by ``nbhelpers.data`` when a notebook asks for the full MNIST or Fashion-MNIST data
(``load_mnist("mnist")``, ``load_mnist("fashion")``) and by ``python -m nbhelpers data download``.
Only the standard library (urllib) is used for the transfer; tqdm draws the progress bar.

Guarantees: the destination either keeps what it held before or receives a complete file whose
checksum matched; temporary files are removed on every failure, and those of a download that was
killed are removed by the next download of the same file. A transfer is bounded in size (at most
``max_bytes``, by default ``DEFAULT_MAX_BYTES``; the data sets pin each file's size, so an endless
body cannot fill the disk) and in time (a ``timeout`` for each network wait and a ``deadline`` for
the whole exchange, headers included: a server that sends one byte a second cannot hold it for ever).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterable, Optional, Union

from tqdm.auto import tqdm

from ..atomic import remove_stale, temporary
from ..validate import positive, whole

__all__ = ["DownloadError", "download_file", "file_digest", "verify_file", "DEFAULT_MAX_BYTES"]

CHUNK_SIZE = 1 << 16
#: The most a download accepts when ``max_bytes`` is not given (the largest data file is 26 MB).
DEFAULT_MAX_BYTES = 256 * 2**20
USER_AGENT = "nbhelpers (course notebooks for Neural Networks and Deep Learning)"
_HEX = re.compile(r"^[0-9a-f]+$")


class DownloadError(OSError):
    """No mirror delivered a complete file with the expected checksum."""


def file_digest(path: Union[str, os.PathLike], algorithm: str = "sha256") -> str:
    """Return the hex digest (``"sha256"`` or ``"md5"``) of the file at ``path``."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected_digest(sha256: Optional[str], md5: Optional[str]) -> tuple[str, str]:
    """Validate the checksum arguments; return (algorithm, lower-case hex digest)."""
    if (sha256 is None) == (md5 is None):
        raise ValueError(
            "give exactly one of sha256= (64 hex digits) or md5= (32 hex digits); "
            f"got sha256={sha256!r}, md5={md5!r}"
        )
    algorithm, value, length = ("sha256", sha256, 64) if sha256 is not None else ("md5", md5, 32)
    value = str(value).strip().lower()
    if len(value) != length or not _HEX.match(value):
        raise ValueError(f"{algorithm} must be {length} hexadecimal digits; got {value!r}")
    return algorithm, value


def verify_file(
    path: Union[str, os.PathLike], sha256: Optional[str] = None, *, md5: Optional[str] = None
) -> bool:
    """Return True if the file at ``path`` exists and has the given SHA-256 (or MD5)."""
    algorithm, expected = _expected_digest(sha256, md5)
    return Path(path).is_file() and file_digest(path, algorithm) == expected


def _check_urls(urls: Union[str, Iterable[str]]) -> list[str]:
    url_list = [urls] if isinstance(urls, str) else list(urls)
    if not url_list:
        raise ValueError("urls must name at least one http:// or https:// address; got none")
    for url in url_list:
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"each of urls must be an http:// or https:// address; got {url!r}")
    return url_list


def _describe(exc: BaseException) -> str:
    """A one-line, human-readable reason for a failed transfer."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return "timed out"
        return f"could not connect ({reason})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return f"transfer cut short after {len(exc.partial)} bytes (truncated)"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class _Watchdog:
    """Shuts down every socket of one transfer when its deadline passes, so no read can outlast it."""

    def __init__(self, seconds):
        self.sockets, self.expired, self.lock = [], False, threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def watch(self, sock):
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                _shutdown(sock)
        return sock

    def expire(self):
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                _shutdown(sock)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(watchdog):
    """A urllib opener whose connections hand their sockets to ``watchdog`` (redirects included)."""

    def watched(connection_class):
        class Watched(connection_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                create = self._create_connection
                self._create_connection = lambda *a, **k: watchdog.watch(create(*a, **k))

        return Watched

    http_connection = watched(http.client.HTTPConnection)
    https_connection = watched(http.client.HTTPSConnection)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_connection, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_connection, req, context=self._context)

    return urllib.request.build_opener(HTTP(), HTTPS())


def _fetch(url, tmp, algorithm, timeout, progress, label, max_bytes, deadline):
    """Stream ``url`` into the file ``tmp``; return the hex digest of what arrived.

    Raises ``OSError``/``http.client.HTTPException`` on transfer problems and ``ValueError``
    if fewer (or more) bytes arrive than the server announced in Content-Length, if more than
    ``max_bytes`` arrive, or if the exchange (connecting, headers, body) outlasts ``deadline`` seconds.
    """
    too_slow = f"still downloading after the deadline of {deadline:g} s (too slow)"
    with _Watchdog(deadline) as watchdog:
        try:
            digest = _transfer(_opener(watchdog), url, tmp, algorithm, timeout, progress, label,
                               max_bytes)
        except (OSError, ValueError, http.client.HTTPException):
            if watchdog.expired:
                raise ValueError(too_slow) from None
            raise
    if watchdog.expired:   # a body cut short by the watchdog may look complete
        raise ValueError(too_slow)
    return digest


def _transfer(opener, url, tmp, algorithm, timeout, progress, label, max_bytes):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.new(algorithm)
    received = 0
    with opener.open(request, timeout=timeout) as response:
        length_header = response.headers.get("Content-Length")
        total = int(length_header) if length_header and length_header.isdigit() else None
        if total is not None and total > max_bytes:
            raise ValueError(f"the server announced {total} bytes, more than this file's known size "
                             f"of {max_bytes} bytes (refused)")
        with open(tmp, "wb") as out, tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024,
            desc=label, disable=not progress, leave=False,
        ) as bar:
            while True:
                block = response.read1(CHUNK_SIZE)  # returns what has arrived, without waiting to fill
                if not block:
                    break
                received += len(block)
                if received > max_bytes:
                    raise ValueError(f"more than this file's known size of {max_bytes} bytes arrived "
                                     "(refused)")
                out.write(block)
                digest.update(block)
                bar.update(len(block))
    if total is not None and received != total:
        raise ValueError(
            f"transfer cut short: received {received} bytes, server announced {total} (truncated)"
        )
    return digest.hexdigest()


def download_file(
    urls: Union[str, Iterable[str]],
    dest: Union[str, os.PathLike],
    sha256: Optional[str] = None,
    *,
    md5: Optional[str] = None,
    progress: bool = True,
    timeout: float = 10,
    max_bytes: Optional[int] = None,
    deadline: float = 600,
) -> Path:
    """Download one file to ``dest``, trying each mirror in ``urls`` in order; return ``dest``.

    ``urls`` is one address or a sequence of addresses of the same file (http or https).
    Exactly one of ``sha256`` (64 hex digits) or ``md5`` (32 hex digits) gives the expected
    checksum. If ``dest`` already holds a file with that checksum nothing is downloaded; a file
    with any other checksum is replaced. Each transfer streams into a temporary file next to
    ``dest`` (with a progress bar unless ``progress=False``), is verified, and only then moved
    to ``dest`` with ``os.replace``. ``timeout`` (seconds) applies to connecting and to each read;
    ``deadline`` (seconds) to each whole exchange with a mirror, from connecting to the last byte;
    ``max_bytes`` caps the size of what is accepted (default: ``DEFAULT_MAX_BYTES``).

    Raises ``DownloadError`` if no mirror delivers a verified file; its message lists every
    address tried with its failure and explains how to proceed offline. Nothing partial is
    ever left at ``dest`` or next to it.
    """
    algorithm, expected = _expected_digest(sha256, md5)
    url_list = _check_urls(urls)
    timeout = positive(timeout, "timeout")
    deadline = positive(deadline, "deadline")
    max_bytes = whole(DEFAULT_MAX_BYTES if max_bytes is None else max_bytes, "max_bytes", minimum=1)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(dest, ".part")   # left by a download that was killed

    existing_note = ""
    if dest.is_file():
        actual = file_digest(dest, algorithm)
        if actual == expected:
            return dest
        existing_note = (
            f"\nThe file already at {dest} has {algorithm} {actual}, not the expected one; "
            "it was left untouched."
        )

    failures: list[str] = []
    for url in url_list:
        fd, tmp = temporary(dest, ".part")
        os.close(fd)
        try:
            actual = _fetch(url, tmp, algorithm, timeout, progress, dest.name, max_bytes, deadline)
            if actual != expected:
                failures.append(
                    f"{url}: checksum mismatch ({algorithm} {actual}, expected {expected})"
                )
                continue
            os.replace(tmp, dest)
            return dest
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append(f"{url}: {_describe(exc)}")
        finally:
            if tmp.exists():
                tmp.unlink()

    tried = "\n".join(f"  - {line}" for line in failures)
    raise DownloadError(
        f"could not download {dest.name}; every address failed:\n{tried}{existing_note}\n"
        f"To proceed offline, download the file by hand from one of the addresses above, check "
        f"that its {algorithm} is {expected}, and place it at\n  {dest}\n"
        "or use the bundled sample instead: load_mnist(\"sample\")."
    )
