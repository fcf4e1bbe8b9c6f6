"""Checks of the numpy safetensors reader and writer: python3 -m unittest discover -s torch.

The fixture's bytes are spelled out from the format, not produced by the code under test.
"""

import json
import os
import struct
import tempfile
import unittest

import numpy as np
import torch

from safetensors_io import DTYPES, SafetensorsError, decode, encode, load, load_file, load_metadata, save, save_file

# u64 header size 312; 307 bytes of JSON and 5 spaces; then step = 7 (int64), w = [1, -2] (float32),
# b = [1, 0.5] (bfloat16 0x3f80, 0x3f00), h = [65504] (float16 0x7bff); e, [0, 3] float32, has no bytes.
FIXTURE = (
    b"\x38\x01\x00\x00\x00\x00\x00\x00"
    b'{"__metadata__":{"format":"pt"},'
    b'"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
    b'"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},'
    b'"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},'
    b'"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},'
    b'"h":{"dtype":"F16","shape":[1],"data_offsets":[20,22]}}'
    b"     "
    b"\x07\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x80\x3f\x00\x00\x00\xc0"
    b"\x80\x3f\x00\x3f"
    b"\xff\x7b"
)


def file(header, data_length=0):
    h = header.encode("utf-8")
    return struct.pack("<Q", len(h)) + h + bytes(data_length)


def entry(dtype, shape, begin, end):
    return json.dumps({"dtype": dtype, "shape": shape, "data_offsets": [begin, end]})


class FormatTest(unittest.TestCase):
    def test_reads_the_hand_made_file(self):
        arrays, metadata = decode(FIXTURE)
        self.assertEqual(metadata, {"format": "pt"})
        self.assertEqual(list(arrays), ["step", "e", "w", "b", "h"])
        self.assertEqual(arrays["step"][0], "I64")
        self.assertEqual(arrays["step"][1].shape, ())
        self.assertEqual(int(arrays["step"][1]), 7)
        self.assertEqual(arrays["e"][1].shape, (0, 3))
        self.assertEqual(arrays["w"][1].tolist(), [1.0, -2.0])
        self.assertEqual(arrays["b"][1].tolist(), [0x3F80, 0x3F00])
        self.assertEqual(arrays["h"][1].tolist(), [65504.0])
        tensors = load(FIXTURE)
        self.assertEqual(tensors["b"].dtype, torch.bfloat16)
        self.assertEqual(tensors["b"].float().tolist(), [1.0, 0.5])
        self.assertEqual(tensors["h"].dtype, torch.float16)

    def test_writes_exactly_those_bytes(self):
        tensors = {
            "h": torch.tensor([65504.0], dtype=torch.float16),
            "b": torch.tensor([1.0, 0.5], dtype=torch.bfloat16),
            "w": torch.tensor([1.0, -2.0]),
            "e": torch.zeros(0, 3),
            "step": torch.tensor(7),
        }
        self.assertEqual(save(tensors, {"format": "pt"}), FIXTURE)
        self.assertEqual(encode({}), b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")

    def test_every_dtype_round_trips_aligned_in_the_reference_order(self):
        rng = np.random.default_rng(0)
        arrays = {}
        for i, (dtype, np_dtype) in enumerate(DTYPES.items()):
            raw = rng.integers(0, 256, size=3 * np_dtype.itemsize, dtype=np.uint8)
            arrays[f"t{i}"] = (dtype, raw.view(np_dtype) if np_dtype.kind != "b" else raw % 2 == 1)
        data = encode(arrays)
        back, _ = decode(data)
        order = ["U64", "I64", "F64", "F32", "U32", "I32", "BF16", "F16", "U16", "I16", "F8_E4M3", "F8_E5M2", "I8", "U8", "BOOL"]
        self.assertEqual([d for d, _ in back.values()], order)
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(data[8 : 8 + n])
        for name, (dtype, array) in back.items():
            self.assertEqual((8 + n + header[name]["data_offsets"][0]) % DTYPES[dtype].itemsize, 0, name)
            self.assertEqual(array.tobytes(), np.asarray(arrays[name][1]).tobytes(), name)
        self.assertEqual(encode(back), data)

    def test_names_sort_by_code_point_and_metadata_keys_sort(self):
        t = ("F32", np.zeros(1, np.float32))
        data = encode({k: t for k in ["b", "\U0001f600", "a.9", "\uff61", "a", "a.10"]}, {"z": "1", "a": "\n"})
        arrays, metadata = decode(data)
        self.assertEqual(list(arrays), ["a", "a.10", "a.9", "b", "\uff61", "\U0001f600"])
        self.assertEqual(list(metadata.items()), [("a", "\n"), ("z", "1")])

    def test_torch_files_round_trip_bit_exactly(self):
        torch.manual_seed(0)
        x = torch.randn(5, 3) * 1e3
        x[0, :] = torch.tensor([float("nan"), float("inf"), -0.0])
        tensors = {"transformer.h.0.attn.c_attn.weight": x, "bf": x.to(torch.bfloat16), "half": x.to(torch.float16), "ids": torch.arange(4), "mask": torch.tensor([True, False])}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "w.safetensors")
            save_file(tensors, path, {"step": "200"})
            back = load_file(path)
            self.assertEqual(load_metadata(path), {"step": "200"})
            self.assertEqual(os.listdir(d), ["w.safetensors"])
        for name, t in tensors.items():
            self.assertEqual(back[name].dtype, t.dtype, name)
            self.assertEqual(back[name].shape, t.shape, name)
            bits = {torch.float32: torch.int32, torch.bfloat16: torch.int16, torch.float16: torch.int16}.get(t.dtype)
            if bits is None:
                self.assertTrue(torch.equal(back[name], t), name)
            else:
                self.assertTrue(torch.equal(back[name].view(bits), t.view(bits)), name)


