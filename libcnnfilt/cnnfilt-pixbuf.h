/* cnnfilt-pixbuf.h: tensors to and from GdkPixbuf
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

CnnfiltTensor *cnnfilt_tensor_new_from_pixbuf (GdkPixbuf *pixbuf, GError **error);
GdkPixbuf     *cnnfilt_tensor_to_pixbuf       (CnnfiltTensor *tensor, GError **error);

G_END_DECLS
