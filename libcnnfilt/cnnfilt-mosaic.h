/* cnnfilt-mosaic.h: feature maps and filters tiled into one picture
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>

#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

/**
 * CnnfiltColormap:
 * @CNNFILT_COLORMAP_VIRIDIS: matplotlib's viridis, dark blue to yellow
 * @CNNFILT_COLORMAP_GRAY: black to white
 * @CNNFILT_COLORMAP_DIVERGING: blue below the middle, white at it, red above
 *
 * How values in [0, 1] become colours.
 */
typedef enum {
  CNNFILT_COLORMAP_VIRIDIS,
  CNNFILT_COLORMAP_GRAY,
  CNNFILT_COLORMAP_DIVERGING,
} CnnfiltColormap;

/**
 * CnnfiltMosaicRange:
 * @CNNFILT_MOSAIC_RANGE_AUTO: each map its own, except maps of one value
 * @CNNFILT_MOSAIC_RANGE_MAP: each map stretched to its own min..max
 * @CNNFILT_MOSAIC_RANGE_LAYER: one scale for all the maps
 *
 * What the colour map spans.
 */
typedef enum {
  CNNFILT_MOSAIC_RANGE_AUTO,
  CNNFILT_MOSAIC_RANGE_MAP,
  CNNFILT_MOSAIC_RANGE_LAYER,
} CnnfiltMosaicRange;

#define CNNFILT_TYPE_MOSAIC (cnnfilt_mosaic_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltMosaic, cnnfilt_mosaic, CNNFILT, MOSAIC, GObject)

CnnfiltMosaic *cnnfilt_mosaic_new            (void);
CnnfiltTensor *cnnfilt_mosaic_render_maps    (CnnfiltMosaic *self, CnnfiltTensor *maps,
                                              const gchar *title, GError **error);
CnnfiltTensor *cnnfilt_mosaic_render_filters (CnnfiltMosaic *self, CnnfiltTensor *weights,
                                              const gchar *title, GError **error);
gboolean       cnnfilt_mosaic_get_labelled   (CnnfiltMosaic *self);

G_END_DECLS
