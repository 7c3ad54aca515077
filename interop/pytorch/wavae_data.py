# The data files wavae's CLI reads (src/data/idx.ts, src/data/tabular.ts, src/cli/scaling.ts),
# read in Python for train_ddp.py: IDX (plain or .gz), CSV (optional header, a label column), JSON
# (an array of rows), NumPy .npy (float32, float64, uint8; (n, d), (n, h, w) or (n, c, h, w)), and
# the CLI's input scaling, recorded in the model file as the CLI records it. Needs torch only.
import gzip
import json
import math
import os
import re
import struct

import torch

from wavae_torch import js_json

IDX_TYPES = {0x08: ('B', 1), 0x09: ('b', 1), 0x0B: ('h', 2), 0x0C: ('i', 4), 0x0D: ('f', 4), 0x0E: ('d', 8)}
NPY_TYPES = {'<f4': ('f', 4), '<f8': ('d', 8), '|u1': ('B', 1), '<u1': ('B', 1)}


class DataError(ValueError):
    """A data file wavae's CLI would refuse, naming the file and what is wrong."""


def _open(path):
    with open(path, 'rb') as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith('.gz') else data


def _values(fmt, size, raw, count, endian):
    if fmt == 'B':
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).to(torch.float64) if count else torch.zeros(0, dtype=torch.float64)
    return torch.tensor(struct.unpack(f'{endian}{count}{fmt}', raw), dtype=torch.float64)


def read_idx(path):
    """(values as float64, dims) of an IDX file, plain or .gz."""
    data = _open(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f'{path}: not an IDX file (the first two bytes must be zero)')
    if data[2] not in IDX_TYPES:
        raise DataError(f'{path}: unknown IDX element type 0x{data[2]:x}')
    fmt, size = IDX_TYPES[data[2]]
    rank = data[3]
    if rank < 1 or len(data) < 4 + 4 * rank:
        raise DataError(f'{path}: truncated IDX header')
    dims = list(struct.unpack(f'>{rank}I', data[4:4 + 4 * rank]))
    count = math.prod(dims)
    start = 4 + 4 * rank
    if len(data) < start + count * size:
        raise DataError(f'{path}: truncated: dimensions {dims} need {start + count * size} bytes, the file has {len(data)}')
    return _values(fmt, size, data[start:start + count * size], count, '>'), dims


def read_npy(path):
    """(values as float64, shape) of a C-order .npy file of float32, float64 or uint8."""
    data = _open(path)
    if data[:6] != b'\x93NUMPY':
        raise DataError(f'{path}: not a .npy file (bad magic)')
    major = data[6]
    n, start = (struct.unpack('<H', data[8:10])[0], 10) if major == 1 else (struct.unpack('<I', data[8:12])[0], 12)
    header = data[start:start + n].decode('latin-1')
    descr = re.search(r"'descr':\s*'([^']+)'", header)
    fortran = re.search(r"'fortran_order':\s*(True|False)", header)
    shape = re.search(r"'shape':\s*\(([^)]*)\)", header)
    if not (descr and fortran and shape):
        raise DataError(f'{path}: unreadable header {header.strip()!r}')
    if descr.group(1) not in NPY_TYPES:
        raise DataError(f"{path}: dtype {descr.group(1)!r}; wavae reads float32, float64 or uint8")
    if fortran.group(1) == 'True':
        raise DataError(f'{path}: Fortran order; save a C-order array (np.ascontiguousarray)')
    dims = [int(d) for d in shape.group(1).replace(' ', '').split(',') if d]
    fmt, size = NPY_TYPES[descr.group(1)]
    count = math.prod(dims)
    body = data[start + n:start + n + count * size]
    if len(body) < count * size:
        raise DataError(f'{path}: truncated: shape {dims} needs {count * size} data bytes, the file has {len(body)}')
    return _values(fmt, size, body, count, '<'), dims


def read_csv(path, label_column=None):
    """(values (n, d), labels or None) of a CSV file of numbers; a first line with a non-numeric cell is a header."""
    lines = [l for l in _open(path).decode('utf-8').splitlines() if l.strip()]
    if not lines:
        raise DataError(f'{path}: no data rows')
    split = lambda line: [c.strip().strip('"').strip() for c in line.split(',')]  # noqa: E731

    def numeric(s):
        try:
            float(s)
            return s.strip() != ''
        except ValueError:
            return False

    head = split(lines[0])
    columns = head if any(not numeric(c) for c in head) else None
    rows = lines[1:] if columns else lines
    index = -1
    if label_column is not None:
        index = columns.index(label_column) if columns and label_column in columns else int(label_column) if str(label_column).isdigit() else -1
        if index < 0:
            raise DataError(f'{path}: no label column {label_column!r}')
    values, labels = [], []
    for i, line in enumerate(rows):
        cells = split(line)
        try:
            row = [float(c) for c in cells]
        except ValueError:
            raise DataError(f'{path}:{i + 1 + (1 if columns else 0)}: a cell is not a finite number') from None
        if not all(math.isfinite(v) for v in row):
            raise DataError(f'{path}:{i + 1 + (1 if columns else 0)}: a cell is not a finite number')
        if index >= 0:
            labels.append(row.pop(index))
        values.append(row)
    if len({len(r) for r in values}) != 1:
        raise DataError(f'{path}: rows have different numbers of columns')
    return torch.tensor(values, dtype=torch.float64), (torch.tensor(labels, dtype=torch.float64) if index >= 0 else None)


