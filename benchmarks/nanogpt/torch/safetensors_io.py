"""safetensors, the weights format PyTorch and Hugging Face tools load, read and written with numpy.

Python's `safetensors` package is not everywhere (Debian ships none), so the PyTorch side of lmo
reads and writes the format itself. `load_file` and `save_file` mirror `safetensors.torch`'s: with
that package installed, `safetensors.torch.load_file(path)` reads the same files. numpy has no
bfloat16, so `decode` gives BF16 tensors as their raw uint16 bits and `load`/`load_file` view them
as `torch.bfloat16`.

The format: an 8-byte little-endian unsigned header size N; N bytes of UTF-8 JSON, beginning with
`{` and padded with trailing spaces, `{"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape":
[2, 3], "data_offsets": [BEGIN, END]}, ...}`; then the data buffer, where each tensor's row-major,
little-endian bytes are `[BEGIN, END)`, the ranges tiling the buffer exactly. This reader refuses
what @lmo/core's `decodeSafetensors` refuses (duplicate keys, holes, overlaps, trailing bytes,
offsets or shapes that are not non-negative integer literals, ...), and this writer lays files out
as the reference writer and @lmo/core's `encodeSafetensors` do: tensors by dtype alignment, largest
first, then by name; compact JSON with metadata keys sorted (left out when empty); the header
padded with spaces to a multiple of 8 bytes. The same tensors thus give the same bytes in both.
"""

import json
import struct

import numpy as np

MAX_HEADER_BYTES = 100_000_000

