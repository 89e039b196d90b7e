/* cnnfilt-graph.h: DAGs of ops
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>
#include "cnnfilt-device.h"
#include "cnnfilt-op.h"
#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

#define CNNFILT_TYPE_GRAPH (cnnfilt_graph_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltGraph, cnnfilt_graph, CNNFILT, GRAPH, GObject)

CnnfiltGraph  *cnnfilt_graph_new            (void);
gboolean       cnnfilt_graph_add_input      (CnnfiltGraph *graph, const gchar *name,
                                             GError **error);
gboolean       cnnfilt_graph_add_constant   (CnnfiltGraph *graph, const gchar *name,
                                             CnnfiltTensor *value, GError **error);
gboolean       cnnfilt_graph_add_node       (CnnfiltGraph *graph, const gchar *name,
                                             CnnfiltOp *op, const gchar * const *inputs,
                                             GError **error);
gboolean       cnnfilt_graph_add_output     (CnnfiltGraph *graph, const gchar *name,
                                             GError **error);

guint          cnnfilt_graph_get_n_inputs   (CnnfiltGraph *graph);
guint          cnnfilt_graph_get_n_outputs  (CnnfiltGraph *graph);
gboolean       cnnfilt_graph_set_input_shape (CnnfiltGraph *graph, guint index,
                                              const CnnfiltShape *shape);
gboolean       cnnfilt_graph_get_input_shape (CnnfiltGraph *graph, guint index,
                                              CnnfiltShape *shape);
gchar        **cnnfilt_graph_get_node_names (CnnfiltGraph *graph);
CnnfiltOp     *cnnfilt_graph_get_op         (CnnfiltGraph *graph, const gchar *name);
gchar        **cnnfilt_graph_get_node_inputs (CnnfiltGraph *graph, const gchar *name);
gboolean       cnnfilt_graph_get_node_shape (CnnfiltGraph *graph, const gchar *name,
                                             CnnfiltShape *shape);
CnnfiltTensor *cnnfilt_graph_get_constant   (CnnfiltGraph *graph, const gchar *name);
gchar         *cnnfilt_graph_to_string      (CnnfiltGraph *graph);

void           cnnfilt_graph_set_device     (CnnfiltGraph *graph, CnnfiltDevice *device);
CnnfiltDevice *cnnfilt_graph_get_device     (CnnfiltGraph *graph);

gboolean       cnnfilt_graph_prepare        (CnnfiltGraph *graph, const CnnfiltShape *inputs,
                                             guint n_inputs, GError **error);
gboolean       cnnfilt_graph_get_output_shape (CnnfiltGraph *graph, guint index,
                                               CnnfiltShape *shape);
gsize          cnnfilt_graph_get_buffer_size (CnnfiltGraph *graph);
gboolean       cnnfilt_graph_run            (CnnfiltGraph *graph, CnnfiltTensor **inputs,
                                             guint n_inputs, GError **error);
CnnfiltTensor *cnnfilt_graph_get_output     (CnnfiltGraph *graph, guint index);
CnnfiltTensor *cnnfilt_graph_process        (CnnfiltGraph *graph, CnnfiltTensor *input,
                                             GError **error);

G_END_DECLS
