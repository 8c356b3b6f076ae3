"""Tests for nbhelpers.data.download and the download path of nbhelpers.data, all offline.

A real HTTP server on 127.0.0.1 serves small IDX files that the tests write themselves.
"""

import hashlib
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from nbhelpers import data
from nbhelpers.data.download import DownloadError, download_file, verify_file
from nbhelpers.data.idx import write_idx


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (kind, body)``; kind is "ok" or "truncated"."""

    def do_GET(self):  # noqa: N802 (name fixed by http.server)
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        kind, body = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if kind in ("endless", "trickle"):
            self._stream(kind, body)
            return
        announced = len(body) + (1000 if kind == "truncated" else 0)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _stream(self, kind, body):
        """endless: no length, data until the client hangs up; trickle: one byte every 50 ms."""
        if kind == "trickle":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if kind == "endless":
                while True:
                    self.wfile.write(b"\0" * 65536)
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, *args):
        pass


class LocalServer:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes = {}
        self.httpd.requests = []
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def routes(self):
        return self.httpd.routes

    @property
    def requests(self):
        return self.httpd.requests

    def url(self, path):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def server():
    srv = LocalServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def dead_url():
    """An address on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/file.gz"


@pytest.fixture
def payload(tmp_path):
    """Bytes of a small gzipped IDX file and their SHA-256."""
    array = (np.arange(3000) % 251).astype(np.uint8).reshape(3, 1000)
    path = write_idx(tmp_path / "x-idx.gz", array)
    body = path.read_bytes()
    path.unlink()
    return body, hashlib.sha256(body).hexdigest()