# The reference implementation's dtype order (increasing alignment): the writer puts later ones first.
DTYPES = {
    "BOOL": np.dtype("?"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "F8_E5M2": np.dtype("u1"),  # raw bytes
    "F8_E4M3": np.dtype("u1"),  # raw bytes
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}
RANK = {name: i for i, name in enumerate(DTYPES)}
FIELDS = ("dtype", "shape", "data_offsets")


class SafetensorsError(ValueError):
    """A file that is not valid safetensors, or tensors that cannot be written as one."""


class _Members(list):
    """A JSON object's members in order, duplicates kept (json.loads would keep only the last)."""


def _bad(message):
    raise SafetensorsError(f"invalid safetensors: {message}")


def _quote(s):
    return json.dumps(s if len(s) <= 80 else s[:77] + "...")


def _well_formed(s, what):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        _bad(f"{what} is not well-formed Unicode (it has an unpaired surrogate)")


def _integers(value):
    """The value as a list of non-negative integers below 2^53 (written as integers), or None."""
    if type(value) is not list or any(type(x) is not int or not 0 <= x < 2**53 for x in value):
        return None
    return value


def _entry(name, members):
    at = f"tensor {_quote(name)}"
    if not isinstance(members, _Members):
        _bad(f"{at}: its entry must be an object {{ dtype, shape, data_offsets }}")
    fields = {}
    for key, value in members:
        if key not in FIELDS:
            _bad(f"{at} has an unknown field {_quote(key)} (expected dtype, shape, data_offsets)")
        if key in fields:
            _bad(f"{at} has the field {_quote(key)} twice")
        fields[key] = value
    for key in FIELDS:
        if key not in fields:
            _bad(f'{at} has no "{key}"')
    dtype = fields["dtype"]
    if type(dtype) is not str or dtype not in DTYPES:
        _bad(f"{at} has the unknown dtype {json.dumps(dtype)} (supported: {', '.join(DTYPES)})")
    shape = _integers(fields["shape"])
    if shape is None:
        _bad(f"{at}: shape must be a list of non-negative integers")
    offsets = _integers(fields["data_offsets"])
    if offsets is None or len(offsets) != 2:
        _bad(f"{at}: data_offsets must be two non-negative integers [begin, end]")
    begin, end = offsets
    if end < begin:
        _bad(f"{at}: data_offsets [{begin}, {end}] end before they begin")
    need = int(np.prod(shape, dtype=object)) * DTYPES[dtype].itemsize
    if end - begin != need:
        _bad(f"{at}: data_offsets [{begin}, {end}] hold {end - begin} bytes, but shape {shape} of {dtype} needs {need}")
    return name, dtype, tuple(shape), begin, end


def decode(data):
    """Reads a safetensors file's bytes: ({name: (dtype, array)}, metadata), arrays in file order.

    Arrays are read-only views into `data` (BF16 as uint16 bits). Raises SafetensorsError naming
    the tensor or header field at fault, before returning anything.
    """
    data = memoryview(data).cast("B")
    if len(data) < 8:
        _bad(f"the file has {len(data)} bytes, fewer than the 8 of its header size")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        _bad(f"the header size {n} exceeds the limit of {MAX_HEADER_BYTES} bytes")
    if 8 + n > len(data):
        _bad(f"the header size {n} runs past the end of the file ({len(data)} bytes)")
    raw = bytes(data[8 : 8 + n])
    if not raw.startswith(b"{"):
        _bad('the header must begin with "{"')
    if not raw.rstrip(b" ").endswith(b"}"):
        _bad("the header must be one JSON object padded with spaces only")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _bad("the header is not valid UTF-8")
    try:
        # floats (1.0, 1e3), NaN and Infinity stay floats, which no integer field accepts; so does "-0"
        parse_int = lambda s: -1 if s.startswith("-") else int(s)  # noqa: E731
        header = json.loads(text, object_pairs_hook=_Members, parse_int=parse_int)
    except (json.JSONDecodeError, RecursionError) as e:
        _bad(f"the header is not valid JSON: {str(e).splitlines()[0]}")

    entries, metadata, seen = [], {}, set()
    data_length = len(data) - 8 - n
    for name, value in header:
        if name in seen:
            _bad('the header has "__metadata__" twice' if name == "__metadata__" else f"tensor {_quote(name)} appears twice in the header")
        seen.add(name)
        _well_formed(name, f"the name {_quote(name)}")
        if name == "__metadata__":
            if not isinstance(value, _Members):
                _bad('"__metadata__" must be an object of strings')
            for key, v in value:
                if key in metadata:
                    _bad(f'"__metadata__" has the key {_quote(key)} twice')
                if type(v) is not str:
                    _bad(f'"__metadata__" value of {_quote(key)} must be a string')
                _well_formed(key, "a metadata key")
                _well_formed(v, f"the metadata value of {_quote(key)}")
                metadata[key] = v
        else:
            entries.append(_entry(name, value))

    entries.sort(key=lambda e: (e[3], e[4]))  # by offsets, as the reference sorts them
    cursor, previous = 0, None
    for name, _, _, begin, end in entries:
        if begin > cursor:
            _bad(f"bytes {cursor}..{begin} of the data belong to no tensor (a hole before tensor {_quote(name)})")
        if begin < cursor:
            _bad(f"tensor {_quote(name)} (data_offsets [{begin}, {end}]) overlaps tensor {_quote(previous)} (up to {cursor})")
        if end > data_length:
            _bad(f"tensor {_quote(name)} ends at byte {end} of the data, which has only {data_length} (the file is truncated)")
        cursor, previous = end, name
    if cursor < data_length:
        _bad(f"{data_length - cursor} trailing bytes after the last tensor's data")

    start = 8 + n
    arrays = {}
    for name, dtype, shape, begin, end in entries:
        count = (end - begin) // DTYPES[dtype].itemsize
        arrays[name] = (dtype, np.frombuffer(data, DTYPES[dtype], count, start + begin).reshape(shape))
    return arrays, metadata


def _dump(s):
    return json.dumps(s, ensure_ascii=False)  # escapes as JSON.stringify and serde_json do


def encode(tensors, metadata=None):
    """Writes {name: (dtype, array)} (and string metadata) as safetensors bytes, laid out as the reference does.

    Each array must already have the dtype's numpy type (BF16: uint16 bits); nothing is converted.
    """
    items = []
    for name, (dtype, array) in tensors.items():
        if type(name) is not str or name == "__metadata__":
            _bad(f"cannot name a tensor {name!r}")
        _well_formed(name, f"the name {_quote(name)}")
        if dtype not in DTYPES:
            _bad(f"tensor {_quote(name)} has the unknown dtype {dtype!r}")
        array = np.asarray(array)
        want = DTYPES[dtype]
        if array.dtype.kind != want.kind or array.dtype.itemsize != want.itemsize:
            _bad(f"tensor {_quote(name)}: an array of {dtype} must be {want.name}, got {array.dtype.name}")
        items.append((name, dtype, array.astype(want, order="C", copy=False)))  # little-endian, row-major, 0-D kept
    items.sort(key=lambda item: (-RANK[item[1]], item[0]))  # str order is code-point order, i.e. UTF-8 byte order

    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if type(key) is not str or type(value) is not str:
            _bad(f"metadata must map strings to strings, got {key!r}: {value!r}")
        _well_formed(key, "a metadata key")
        _well_formed(value, f"the metadata value of {_quote(key)}")
    parts = []
    if metadata:
        parts.append('"__metadata__":{' + ",".join(f"{_dump(k)}:{_dump(metadata[k])}" for k in sorted(metadata)) + "}")
    offset = 0
    for name, dtype, array in items:
        end = offset + array.nbytes
        shape = ",".join(str(d) for d in array.shape)
        parts.append(f'{_dump(name)}:{{"dtype":"{dtype}","shape":[{shape}],"data_offsets":[{offset},{end}]}}')
        offset = end
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return b"".join([struct.pack("<Q", len(header)), header] + [array.tobytes() for _, _, array in items])


# ---- torch ---------------------------------------------------------------------------------------


def _torch_dtypes():
    import torch

    return {
        "F64": torch.float64,
        "F32": torch.float32,
        "F16": torch.float16,
        "BF16": torch.bfloat16,
        "I64": torch.int64,
        "I32": torch.int32,
        "I16": torch.int16,
        "I8": torch.int8,
        "U8": torch.uint8,
        "BOOL": torch.bool,
    }


def load(data):
    """Reads safetensors bytes into {name: torch.Tensor} (copies; BF16 as torch.bfloat16), in file order."""
    import torch

    dtypes = _torch_dtypes()
    arrays, _ = decode(data)
    for name, (dtype, _) in arrays.items():
        if dtype not in dtypes:
            _bad(f"tensor {_quote(name)} has dtype {dtype}, which this torch has no type for")
    out = {}
    for name, (dtype, array) in arrays.items():
        if dtype == "BF16":
            out[name] = torch.from_numpy(array.view(np.int16).copy()).view(torch.bfloat16)
        else:
            out[name] = torch.from_numpy(array.copy())
    return out


def save(tensors, metadata=None):
    """Writes {name: torch.Tensor} (CPU copies of their values, in their own dtype) as safetensors bytes."""
    import torch

    names = {v: k for k, v in _torch_dtypes().items()}
    arrays = {}
    for name, t in tensors.items():
        if t.dtype not in names:
            _bad(f"tensor {_quote(name)} has the torch dtype {t.dtype}, which safetensors has no name for here")
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            arrays[name] = ("BF16", t.view(torch.int16).numpy().view(np.uint16))
        else:
            arrays[name] = (names[t.dtype], t.numpy())
    return encode(arrays, metadata)


def load_file(path):
    """`safetensors.torch.load_file(path)` for CPU: {name: torch.Tensor}."""
    with open(path, "rb") as f:
        return load(f.read())


def load_metadata(path):
    """The file's `__metadata__` ({} when absent)."""
    with open(path, "rb") as f:
        return decode(f.read())[1]


def save_file(tensors, path, metadata=None):
    """`safetensors.torch.save_file(tensors, path, metadata)`: writes the file whole, then renames it into place."""
    import os

    data = save(tensors, metadata)
    partial = f"{path}.partial"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)
