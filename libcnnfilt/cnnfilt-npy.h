/* cnnfilt-npy.h: tensors to and from NumPy's .npy files
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

CnnfiltTensor *cnnfilt_tensor_new_from_npy_bytes (GBytes *bytes, const gchar *name,
                                                  GError **error);
CnnfiltTensor *cnnfilt_tensor_new_from_npy_file  (const gchar *path, GError **error);
gboolean       cnnfilt_tensor_save_npy           (CnnfiltTensor *tensor, const gchar *path,
                                                  GError **error);

G_END_DECLS
