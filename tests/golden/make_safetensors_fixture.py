#!/usr/bin/python3
"""Writes python_written.safetensors, a small safetensors file made the way Python's ecosystem
makes them, for tests/test_serialize.cpp to read (heed must read files it did not write).

    python3 tests/golden/make_safetensors_fixture.py

Written by hand with struct and json, following the format's specification, so it needs neither
torch nor the safetensors package: an 8-byte little-endian header length, the JSON header
(keys in insertion order, not sorted; padded with spaces to a multiple of 8 bytes, as the
safetensors package does), then the data. The data are laid out in an order different from the
keys' order. The values are simple formulas, restated in the test:
    linear.weight  F32 [2, 3]  0.5 * i - 1 for i in 0..5
    linear.bias    F32 [2]     0.25, -0.75
    ids            I64 [3]     -1, 0, 2**40
    steps          I64 []      12345678901
    empty          F32 [0, 4]  (no data)
    __metadata__   {"format": "pt", "source": "make_safetensors_fixture.py"}
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

TENSORS = [  # (name, dtype, shape, data as bytes), in the order they are laid out
    ("linear.weight", "F32", [2, 3], struct.pack("<6f", *[0.5 * i - 1 for i in range(6)])),
    ("ids", "I64", [3], struct.pack("<3q", -1, 0, 2 ** 40)),
    ("empty", "F32", [0, 4], b""),
    ("linear.bias", "F32", [2], struct.pack("<2f", 0.25, -0.75)),
    ("steps", "I64", [], struct.pack("<q", 12345678901)),
]
KEY_ORDER = ["steps", "linear.bias", "__metadata__", "ids", "linear.weight", "empty"]


def main():
    entries, offset = {}, 0
    for name, dtype, shape, data in TENSORS:
        entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    entries["__metadata__"] = {"format": "pt", "source": "make_safetensors_fixture.py"}
    header = json.dumps({key: entries[key] for key in KEY_ORDER}).encode("utf-8")
    header += b" " * (-(8 + len(header)) % 8)
    with open(os.path.join(HERE, "python_written.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(header)))
        out.write(header)
        for _, _, _, data in TENSORS:
            out.write(data)


if __name__ == "__main__":
    main()
