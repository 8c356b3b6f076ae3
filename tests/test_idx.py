"""Tests for nbhelpers.data.idx: IDX round trips and clear errors for damaged files."""

import gzip

import numpy as np
import pytest

from nbhelpers.data.idx import read_idx, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_type(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    assert back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_gz_detected_from_content_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    path = write_idx(tmp_path / "labels.bin", labels, compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(path), labels)
    np.testing.assert_array_equal(read_idx(str(path)), labels)


def test_reads_bytes_and_known_header(tmp_path):
    raw = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    np.testing.assert_array_equal(read_idx(raw), np.arange(6, dtype=np.uint8).reshape(2, 3))
    path = write_idx(tmp_path / "same.idx", np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert path.read_bytes() == raw


def test_big_endian_values_are_decoded():
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + bytes([0x01, 0x02, 0xFF, 0xFE])
    np.testing.assert_array_equal(read_idx(raw), [258, -2])


def test_gzip_output_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    a = write_idx(tmp_path / "a.gz", array).read_bytes()
    b = write_idx(tmp_path / "b.gz", array).read_bytes()
    assert a == b


def test_truncated_payload_names_file(tmp_path):
    path = write_idx(tmp_path / "images.idx", np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"images\.idx.*truncated"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.arange(5000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ValueError, match=r"images\.gz.*gzip"):
        read_idx(path)


def test_extra_bytes_rejected():
    raw = bytes([0, 0, 0x08, 1, 0, 0, 0, 2, 1, 2, 3])
    with pytest.raises(ValueError, match="1 unexpected bytes"):
        read_idx(raw)


def test_bad_magic_rejected():
    with pytest.raises(ValueError, match="bad magic number"):
        read_idx(bytes([1, 0, 0x08, 1, 0, 0, 0, 0]))


def test_unknown_type_code_rejected():
    with pytest.raises(ValueError, match="unknown IDX type code 0x0A"):
        read_idx(bytes([0, 0, 0x0A, 1, 0, 0, 0, 0]))


def test_header_cut_inside_dimensions():
    with pytest.raises(ValueError, match="3 dimensions.*truncated"):
        read_idx(bytes([0, 0, 0x08, 3, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match="too short"):
        read_idx(b"\x00\x00")


def test_zero_dimensions_rejected():
    with pytest.raises(ValueError, match="0 dimensions"):
        read_idx(gzip.compress(bytes([0, 0, 0x08, 0])))


def test_bad_source_type():
    with pytest.raises(TypeError, match="source must be a path"):
        read_idx(12345)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "y.idx", np.uint8(3))
    assert list(tmp_path.iterdir()) == []


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "data.idx.gz"
    write_idx(path, np.ones(10, np.uint8))
    write_idx(path, np.zeros(20, np.uint8))  # replaces the first
    assert [p.name for p in tmp_path.iterdir()] == ["data.idx.gz"]
    assert read_idx(path).shape == (20,)


def test_dimensions_whose_product_overflows_64_bits_are_refused():
    header = bytes([0, 0, 0x08, 3]) + np.array([2**32 - 1] * 3, dtype=">u4").tobytes()
    with pytest.raises(ValueError, match=r"truncated: dimensions \(4294967295, 4294967295, 4294967295\)"):
        read_idx(header + b"\0" * 16)
