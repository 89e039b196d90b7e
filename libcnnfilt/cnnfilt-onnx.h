/* cnnfilt-onnx.h: graphs from ONNX models
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>
#include "cnnfilt-graph.h"

G_BEGIN_DECLS

CnnfiltGraph *cnnfilt_graph_new_from_onnx_file  (const gchar *path, GError **error);
CnnfiltGraph *cnnfilt_graph_new_from_onnx_bytes (GBytes *bytes, GError **error);

G_END_DECLS
