# test_overrides.py: the Python overrides (bindings/python/gi/overrides)
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import os

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "samples")


def test_from_numpy_wraps_without_a_copy():
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    t = Cnnfilt.Tensor.from_numpy(a)
    assert t.shape == (1, 1, 4, 5)
    # the tensor is the array's memory: writes through either are seen by both
    a[0, 0] = 7
    assert t.get_value(0, 0, 0, 0) == 7
    t.set_value(0, 0, 3, 4, -1)
    assert a[3, 4] == -1


def test_from_numpy_keeps_the_array_alive():
    t = Cnnfilt.Tensor.from_numpy(np.full((2, 3, 4), 2.5, dtype=np.float32))
    gc.collect()
    assert t.shape == (1, 2, 3, 4)
    assert t.to_numpy().sum() == pytest.approx(2.5 * 24)


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float64).reshape(3, 4),          # another dtype
    np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2],  # not contiguous
    np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)),
])
def test_from_numpy_copies_what_it_cannot_wrap(array):
    t = Cnnfilt.Tensor.from_numpy(array)
    np.testing.assert_array_equal(t.to_numpy()[0, 0], np.asarray(array, dtype=np.float32))
    array[...] = 0  # the tensor holds its own copy
    assert t.to_numpy().any()


def test_from_numpy_shapes():
    assert Cnnfilt.Tensor.from_numpy(np.zeros((2, 3, 4, 5), np.float32)).shape == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="5 dims"):
        Cnnfilt.Tensor.from_numpy(np.zeros((1, 1, 1, 1, 1), np.float32))


def test_to_numpy_is_a_view_that_keeps_the_tensor():
    t = Cnnfilt.Tensor.from_numpy(np.ones((3, 3), np.float32))
    view = t.to_numpy()
    copy = t.to_numpy(copy=True)
    view[0, 0, 1, 1] = 9
    assert t.get_value(0, 0, 1, 1) == 9 and copy[0, 0, 1, 1] == 1
    out = Cnnfilt.Graph.new_from_string("invert")(t)
    values = out.to_numpy()
    del out
    gc.collect()
    assert values[0, 0, 1, 1] == -8  # the view's base holds the tensor
    assert np.asarray(t).shape == (1, 1, 3, 3)


def test_op_new_with_keywords():
    op = Cnnfilt.Op.new("gaussian_blur".replace("_", "-"), sigma=2.5, border="reflect")
    assert op.get_property_as_string("sigma") == "2.5"
    assert op.get_property_as_string("border") == "reflect"
    conv = Cnnfilt.Op.new("conv2d", weights=np.ones((2, 1, 3, 3), np.float32), padding=1,
                          clamp_min=0.0)
    assert conv.props.weights.get_n() == 2
    with pytest.raises(TypeError, match="no property 'strength'"):
        Cnnfilt.Op.new("sobel", strength=3)
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Op.new("sobel", direction="diagonal")
    assert caught.value.matches(Cnnfilt.error_quark(), Cnnfilt.Error.INVALID_ARGUMENT)
    assert "direction" in caught.value.message
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Op.new("sobl")
    assert "sobel" in caught.value.message  # did you mean


def test_op_call():
    image = np.zeros((5, 5), np.float32)
    image[:, 3:] = 1
    gx = Cnnfilt.Op.new("kernel", matrix="-1,0,1", padding=0)(image)
    assert isinstance(gx, np.ndarray) and gx.shape == (1, 1, 5, 3)
    np.testing.assert_array_equal(gx[0, 0, 0], [0, 1, 1])
    as_tensor = Cnnfilt.Op.new("invert")(Cnnfilt.Tensor.from_numpy(image))
    assert isinstance(as_tensor, Cnnfilt.Tensor)
    total = Cnnfilt.Op.new("add")(np.ones((1, 2, 2, 2), np.float32), np.full((1, 2, 1, 1), 3, np.float32))
    np.testing.assert_array_equal(total, np.full((1, 2, 2, 2), 4))
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Op.new("add")(np.ones((1, 2, 2, 2), np.float32), np.ones((1, 3, 2, 2), np.float32))
    assert caught.value.code == Cnnfilt.Error.SHAPE


def test_graph_call():
    graph = Cnnfilt.Graph.new_from_string("grayscale ! sobel ! abs ! normalize")
    rgb = np.random.default_rng(1).random((3, 16, 20), dtype=np.float32)
    out = graph(rgb)
    assert out.shape == (1, 1, 16, 20) and out.min() == 0 and out.max() == pytest.approx(1)
    both = graph(rgb, outputs="all")
    assert isinstance(both, tuple) and len(both) == 1
    with pytest.raises(GLib.Error) as caught:
        graph(np.zeros((5, 8, 8), np.float32))
    assert caught.value.code == Cnnfilt.Error.SHAPE and "grayscale" in caught.value.message


def test_file_round_trip(tmp_path):
    photo = Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, "camera.png"))
    assert photo.shape[1] in (1, 3) and photo.to_numpy().max() <= 1
    path = tmp_path / "out.npy"
    photo.save(path)
    np.testing.assert_array_equal(np.load(path)[0], photo.to_numpy()[0])
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Tensor.from_file(tmp_path / "missing.png")
    assert "missing.png" in caught.value.message


def test_on_opencl_values_come_back():
    devices = Cnnfilt.Device.enumerate()
    if len(devices) < 2 or os.environ.get("CNNFILT_TEST_OPENCL") == "0":
        pytest.skip("no OpenCL platform")
    graph = Cnnfilt.Graph.new_from_string("sobel ! abs")
    graph.set_device(Cnnfilt.Device.new_from_string("opencl"))
    x = np.random.default_rng(2).random((1, 1, 30, 40), dtype=np.float32)
    on_device = graph(Cnnfilt.Tensor.from_numpy(x)).to_numpy()
    on_cpu = Cnnfilt.Graph.new_from_string("sobel ! abs")(x)
    np.testing.assert_allclose(on_device, on_cpu, atol=1e-4 * np.abs(on_cpu).max())