def read_data(path, label_column=None, labels_path=None, limit=None):
    """(x (n, d) float64, labels or None, image shape [C, H, W] or None) of a data file as wavae's CLI reads it."""
    name = path[:-3] if path.endswith('.gz') else path
    ext = os.path.splitext(name)[1].lower()
    labels, image = None, None
    if ext in ('.csv', '.txt'):
        x, labels = read_csv(path, label_column)
    elif ext == '.json':
        rows = json.loads(_open(path))
        x = torch.tensor(rows, dtype=torch.float64)
    elif ext == '.npy' or 'idx' in os.path.basename(name) or ext.startswith('.idx'):
        values, dims = (read_npy if ext == '.npy' else read_idx)(path)
        if len(dims) == 3:
            image = [1, dims[1], dims[2]]
        elif len(dims) == 4:
            image = dims[1:]
        x = values.reshape(dims[0], -1)
        sibling = path.replace('images-idx3', 'labels-idx1')
        if ext != '.npy' and sibling != path and os.path.exists(sibling):
            labels_path = labels_path or sibling
    else:
        raise DataError(f'{path}: unknown data format (IDX, .csv, .json or .npy, optionally .gz)')
    if labels_path:
        if labels_path.endswith(('.csv', '.csv.gz')):
            values, _ = read_csv(labels_path)
            labels = values.reshape(-1)
        else:
            labels = ((read_npy if labels_path.endswith(('.npy', '.npy.gz')) else read_idx)(labels_path))[0]
        if len(labels) != len(x):
            raise DataError(f'{labels_path}: {len(labels)} labels for {len(x)} rows')
    if limit:
        x = x[:limit]
        labels = labels[:limit] if labels is not None else None
    return x, labels, image


def fit_scaling(kind, x):
    """The CLI's input scaling fitted to x (float64): none, divide255, minmax or standardize (per column); None picks divide255 for byte data, else none."""
    if kind is None:
        byte = x.numel() and float(x.max()) > 1 and float(x.max()) <= 255 and bool(((x >= 0) & (x == x.round())).all())
        kind = 'divide255' if byte else 'none'
    if kind in ('none', 'divide255'):
        return {'type': kind}
    if kind == 'minmax':
        return {'type': kind, 'min': x.min(0).values.tolist(), 'max': x.max(0).values.tolist()}
    if kind == 'standardize':
        mean = x.mean(0)
        return {'type': kind, 'mean': mean.tolist(), 'std': ((x - mean) ** 2).mean(0).sqrt().tolist()}
    raise DataError(f'--scale must be one of none, divide255, minmax, standardize, got {kind!r}')


def apply_scaling(s, x):
    """x (float64) scaled as the CLI scales it, rounded to float32 as the CLI stores it; constant columns map to 0."""
    if s['type'] == 'divide255':
        x = x / 255
    elif s['type'] == 'minmax':
        lo, hi = torch.tensor(s['min'], dtype=torch.float64), torch.tensor(s['max'], dtype=torch.float64)
        x = torch.where(hi > lo, (x - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi)), torch.zeros_like(x))
    elif s['type'] == 'standardize':
        mean, std = torch.tensor(s['mean'], dtype=torch.float64), torch.tensor(s['std'], dtype=torch.float64)
        x = torch.where(std > 0, (x - mean) / torch.where(std > 0, std, torch.ones_like(std)), torch.zeros_like(x))
    return x.to(torch.float32)


def cli_metadata(scaling, image, source, classes=None):
    """The metadata entries wavae's CLI writes with a model (src/cli/model-file.ts: modelMetadata), so `wavae eval` and the pictures treat the data the same way."""
    meta = {'scaling': js_json(scaling)}
    if image:
        meta['image_shape'] = f'{image[1]}x{image[2]}' if image[0] == 1 else 'x'.join(map(str, image))
    meta['data_source'] = source
    if classes is not None:
        meta.update({'condition': 'labels', 'classes': str(classes)})
    return meta