def test_good_file_downloaded_once(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("ok", body)
    dest = tmp_path / "dl" / "x.gz"
    assert download_file([server.url("/x.gz")], dest, sha, progress=True) == dest
    assert dest.read_bytes() == body
    assert server.requests == ["/x.gz"]
    download_file([server.url("/x.gz")], dest, sha, progress=False)
    assert server.requests == ["/x.gz"]  # already there and verified: no second request
    assert [p.name for p in dest.parent.iterdir()] == ["x.gz"]


def test_single_url_string_and_md5(server, tmp_path, payload):
    body, _ = payload
    server.routes["/x.gz"] = ("ok", body)
    dest = tmp_path / "x.gz"
    download_file(server.url("/x.gz"), dest, md5=hashlib.md5(body).hexdigest(), progress=False)
    assert verify_file(dest, md5=hashlib.md5(body).hexdigest())
    assert not verify_file(dest, md5="0" * 32)


def test_corrupted_file_leaves_nothing(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("ok", body[:-1] + bytes([body[-1] ^ 0xFF]))
    dest = tmp_path / "dl" / "x.gz"
    with pytest.raises(DownloadError) as info:
        download_file([server.url("/x.gz")], dest, sha, progress=False)
    message = str(info.value)
    assert "checksum mismatch" in message and server.url("/x.gz") in message
    assert list(dest.parent.iterdir()) == []


def test_corrupted_then_good_mirror(server, tmp_path, payload):
    body, sha = payload
    server.routes["/bad/x.gz"] = ("ok", b"garbage")
    server.routes["/good/x.gz"] = ("ok", body)
    dest = tmp_path / "x.gz"
    download_file([server.url("/bad/x.gz"), server.url("/good/x.gz")], dest, sha, progress=False)
    assert dest.read_bytes() == body
    assert server.requests == ["/bad/x.gz", "/good/x.gz"]
    assert [p.name for p in tmp_path.iterdir()] == ["x.gz"]


def test_truncated_transfer_leaves_nothing(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("truncated", body)
    dest = tmp_path / "dl" / "x.gz"
    with pytest.raises(DownloadError, match="truncated"):
        download_file([server.url("/x.gz")], dest, sha, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_404_then_good_mirror(server, tmp_path, payload):
    body, sha = payload
    server.routes["/b/x.gz"] = ("ok", body)
    dest = tmp_path / "x.gz"
    download_file([server.url("/a/x.gz"), server.url("/b/x.gz")], dest, sha, progress=False)
    assert dest.read_bytes() == body
    assert server.requests == ["/a/x.gz", "/b/x.gz"]


def test_all_mirrors_fail_lists_each(server, tmp_path, payload, dead_url):
    _, sha = payload
    dest = tmp_path / "x.gz"
    with pytest.raises(DownloadError) as info:
        download_file([server.url("/missing.gz"), dead_url], dest, sha, progress=False)
    message = str(info.value)
    assert f"{server.url('/missing.gz')}: HTTP error 404" in message
    assert f"{dead_url}: could not connect" in message
    assert list(tmp_path.iterdir()) == []


def test_unreachable_mirror_fails_fast_with_help(tmp_path, payload, dead_url):
    _, sha = payload
    dest = tmp_path / "x.gz"
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        download_file([dead_url], dest, sha, progress=False, timeout=5)
    assert time.monotonic() - start < 2
    message = str(info.value)
    assert dead_url in message
    assert "place it at" in message and str(dest) in message
    assert 'load_mnist("sample")' in message
    assert sha in message
    assert list(tmp_path.iterdir()) == []


def test_wrong_existing_file_is_replaced(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("ok", body)
    dest = tmp_path / "x.gz"
    dest.write_bytes(b"old and wrong")
    download_file([server.url("/x.gz")], dest, sha, progress=False)
    assert dest.read_bytes() == body
    assert server.requests == ["/x.gz"]


def test_wrong_existing_file_kept_when_all_fail(tmp_path, payload, dead_url):
    _, sha = payload
    dest = tmp_path / "x.gz"
    dest.write_bytes(b"old and wrong")
    with pytest.raises(DownloadError, match="already at"):
        download_file([dead_url], dest, sha, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["x.gz"]


def test_good_existing_file_needs_no_network(tmp_path, payload, dead_url):
    body, sha = payload
    dest = tmp_path / "x.gz"
    dest.write_bytes(body)
    assert download_file([dead_url], dest, sha, progress=False) == dest


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sha256": None}, "exactly one"),
        ({"sha256": "a" * 64, "md5": "b" * 32}, "exactly one"),
        ({"sha256": "xyz"}, "64 hexadecimal"),
        ({"md5": "a" * 64}, "32 hexadecimal"),
    ],
)
def test_checksum_arguments_validated(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        download_file(["http://127.0.0.1:1/x"], tmp_path / "x", **kwargs)


@pytest.mark.parametrize("urls", [[], ["ftp://example.org/x"], "file:///etc/passwd"])
def test_urls_validated(tmp_path, urls):
    with pytest.raises(ValueError, match="urls"):
        download_file(urls, tmp_path / "x", "a" * 64)


# ---------------------------------------------------------------- load_mnist end to end

N_TRAIN, N_TEST = 60, 20


@pytest.fixture
def fake_mnist(server, tmp_path, monkeypatch, dead_url, accept_files):
    """Serve a tiny MNIST look-alike and point nbhelpers.data at it; return the arrays."""
    rng = np.random.default_rng(1)
    arrays = {
        "train_images": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, N_TEST, dtype=np.uint8),
    }
    source = tmp_path / "served"
    source.mkdir()
    checksums = {}
    for role, filename in data.FILES.items():
        body = write_idx(source / filename, arrays[role]).read_bytes()
        server.routes[f"/mirror/{filename}"] = ("ok", body)
        checksums[filename] = hashlib.sha256(body).hexdigest()
    for name in ("mnist", "fashion"):
        mirrors = [dead_url.rsplit("/", 1)[0], server.url("/mirror/")]
        monkeypatch.setitem(data.MIRRORS, name, mirrors)
        monkeypatch.setitem(data.CHECKSUMS, name, checksums)
        monkeypatch.setitem(data.SYSTEM_DIRS, name, [])
        accept_files(name, source)
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "VALIDATION_SIZE", 10)
    return arrays


def test_load_full_mnist_end_to_end(server, tmp_path, fake_mnist):
    ds = data.load_mnist("mnist", progress=False)
    assert ds.name == "mnist" and ds.classes == data.DIGIT_CLASSES
    (Xtr, ytr), (Xva, yva), (Xte, yte) = ds.train, ds.validation, ds.test
    assert Xtr.shape == (784, 50) and Xva.shape == (784, 10) and Xte.shape == (784, 20)
    flat = fake_mnist["train_images"].reshape(N_TRAIN, 784)
    np.testing.assert_allclose(Xtr[:, 0], flat[0] / 255)
    np.testing.assert_allclose(Xva[:, -1], flat[-1] / 255)  # validation = LAST 10
    np.testing.assert_array_equal(ytr, fake_mnist["train_labels"][:50])
    np.testing.assert_array_equal(yva, fake_mnist["train_labels"][50:])
    np.testing.assert_array_equal(yte, fake_mnist["test_labels"])
    assert yte.dtype == np.int64
    cached = sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir())
    assert cached == sorted(data.FILES.values())
    assert len(server.requests) == 4

    again = data.load_mnist("full", download=False, dtype=np.float32)
    assert again.train[0].dtype == np.float32
    np.testing.assert_array_equal(again.test[1], yte)
    assert len(server.requests) == 4  # served from the cache


def test_download_dataset_fashion_into_cache(server, tmp_path, fake_mnist):
    folder = data.download_dataset("fashion", progress=False)
    assert folder == tmp_path / "cache" / "fashion"
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.FILES.values())
    ds = data.load_mnist("fashion", progress=False)
    assert ds.classes[9] == "Ankle boot" and ds.train[0].shape == (784, 50)


def test_validation_size_too_large(server, fake_mnist, monkeypatch):
    monkeypatch.setattr(data, "VALIDATION_SIZE", N_TRAIN)
    with pytest.raises(ValueError, match="VALIDATION_SIZE"):
        data.load_mnist("mnist", progress=False)


def test_load_full_mnist_all_mirrors_down(tmp_path, monkeypatch, dead_url):
    monkeypatch.setitem(data.MIRRORS, "mnist", [dead_url.rsplit("/", 1)[0]])
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DownloadError, match="sample"):
        data.load_mnist("mnist", progress=False)
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_an_endless_body_is_cut_off_at_the_known_size(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("endless", body)
    dest = tmp_path / "x.gz"
    with pytest.raises(DownloadError, match="more than this file's known size of 100000 bytes"):
        download_file([server.url("/x.gz")], dest, sha, progress=False, max_bytes=100_000)
    assert list(tmp_path.iterdir()) == []


def test_a_trickle_hits_the_deadline(server, tmp_path, payload):
    body, sha = payload
    server.routes["/x.gz"] = ("trickle", body)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="still downloading after the deadline of 0.5 s"):
        download_file([server.url("/x.gz")], tmp_path / "x.gz", sha, progress=False, deadline=0.5)
    assert time.monotonic() - start < 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs,message", [
    (dict(timeout="10"), "timeout must be a finite number > 0, got '10'"),
    (dict(deadline=0), "deadline must be a finite number > 0, got 0"),
    (dict(max_bytes=0), "max_bytes must be a whole number >= 1, got 0"),
])
def test_bad_limits_are_named(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        download_file(["http://127.0.0.1:9/x"], tmp_path / "x", "0" * 64, **kwargs)


def test_without_max_bytes_an_endless_body_stops_at_the_default_cap(server, tmp_path, payload,
                                                                    monkeypatch):
    import nbhelpers.data.download as download

    assert download.DEFAULT_MAX_BYTES <= 2**30          # bounded, and above the largest data file
    assert download.DEFAULT_MAX_BYTES > max(max(s.values()) for s in data.SIZES.values())
    monkeypatch.setattr(download, "DEFAULT_MAX_BYTES", 300_000)   # the same rule, sooner
    body, sha = payload
    server.routes["/x.gz"] = ("endless", body)
    with pytest.raises(DownloadError, match="more than this file's known size of 300000 bytes"):
        download_file([server.url("/x.gz")], tmp_path / "x.gz", sha, progress=False)
    assert list(tmp_path.iterdir()) == []


class _SlowHeaders(BaseHTTPRequestHandler):
    """Sends its status line and headers one byte every 50 ms: each read is quick, the whole is not."""

    def do_GET(self):  # noqa: N802
        head = b"HTTP/1.0 200 OK\r\n" + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
        try:
            for i in range(len(head)):
                self.wfile.write(head[i:i + 1])
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_the_deadline_covers_the_headers_too(tmp_path, payload):
    body, sha = payload
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHeaders)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/x.gz"
        start = time.monotonic()
        with pytest.raises(DownloadError, match="still downloading after the deadline of 0.5 s"):
            download_file([url], tmp_path / "x.gz", sha, progress=False, timeout=5, deadline=0.5)
        assert time.monotonic() - start < 3          # the headers alone would take 10 s
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert list(tmp_path.iterdir()) == []


