/* cnnfilt-image.h: image files <-> tensors, through libvips
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

CnnfiltTensor *cnnfilt_image_load              (const gchar *path, GError **error);
gboolean       cnnfilt_image_load_into         (const gchar *path, CnnfiltTensor *tensor,
                                                GError **error);
gboolean       cnnfilt_image_save              (CnnfiltTensor *tensor, const gchar *path,
                                                GError **error);
gboolean       cnnfilt_image_save_with_options (CnnfiltTensor *tensor, const gchar *path,
                                                gint compression, gint quality,
                                                GError **error);
gboolean       cnnfilt_image_format_is_float   (const gchar *path);
gboolean       cnnfilt_image_format_is_known   (const gchar *path);

G_END_DECLS
