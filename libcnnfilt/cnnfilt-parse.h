/* cnnfilt-parse.h: pipeline text to graph
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-graph.h"

G_BEGIN_DECLS

CnnfiltGraph *cnnfilt_graph_new_from_string (const gchar *pipeline, GError **error);

G_END_DECLS
