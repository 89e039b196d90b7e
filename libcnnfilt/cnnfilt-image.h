/* cnnfilt-image.h: image files <-> tensors, through libvips
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

/**
 * CnnfiltLoadFlags:
 * @CNNFILT_LOAD_DEFAULT: turn images upright by their EXIF orientation
 * @CNNFILT_LOAD_NO_AUTOROTATE: keep the pixels as they are stored, ignoring
 *   the orientation tag
 *
 * How cnnfilt_image_load_full() loads an image.
 */
typedef enum /*< flags >*/ {
  CNNFILT_LOAD_DEFAULT = 0,
  CNNFILT_LOAD_NO_AUTOROTATE = 1 << 0,
} CnnfiltLoadFlags;

GType cnnfilt_load_flags_get_type (void);
#define CNNFILT_TYPE_LOAD_FLAGS (cnnfilt_load_flags_get_type ())

/**
 * CNNFILT_IMAGE_DEFAULT_MAX_PIXELS:
 *
 * The largest image, in pixels (width × height), that cnnfilt_image_load()
 * and cnnfilt_image_load_into() decode: 100 megapixels, 1.2 GB as three
 * float32 planes.
 */
#define CNNFILT_IMAGE_DEFAULT_MAX_PIXELS 100000000

CnnfiltTensor *cnnfilt_image_load              (const gchar *path, GError **error);
gboolean       cnnfilt_image_load_into         (const gchar *path, CnnfiltTensor *tensor,
                                                GError **error);
gboolean       cnnfilt_image_load_full         (const gchar *path, CnnfiltTensor *tensor,
                                                CnnfiltLoadFlags flags, guint64 max_pixels,
                                                guint shrink_to, GError **error);
gboolean       cnnfilt_image_read_header       (const gchar *path, guint *width, guint *height,
                                                guint *channels, GError **error);
gboolean       cnnfilt_image_save              (CnnfiltTensor *tensor, const gchar *path,
                                                GError **error);
gboolean       cnnfilt_image_save_with_options (CnnfiltTensor *tensor, const gchar *path,
                                                gint compression, gint quality,
                                                GError **error);
GBytes        *cnnfilt_image_encode            (CnnfiltTensor *tensor, const gchar *format,
                                                gint quality, GError **error);
gboolean       cnnfilt_image_format_is_float   (const gchar *path);
gboolean       cnnfilt_image_format_is_known   (const gchar *path);

G_END_DECLS
