"""Download a file from a list of mirrors, verify its checksum, and move it into place atomically.

Used by ``nbhelpers.data`` when a notebook asks for the full MNIST or Fashion-MNIST data
(``load_mnist("mnist")``, ``load_mnist("fashion")``) and by ``python -m nbhelpers data download``.
Only the standard library (urllib) is used for the transfer; tqdm draws the progress bar.

Guarantees: the destination either keeps what it held before or receives a complete file whose
checksum matched; temporary files are removed on every failure. A transfer is bounded in size (at
most ``max_bytes``: the data sets pin each file's size, so an endless body cannot fill the disk) and
in time (a ``timeout`` for each network wait and an overall ``deadline``, so a server that sends one
byte a second cannot hold the download for ever).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterable, Optional, Union

from tqdm.auto import tqdm

from ..validate import positive, whole

__all__ = ["DownloadError", "download_file", "file_digest", "verify_file"]

CHUNK_SIZE = 1 << 16
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


def _fetch(url: str, tmp: Path, algorithm: str, timeout: float, progress: bool, label: str,
           max_bytes: Optional[int], deadline: float) -> str:
    """Stream ``url`` into the open-able file ``tmp``; return the hex digest of what arrived.

    Raises ``OSError``/``http.client.HTTPException`` on transfer problems and ``ValueError``
    if fewer (or more) bytes arrive than the server announced in Content-Length, if more than
    ``max_bytes`` arrive, or if the transfer is still going after ``deadline`` seconds.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.new(algorithm)
    received = 0
    stop_at = time.monotonic() + deadline
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        length_header = response.headers.get("Content-Length")
        total = int(length_header) if length_header and length_header.isdigit() else None
        if total is not None and max_bytes is not None and total > max_bytes:
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
                if max_bytes is not None and received > max_bytes:
                    raise ValueError(f"more than this file's known size of {max_bytes} bytes arrived "
                                     "(refused)")
                if time.monotonic() > stop_at:
                    raise ValueError(f"still downloading after the deadline of {deadline:g} s "
                                     f"({received} bytes received; too slow)")
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
    ``deadline`` (seconds) to each whole transfer; ``max_bytes`` caps the size of what is accepted.

    Raises ``DownloadError`` if no mirror delivers a verified file; its message lists every
    address tried with its failure and explains how to proceed offline. Nothing partial is
    ever left at ``dest`` or next to it.
    """
    algorithm, expected = _expected_digest(sha256, md5)
    url_list = _check_urls(urls)
    timeout = positive(timeout, "timeout")
    deadline = positive(deadline, "deadline")
    if max_bytes is not None:
        max_bytes = whole(max_bytes, "max_bytes", minimum=1)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)

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
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
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
