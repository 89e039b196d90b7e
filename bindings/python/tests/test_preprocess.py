# test_preprocess.py: the ImageNet preparation of classify and features, in
# the library (cnnfilt-preprocess.h)
# SPDX-License-Identifier: LGPL-2.1-or-later

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib


def shape(n, c, h, w):
    s = Cnnfilt.Shape()
    s.n, s.c, s.h, s.w = n, c, h, w
    return s


def test_pipeline_text():
    assert Cnnfilt.imagenet_pipeline(shape(1, 3, 224, 224), 0, None, None) == \
        "rgb ! resize shorter=256 ! center-crop width=224 height=224 ! standardize"
    # Inception's 299: 299 · 256 / 224 = 341.7
    assert Cnnfilt.imagenet_resize(shape(1, 3, 299, 299), 0) == 342
    assert Cnnfilt.imagenet_resize(shape(1, 3, 299, 299), 320) == 320
    # a grey model: [0, 1] values unless told otherwise
    assert Cnnfilt.imagenet_pipeline(shape(1, 1, 32, 32), 0, None, None) == \
        "grayscale ! resize shorter=37 ! center-crop width=32 height=32"
    assert Cnnfilt.imagenet_pipeline(shape(1, 1, 28, 28), 28, "0.1307", "0.3081") == \
        "grayscale ! resize shorter=28 ! center-crop width=28 height=28 ! standardize " \
        "mean='0.1307' std='0.3081'"


def test_graph_worked_values():
    # a flat photo of 0.5 stays flat through resize and crop; standardize
    # gives (0.5 − mean) / std per channel, ImageNet's statistics
    graph = Cnnfilt.Graph.new_imagenet(shape(1, 3, 224, 224), 0, None, None)
    out = graph(np.full((3, 300, 400), 0.5, dtype=np.float32))
    assert out.shape == (1, 3, 224, 224)
    want = (0.5 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(out[0].reshape(3, -1).mean(axis=1), want, rtol=1e-5)
    assert np.ptp(out[0], axis=(1, 2)).max() < 1e-5
    # a grey photo to a colour model: repeated to three channels first
    grey = graph(np.full((1, 256, 256), 0.5, dtype=np.float32))
    np.testing.assert_allclose(grey[0, :, 0, 0], want, rtol=1e-5)


def test_bad_statistics_are_errors():
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Graph.new_imagenet(shape(1, 3, 224, 224), 0, "0.5,x", None)
    assert "mean" in caught.value.message
