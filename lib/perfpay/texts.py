"""Long text columns kept as pyarrow text (pandas' string[pyarrow]): the 'file:row' sources of
the inputs and of the explanation are made, picked and joined without a Python str per row,
and written to CSV as they are (perfpay.output)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .distinct import factorize

TEXT = pa.large_string()


def is_text(type_) -> bool:
    """Whether a pyarrow type is text (string or large_string)."""
    return pa.types.is_string(type_) or pa.types.is_large_string(type_)


def arrow_text(values) -> pa.Array:
    """Text as one pyarrow array: from a Series or array of str (object or string[pyarrow]);
    missing values are empty."""
    if isinstance(values, pd.Series):
        values = values.array
    got = pa.array(values, type=TEXT, from_pandas=True) if not isinstance(values, (pa.Array, pa.ChunkedArray)) \
        else values.cast(TEXT)
    if isinstance(got, pa.ChunkedArray):
        got = got.combine_chunks()
    return got.fill_null("")


def column(values: pa.Array) -> pd.arrays.ArrowStringArray:
    """A pyarrow text array as a pandas column (string[pyarrow])."""
    return pd.arrays.ArrowStringArray(values.cast(TEXT))


def blank(n: int) -> pa.Array:
    """n empty texts."""
    return pa.array([""], TEXT).take(pa.array(np.zeros(n, dtype=np.int64)))


def join(*parts: pa.Array, sep: str = "") -> pa.Array:
    """The texts of each row joined by `sep` (pyarrow's binary_join_element_wise)."""
    return pc.binary_join_element_wise(*parts, pa.scalar(sep, TEXT))


def file_rows(files, rows) -> pa.Array:
    """'file:row' of each row, from its file (text) and its row number (integers). A column of
    str has a few distinct files: each is made into text once."""
    values = files.array if isinstance(files, pd.Series) else files
    if isinstance(values, (np.ndarray, pd.arrays.NumpyExtensionArray)):
        codes, names = factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
        named = pick(arrow_text(np.asarray(names, dtype=object)), codes)
    else:
        named = arrow_text(values)
    return join(named, pa.array(np.asarray(rows, dtype=np.int64)).cast(TEXT), sep=":")


def pick(values: pa.Array, at: np.ndarray) -> pa.Array:
    """values[at], for an integer array `at`."""
    return values.take(pa.array(at))


def choose(condition: np.ndarray, yes: pa.Array, no: pa.Array) -> pa.Array:
    """yes where condition holds, else no (as np.where)."""
    return pc.if_else(pa.array(condition, type=pa.bool_()), yes, no)