KILLED_WRITER = r"""
import sys, time
from nbhelpers.atomic import atomic_write
from nbhelpers.data.download import download_file
target, kind, url = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "save":
    def write(handle):
        handle.write(b"half a network")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
    atomic_write(target, write)
else:
    print("writing", flush=True)
    download_file([url], target, "0" * 64, progress=False, deadline=60)
"""


@pytest.mark.parametrize("kind", ["save", "download"])
def test_the_leftovers_of_a_killed_writer_are_removed_by_the_next_write(kind, server, tmp_path, payload):
    import signal
    import subprocess
    import sys

    body, sha = payload
    server.routes["/x.gz"] = ("trickle", body)               # one byte every 50 ms: still going
    target = tmp_path / "x.gz"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target), kind, server.url("/x.gz")],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "writing\n"
    suffix = ".tmp" if kind == "save" else ".part"
    for _ in range(100):          # the download's temporary file appears once the transfer starts
        leftovers = list(tmp_path.glob(f".x.gz.*{suffix}"))
        if leftovers:
            break
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert len(leftovers) == 1 and leftovers[0].exists()      # what SIGKILL leaves behind
    other = tmp_path / f".x.gz.{os.getpid()}.keep{suffix}"     # a live writer's file: kept
    other.write_bytes(b"")
    server.routes["/x.gz"] = ("ok", body)
    if kind == "save":
        from nbhelpers.atomic import atomic_write

        atomic_write(target, lambda f: f.write(body))
    else:
        download_file([server.url("/x.gz")], target, sha, progress=False)
    assert target.read_bytes() == body
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, other.name])
