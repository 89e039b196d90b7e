/* cnnfilt-parse.h: pipeline text to graph
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cnnfilt-graph.h"

G_BEGIN_DECLS

CnnfiltGraph *cnnfilt_graph_new_from_string (const gchar *pipeline, GError **error);

G_END_DECLS
