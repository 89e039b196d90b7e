/* cnnfilt-preprocess.h: the input preparation models expect
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-graph.h"
#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

guint         cnnfilt_imagenet_resize     (const CnnfiltShape *input, guint resize);
gchar        *cnnfilt_imagenet_pipeline   (const CnnfiltShape *input, guint resize,
                                           const gchar *mean, const gchar *std);
CnnfiltGraph *cnnfilt_graph_new_imagenet  (const CnnfiltShape *input, guint resize,
                                           const gchar *mean, const gchar *std, GError **error);

G_END_DECLS
