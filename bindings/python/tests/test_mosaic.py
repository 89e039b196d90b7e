# test_mosaic.py: feature maps and filters tiled into one picture
# (CnnfiltMosaic, what `cnnfilt features` draws)
# SPDX-License-Identifier: LGPL-2.1-or-later

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib


def test_maps_grid_and_colours():
    # four 2x2 maps, each a ramp of its own range
    maps = np.stack([np.array([[0, 1], [2, 3]], np.float32) * (k + 1) for k in range(4)])
    mosaic = Cnnfilt.Mosaic.new()
    mosaic.props.labels = False
    mosaic.props.colormap = Cnnfilt.Colormap.GRAY
    mosaic.props.tile_size = 2
    picture = mosaic.render_maps(Cnnfilt.Tensor.from_numpy(maps[None]), None).to_numpy()
    # two columns of 2x2 tiles, 4 px gaps, 8 px margins: 8+2+4+2+8 = 24
    assert picture.shape == (1, 3, 24, 24)
    tile = picture[0, 0, 8:10, 8:10]
    # each map stretched to its own range: 0, 1/3, 2/3, 1 in grey
    np.testing.assert_allclose(tile, [[0, 1 / 3], [2 / 3, 1]], atol=1e-6)
    np.testing.assert_allclose(picture[0, 0, 14:16, 14:16], tile, atol=1e-6)
    # the layer's range: the first map, the darkest, spans 0 to 3 of 12
    mosaic.props.range = Cnnfilt.MosaicRange.LAYER
    layer = mosaic.render_maps(Cnnfilt.Tensor.from_numpy(maps[None]), None).to_numpy()
    np.testing.assert_allclose(layer[0, 0, 8:10, 8:10], [[0, 1 / 12], [2 / 12, 3 / 12]], atol=1e-6)


def test_filters_diverging_and_rgb():
    weights = np.zeros((2, 1, 3, 3), np.float32)
    weights[0, 0, 1, 1] = 1
    weights[1, 0, 1, 1] = -1
    mosaic = Cnnfilt.Mosaic.new()
    mosaic.props.labels = False
    mosaic.props.tile_size = 3
    picture = mosaic.render_filters(Cnnfilt.Tensor.from_numpy(weights), None).to_numpy()
    centre_pos = picture[0, :, 9, 9]     # the first filter's centre: red
    centre_neg = picture[0, :, 9, 16]    # the second's: blue
    zero = picture[0, :, 8, 8]           # zero is white
    assert centre_pos[0] > 0.6 and centre_pos[2] < 0.3
    assert centre_neg[2] > 0.6 and centre_neg[0] < 0.4
    np.testing.assert_allclose(zero, [1, 1, 1], atol=1e-6)
    rgb = mosaic.render_filters(Cnnfilt.Tensor.from_numpy(np.ones((4, 3, 3, 3), np.float32)), None)
    assert rgb.get_c() == 3


def test_labels_and_limits():
    mosaic = Cnnfilt.Mosaic.new()
    maps = Cnnfilt.Tensor.from_numpy(np.random.default_rng(0).random((1, 8, 5, 5), dtype=np.float32))
    labelled = mosaic.render_maps(maps, "a title").to_numpy()
    assert mosaic.get_labelled() in (True, False)  # False only where no font exists
    mosaic.props.max_tiles = 3
    cut = mosaic.render_maps(maps, "a title").to_numpy()
    assert cut.shape[3] < labelled.shape[3] or cut.shape[2] < labelled.shape[2]
    mosaic.props.tile_size = 4096
    mosaic.props.max_tiles = 1000
    with pytest.raises(GLib.Error) as caught:
        mosaic.render_maps(Cnnfilt.Tensor.from_numpy(np.zeros((1, 1000, 1, 1), np.float32)), None)
    assert "400 million" in caught.value.message
