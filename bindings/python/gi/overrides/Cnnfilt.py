# Cnnfilt.py: PyGObject overrides of libcnnfilt: numpy in and out, properties
# as keyword arguments, ops and graphs called like functions.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pythonic additions to the Cnnfilt GObject Introspection module.

    import gi
    gi.require_version("Cnnfilt", "1.0")
    from gi.repository import Cnnfilt

    edges = Cnnfilt.Graph.new_from_string("grayscale ! sobel ! normalize")
    out = edges(Cnnfilt.Tensor.from_file("photo.jpg"))      # a Tensor
    y = Cnnfilt.Op.new("sobel", direction="y")(array)        # numpy in, numpy out

Errors are GLib.Error in the Cnnfilt error domain, as the C API reports
them (Cnnfilt.Error.SHAPE, ...).
"""

import ctypes

from ..module import get_introspection_module
from ..overrides import override

Cnnfilt = get_introspection_module("Cnnfilt")

__all__ = []

try:
    import numpy as _np
except ImportError:  # numpy is optional: the rest works without it
    _np = None


def _need_numpy():
    if _np is None:
        raise ImportError("numpy is needed for Cnnfilt.Tensor.from_numpy/to_numpy")


def _as_4d(shape):
    """NCHW for an array of 2 (H, W), 3 (C, H, W) or 4 dims."""
    if len(shape) == 4:
        return tuple(shape)
    if len(shape) == 3:
        return (1,) + tuple(shape)
    if len(shape) == 2:
        return (1, 1) + tuple(shape)
    raise ValueError(f"an array of {len(shape)} dims; give 2 (H, W), 3 (C, H, W) or 4 (N, C, H, W)")


class Tensor(Cnnfilt.Tensor):
    """A float32 NCHW tensor, with numpy and file helpers."""

    @classmethod
    def from_numpy(cls, array):
        """A tensor on the array's memory: a float32 C-contiguous writable
        array is wrapped without a copy (ops write into it, and the array
        lives as long as the tensor); any other array is copied first.
        2-, 3- and 4-dim arrays are read as (H, W), (C, H, W), (N, C, H, W)."""
        _need_numpy()
        a = _np.asarray(array)
        shape = _as_4d(a.shape)
        if not (a.dtype == _np.float32 and a.flags.c_contiguous and a.flags.writeable
                and a.flags.aligned):
            a = _np.array(a, dtype=_np.float32, order="C", copy=True)
        tensor = Cnnfilt.Tensor.new_wrapping(a.ctypes.data, a.nbytes, *shape)
        # an attribute makes PyGObject keep this wrapper (and so the array)
        # for as long as the tensor lives
        tensor._cnnfilt_array = a
        return tensor

    def to_numpy(self, copy=False):
        """The values as an (N, C, H, W) float32 array: a view of the
        tensor's memory that keeps the tensor alive (values read back from a
        device first), or a copy with copy=True. The view is valid until the
        tensor changes shape."""
        _need_numpy()
        shape = (self.get_n(), self.get_c(), self.get_h(), self.get_w())
        count = shape[0] * shape[1] * shape[2] * shape[3]
        memory = (ctypes.c_float * count).from_address(self.get_address())
        memory._cnnfilt_tensor = self  # the view's base keeps the tensor
        view = _np.ctypeslib.as_array(memory).reshape(shape)
        return view.copy() if copy else view

    def __array__(self, dtype=None, copy=None):
        array = self.to_numpy(copy=bool(copy))
        return array if dtype is None else array.astype(dtype)

    @classmethod
    def from_file(cls, path, **options):
        """An image file as a 1×C×H×W tensor in [0, 1] (cnnfilt_image_load)."""
        return Cnnfilt.image_load(str(path))

    def save(self, path):
        """Writes the tensor as an image, or .npy/.pfm/.tif float files,
        atomically (cnnfilt_image_save)."""
        Cnnfilt.image_save(self, str(path))

    @property
    def shape(self):
        return (self.get_n(), self.get_c(), self.get_h(), self.get_w())

    def __repr__(self):
        return f"<Cnnfilt.Tensor {'x'.join(map(str, self.shape))}>"


Tensor = override(Tensor)
__all__.append("Tensor")


def _tensor_in(value):
    """A Tensor for a Tensor or an array-like; and whether it was an array."""
    if isinstance(value, Cnnfilt.Tensor):
        return value, False
    return Tensor.from_numpy(value), True


def _set_properties(obj, props):
    """Properties by keyword, underscores for dashes: strings are parsed as
    on the command line (enum nicks, numbers, .npy paths), arrays become
    tensors, other values are set as they are."""
    for key, value in props.items():
        name = key.replace("_", "-")
        spec = obj.find_property(name)
        if spec is None:
            raise TypeError(f"{obj.get_name()}: no property '{name}'")
        if isinstance(value, str):
            obj.set_property_from_string(name, value)
        elif spec.value_type.is_a(Cnnfilt.Tensor) and not isinstance(value, Cnnfilt.Tensor):
            obj.set_property(name, Tensor.from_numpy(value))
        else:
            obj.set_property(name, value)


class Op(Cnnfilt.Op):
    """An operator; Op.new("sobel", direction="x") sets properties by
    keyword (underscores for dashes), and op(x) runs it."""

    @staticmethod
    def new(name, **props):
        op = Cnnfilt.Op.new(name)
        _set_properties(op, props)
        return op

    def __call__(self, *inputs):
        """Runs the op on tensors or arrays: an array in gives an array out."""
        tensors = [_tensor_in(x) for x in inputs]
        shapes = []
        for t, _ in tensors:
            s = Cnnfilt.Shape()
            s.n, s.c, s.h, s.w = t.get_n(), t.get_c(), t.get_h(), t.get_w()
            shapes.append(s)
        ok, shape = self.infer(shapes)
        out = Tensor()
        out.set_shape(shape)
        self.run([t for t, _ in tensors], out)
        return out.to_numpy(copy=True) if any(a for _, a in tensors) else out


Op = override(Op)
__all__.append("Op")


class Graph(Cnnfilt.Graph):
    """A graph of ops; graph(x) or graph(x1, x2) runs it and returns its
    first output (all of them with outputs="all")."""

    def __call__(self, *inputs, outputs="first"):
        tensors = [_tensor_in(x) for x in inputs]
        self.run([t for t, _ in tensors])
        as_array = any(a for _, a in tensors)
        count = self.get_n_outputs() if outputs == "all" else 1
        results = []
        for i in range(count):
            out = self.get_output(i)
            results.append(out.to_numpy(copy=True) if as_array else out)
        return tuple(results) if outputs == "all" else results[0]


Graph = override(Graph)
__all__.append("Graph")
