# test_pixbuf.py: tensors to and from GdkPixbuf, GTK-free
# SPDX-License-Identifier: LGPL-2.1-or-later

import os

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib

GdkPixbuf = pytest.importorskip("gi.repository.GdkPixbuf", reason="no GdkPixbuf typelib")
if not hasattr(Cnnfilt.Tensor, "new_from_pixbuf"):
    pytest.skip("libcnnfilt built without GdkPixbuf (-Dpixbuf)", allow_module_level=True)

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "samples")


def pixbuf_of(array):
    """A pixbuf from an (h, w, 3 or 4) uint8 array."""
    h, w, c = array.shape
    return GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes(array.tobytes()), GdkPixbuf.Colorspace.RGB,
                                           c == 4, 8, w, h, w * c)


def pixels_of(pixbuf):
    h, w, c = pixbuf.get_height(), pixbuf.get_width(), pixbuf.get_n_channels()
    stride = pixbuf.get_rowstride()
    raw = np.frombuffer(pixbuf.read_pixel_bytes().get_data(), dtype=np.uint8)
    return np.stack([raw[y * stride:y * stride + w * c] for y in range(h)]).reshape(h, w, c)


@pytest.mark.parametrize("channels", [3, 4])
def test_round_trip(channels):
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(7, 9, channels), dtype=np.uint8)
    tensor = Cnnfilt.Tensor.new_from_pixbuf(pixbuf_of(pixels))
    assert tensor.shape == (1, channels, 7, 9)
    values = tensor.to_numpy()
    np.testing.assert_allclose(values[0].transpose(1, 2, 0), pixels / 255.0, atol=1e-7)
    back = pixels_of(Cnnfilt.Tensor.to_pixbuf(tensor))
    np.testing.assert_array_equal(back, pixels)


def test_grey_and_out_of_range_for_display():
    # grey is repeated to RGB; values outside [0, 1] are clamped, NaN is 0
    values = np.array([[[[-0.5, 0.0, 0.5, 1.0, 2.0, np.nan]]]], dtype=np.float32)
    pixbuf = Cnnfilt.Tensor.from_numpy(values).to_pixbuf()
    assert pixbuf.get_n_channels() == 3 and not pixbuf.get_has_alpha()
    np.testing.assert_array_equal(pixels_of(pixbuf)[0, :, 0], [0, 0, 128, 255, 255, 0])
    np.testing.assert_array_equal(pixels_of(pixbuf)[0, :, 2], [0, 0, 128, 255, 255, 0])


def test_a_photo_as_gdk_loads_it():
    path = os.path.join(SAMPLES, "coffee.jpg")
    from_gdk = Cnnfilt.Tensor.new_from_pixbuf(GdkPixbuf.Pixbuf.new_from_file(path)).to_numpy()
    from_vips = Cnnfilt.Tensor.from_file(path).to_numpy()
    assert from_gdk.shape == from_vips.shape
    # both decode with libjpeg: the same pixels, give or take the IDCT
    assert np.abs(from_gdk - from_vips).mean() < 2 / 255


def test_shapes_refused():
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Tensor.from_numpy(np.zeros((2, 3, 4, 4), np.float32)).to_pixbuf()
    assert caught.value.code == Cnnfilt.Error.SHAPE and "2x3x4x4" in caught.value.message
