# test_api.py: the rest of the public API from Python, function by function
# (test_coverage.py checks that every introspectable function is used by
# some test of this folder)
# SPDX-License-Identifier: LGPL-2.1-or-later

import os

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib, GObject

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "samples")


def test_init_and_registry():
    Cnnfilt.init()
    Cnnfilt.init()  # once per process; later calls do nothing
    sobel = Cnnfilt.registry_lookup("sobel")
    assert GObject.type_name(sobel) == "CnnfiltSobel"
    assert Cnnfilt.registry_lookup("no-such-op") == GObject.TYPE_INVALID
    assert GObject.type_name(Cnnfilt.registry_lookup_onnx("Conv")) == "CnnfiltConv2d"
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.registry_load_plugin(os.path.join(SAMPLES, "camera.png"))
    assert caught.value.code == Cnnfilt.Error.PLUGIN and "camera.png" in caught.value.message


def test_devices():
    os.environ.pop("CNNFILT_DEVICE", None)
    default = Cnnfilt.Device.get_default()
    assert default.get_name() == "cpu" and "thread" in default.get_description()
    assert Cnnfilt.Device.list()[0].startswith("cpu: ")
    default.set_n_threads(1)
    assert default.props.n_threads == 1
    graph = Cnnfilt.Graph.new_from_string("invert")
    assert graph.get_device() is None
    graph.set_device(default)
    assert graph.get_device().get_name() == "cpu"


def test_shapes():
    a, b = Cnnfilt.Shape.new(1, 3, 4, 5), Cnnfilt.Shape.new(1, 3, 4, 5)
    assert a.equal(b) and not a.equal(Cnnfilt.Shape.new(1, 3, 5, 4))
    assert a.to_string() == "1x3x4x5"


def test_tensor_accessors():
    t = Cnnfilt.Tensor.new(1, 2, 3, 4)
    t.fill(0.25)
    values = t.get_values()
    assert len(values) == 24 and set(values) == {0.25}
    shape = t.get_shape()
    assert (shape.n, shape.c, shape.h, shape.w) == (1, 2, 3, 4)
    assert t.get_capacity() >= 24
    assert t.get_layout() == Cnnfilt.Layout.NCHW
    t.set_layout(Cnnfilt.Layout.NHWC)
    assert t.get_layout() == Cnnfilt.Layout.NHWC
    t.set_value(0, 1, 2, 3, 7.0)
    assert t.get_value(0, 1, 2, 3) == 7.0


def test_npy_bytes():
    path = os.path.join(HERE, "..", "..", "..", "tests", "models", "data", "lenet5", "expected.npy")
    with open(path, "rb") as f:
        t = Cnnfilt.Tensor.new_from_npy_bytes(GLib.Bytes(f.read()), "expected.npy")
    np.testing.assert_array_equal(t.to_numpy().reshape(-1), np.load(path).reshape(-1))
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Tensor.new_from_npy_bytes(GLib.Bytes(b"\x93NUMPY garbage"), "bad.npy")
    assert "bad.npy" in caught.value.message


def test_image_functions(tmp_path):
    assert Cnnfilt.image_format_is_known("x.png") and not Cnnfilt.image_format_is_known("x.docx")
    assert Cnnfilt.image_format_is_float("x.npy") and not Cnnfilt.image_format_is_float("x.png")
    tensor = Cnnfilt.Tensor()
    Cnnfilt.image_load_into(os.path.join(SAMPLES, "coffee.jpg"), tensor)
    assert tensor.get_c() == 3 and tensor.get_w() > 100
    small = tmp_path / "small.jpg"
    big = tmp_path / "big.jpg"
    Cnnfilt.image_save_with_options(tensor, str(small), -1, 20)
    Cnnfilt.image_save_with_options(tensor, str(big), -1, 98)
    assert os.path.getsize(small) < os.path.getsize(big)


