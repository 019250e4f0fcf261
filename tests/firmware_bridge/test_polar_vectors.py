"""Polar's own published PMD test vectors, as facts (bytes in, values out).

Source: github.com/polarofficial/polar-ble-sdk, Android unit tests under
sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/api/ble/
model/gatt/client/pmd/: model/AccDataTest.kt (ACC data frames: raw type 1, compressed types 0 and 1;
the same frames are in the iOS AccDataTest.swift), PmdSettingTest.kt (settings TLVs) and
BlePmdClientControlPointResponseTest.kt (control point answers). Bytes and expected values are
copied as data; the decoder under test is ours."""
import numpy as np
import pytest

from harnet_edge.firmware_bridge import polar_control as ctl, polar_pmd as pmd

SDK_TIMESTAMP_NS = 2_000_000_000        # header bytes 00 94 35 77 00 00 00 00

RAW_TYPE1 = bytes.fromhex(
    "02" "0094357700000000" "01"
    "f7ffffffe703f8fffeffe503f9ffffffe503faffffffe603fafffeffe603f9ffffffe503f8ffffffe603f8fffeffe603"
    "faffffffe503faffffffe703faffffffe503f8ffffffe603f7ffffffe603f8fffeffe603f9fffeffe703f9ff0000e603"
    "f9ffffffe603f7fffeffe503f9ffffffe503f9ffffffe503faff0000e603f9fffeffe603f8ffffffe603f8ffffffe503"
    "f9ffffffe603f9ffffffe503faffffffe603f9ffffffe503f9ffffffe503f8fffeffe603f9ffffffe603f9ffffffe603"
    "f9ff0000e503f9fffeffe603f8fffeffe603f7fffeffe603")

COMPRESSED_TYPE0 = bytes.fromhex(
    "02" "0094357700000000" "80"
    "7107f06a9e8d0a38be5cbeba2f96b3ee4be5adfb42b9ebbe4cfeba2f92bfee4be4b1fb12b9ecbd3c3ebb2f8fd3de4be3"
    "b5f7d2b8edbd307e7b2f8be3ce8be2baf7a2b8eebc20be7b2f88f3cecbe1bdef52f8efbc18fe3b2f8403bfcbe0c2ef32"
    "b8f0bb044ebc2e8113af0be0c6eff2f7f1b9fc7dbc2e7d279f4bdfcaebc2f7f2b8eccd7c2e7b378f4bdecee392f7f3b8"
    "e00dfd2d774b7fcbddd2df6237f5b7d44dbd2d745b6fcbdcd7d73237f6b5c88d7d2d716b4f4bdcdcd3f236f7b4bcddfd"
    "2c6f7b3f4bdbe0cfd236f8b2b02dbe2c6c8f1fcbdae3c7a276f9")
SDK_FACTOR = np.float32(2.44e-4)

COMPRESSED_TYPE1 = bytes.fromhex("02" "6500000000000000" "81" "f1ff1400f00306017b0f08")


def decode_one(decoder, data):
    """A lone frame: the decoder holds a stream's first frame until a second one measures the
    interval; flush() releases it spaced at the nominal rate."""
    assert decoder.decode(data) is None
    return decoder.flush()


def test_raw_type1_frame():
    frame = decode_one(pmd.PolarAccDecoder(52), RAW_TYPE1)
    milli_g = np.round(frame.xyz * 1000).astype(int)
    assert len(milli_g) == 216 // 6
    assert milli_g[0].tolist() == [-9, -1, 999] and milli_g[1].tolist() == [-8, -2, 997]
    assert round(frame.t[-1] * 1e9) == SDK_TIMESTAMP_NS
    assert np.allclose(np.diff(frame.t), 1 / 52)    # no previous frame: spaced at the sample rate


def test_compressed_type0_frame_is_scaled_by_the_factor():
    decoder = pmd.PolarAccDecoder(52, factor=float(SDK_FACTOR))
    frame = decode_one(decoder, COMPRESSED_TYPE0)
    assert len(frame.xyz) == 1 + 56
    reference = np.array([1905, 27376, -29282])
    second = reference + [190, -105, -85]
    for got, counts in ((frame.xyz[0], reference), (frame.xyz[1], second)):
        expected = (SDK_FACTOR * counts.astype(np.float32) * np.float32(1000)).astype(int)   # SDK: toInt()
        assert np.abs(got * 1000 - expected).max() <= 1
    assert np.abs(frame.xyz).max() <= 8.0                # the SDK test: every sample within the 8 g range
    assert round(frame.t[-1] * 1e9) == SDK_TIMESTAMP_NS


def test_compressed_type1_frame():
    frame = decode_one(pmd.PolarAccDecoder(52), COMPRESSED_TYPE1)
    assert np.round(frame.xyz * 1000).astype(int).tolist() == [[-15, 20, 1008], [-20, 17, 1008]]


def test_settings_with_one_byte_channels():
    params = bytes.fromhex("00013400" "01011000" "0204f500f401e803d007" "040103")
    assert ctl.parse_settings(params) == {0: [52], 1: [16], 2: [245, 500, 1000, 2000], 4: [3]}


def test_settings_with_four_byte_range_in_milliunits():
    params = bytes.fromhex("0302ffffffffff000000" "01010e00")
    assert ctl.parse_settings(params) == {3: [-1, 0xFF], 1: [14]}


def test_control_point_answers():
    ok = ctl.ControlResponse.decode(bytes.fromhex("f001020000ffffff"))
    assert (ok.op, ok.measurement, ok.status, ok.more, ok.params) == (1, 2, 0, False, b"\xff\xff\xff")
    refused = ctl.ControlResponse.decode(bytes.fromhex("f001060700"))
    assert (refused.op, refused.measurement, refused.status, refused.params) == (1, 6, 7, b"")
    assert ctl.status_text(refused.status) == "invalid resolution (status 7)"