class MalformedTest(unittest.TestCase):
    w = entry("F32", [2], 0, 8)
    cases = [
        ("short", b"\x00" * 7, "fewer than the 8"),
        ("huge header size", struct.pack("<Q", 100_000_001) + b"{}", "exceeds the limit"),
        ("header past the end", struct.pack("<Q", 3) + b"{}", "runs past the end"),
        ("no brace", file(" {}"), 'must begin with "{"'),
        ("newline padding", file("{}\n"), "padded with spaces only"),
        ("not utf-8", struct.pack("<Q", 8) + b'{"\xff":{}}', "not valid UTF-8"),
        ("not json", file('{"w":}'), "not valid JSON"),
        ("duplicate tensor", file(f'{{"w":{w},"w":{w}}}', 8), 'tensor "w" appears twice'),
        ("duplicate field", file('{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8), 'tensor "w" has the field "dtype" twice'),
        ("missing field", file('{"w":{"dtype":"F32","data_offsets":[0,8]}}', 8), 'tensor "w" has no "shape"'),
        ("extra field", file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', 8), 'tensor "w" has an unknown field "x"'),
        ("unknown dtype", file(f'{{"w":{entry("float32", [2], 0, 8)}}}', 8), 'tensor "w" has the unknown dtype "float32"'),
        ("float dimension", file('{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', 8), 'tensor "w": shape must be'),
        ("negative zero", file('{"w":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'), 'tensor "w": shape must be'),
        ("boolean dimension", file('{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}', 4), "shape must be"),
        ("three offsets", file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}', 8), "data_offsets must be two"),
        ("size mismatch", file(f'{{"w":{entry("F32", [2, 3], 0, 8)}}}', 8), "needs 24"),
        ("overlap", file(f'{{"a":{entry("F32", [2], 0, 8)},"b":{entry("F32", [2], 4, 12)}}}', 12), 'tensor "b" (data_offsets [4, 12]) overlaps tensor "a"'),
        ("hole", file(f'{{"a":{entry("F32", [1], 4, 8)}}}', 8), 'a hole before tensor "a"'),
        ("truncated", file(f'{{"w":{w}}}', 7), 'tensor "w" ends at byte 8 of the data, which has only 7'),
        ("trailing", file(f'{{"w":{w}}}', 9), "1 trailing bytes"),
        ("metadata list", file('{"__metadata__":[]}'), '"__metadata__" must be an object'),
        ("metadata number", file('{"__metadata__":{"step":3}}'), '"__metadata__" value of "step" must be a string'),
        ("lone surrogate", file(f'{{"\\ud800":{w}}}', 8), "not well-formed Unicode"),
        ("deep nesting", file('{"w":' + "[" * 100_000 + "]" * 100_000 + "}"), "not valid JSON"),
    ]

    def test_each_is_refused_naming_the_culprit(self):
        for label, data, fragment in self.cases:
            with self.subTest(label):
                with self.assertRaises(SafetensorsError) as caught:
                    decode(data)
                self.assertIn(fragment, str(caught.exception))
                self.assertNotIn("\n", str(caught.exception))

    def test_the_writer_refuses_mismatched_arrays(self):
        with self.assertRaisesRegex(SafetensorsError, 'tensor "w": an array of F32 must be float32, got float64'):
            encode({"w": ("F32", np.zeros(2))})
        with self.assertRaisesRegex(SafetensorsError, "unknown dtype"):
            encode({"w": ("F4", np.zeros(2, np.uint8))})
        with self.assertRaisesRegex(SafetensorsError, "cannot name a tensor"):
            encode({"__metadata__": ("U8", np.zeros(2, np.uint8))})
        with self.assertRaisesRegex(SafetensorsError, "metadata must map strings to strings"):
            encode({}, {"step": 3})


if __name__ == "__main__":
    unittest.main()