def test_op_methods():
    op = Cnnfilt.Op.new("standardize")
    assert "mean" in op.get_description()
    op.set_property_from_string("std", "0")
    with pytest.raises(GLib.Error) as caught:
        op.validate()
    assert "std may not be 0" in caught.value.message
    relu = Cnnfilt.Op.new("relu")
    s = Cnnfilt.Shape.new(1, 4, 2, 2)
    assert relu.get_layout_support([s]) & Cnnfilt.LayoutSupport.ELEMENTWISE
    ok, out = Cnnfilt.Op.new("invert").infer_same_shape([s])
    assert ok and out.equal(s)
    conv = Cnnfilt.Op.new("conv2d", weights=np.ones((2, 4, 1, 1), np.float32))
    fused = conv.fuse(relu)
    assert fused is not None and fused.get_property_as_string("clamp-min") == "0"
    assert conv.fuse(Cnnfilt.Op.new("softmax")) is None
    value = GObject.Value(GObject.TYPE_DOUBLE, 2.5)
    assert Cnnfilt.value_to_string(value) == "2.5"


def test_graph_methods():
    graph = Cnnfilt.Graph.new_from_string("grayscale ! sobel direction=y")
    assert graph.to_string() == "grayscale ! sobel direction=y"
    names = graph.get_node_names()
    assert graph.get_op(names[-1]).get_name() == "sobel"
    assert graph.set_input_shape(0, Cnnfilt.Shape.new(1, 3, 20, 30))
    ok, shape = graph.get_input_shape(0)
    assert ok and shape.to_string() == "1x3x20x30"


def test_window_plan_identity():
    w = Cnnfilt.Window()
    w.kernel_h = w.kernel_w = w.stride_h = w.stride_w = w.dilation_h = w.dilation_w = 1
    ok, plan = w.plan(5, 5)
    assert ok and plan.is_identity()
    w.kernel_h = 3
    ok, plan = w.plan(5, 5)
    assert not plan.is_identity() and plan.out_h == 3


def test_image_encode_in_memory(tmp_path):
    """Image bytes without a file: PNG round-trips to the 8-bit values,
    JPEG and WebP start with their signatures, bad requests are refused."""
    import io
    from PIL import Image
    values = (np.arange(2 * 3 * 4, dtype=np.float32).reshape(1, 3, 2, 4) / 23.0)
    tensor = Cnnfilt.Tensor.from_numpy(values)
    png = Cnnfilt.image_encode(tensor, "png", -1).get_data()
    back = np.asarray(Image.open(io.BytesIO(png))).transpose(2, 0, 1)[None] / 255.0
    assert np.abs(back - values).max() <= 0.5 / 255 + 1e-6
    assert Cnnfilt.image_encode(tensor, "jpg", 80).get_data()[:3] == b"\xff\xd8\xff"
    assert Cnnfilt.image_encode(tensor, "webp", 50).get_data()[8:12] == b"WEBP"
    grey = Cnnfilt.Tensor.from_numpy(np.full((1, 1, 5, 7), 0.5, dtype=np.float32))
    assert Image.open(io.BytesIO(Cnnfilt.image_encode(grey, "png", -1).get_data())).mode == "L"
    for args in [("gif", -1), ("jpg", 0), ("jpg", 101)]:
        with pytest.raises(GLib.Error, match="cannot encode"):
            Cnnfilt.image_encode(tensor, *args)
    five = Cnnfilt.Tensor.new(1, 5, 2, 2)
    with pytest.raises(GLib.Error, match="5 channels"):
        Cnnfilt.image_encode(five, "png", -1)


def test_cpu_count_follows_the_affinity_mask():
    """The CPUs this process may use (taskset, Slurm, cpusets), not the
    machine's: what the CPU device runs on by default."""
    n = Cnnfilt.get_n_cpus()
    assert 1 <= n <= len(os.sched_getaffinity(0))
    cpu = Cnnfilt.Device.new_from_string("cpu")
    assert cpu.props.compute_units == n
