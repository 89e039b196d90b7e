/* cnnfilt-graph-private.h: the parts of CnnfiltGraph, for its files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cnnfilt-graph.c builds the graph (nodes, inputs, constants, outputs and
 * what can be asked of them) and runs it. cnnfilt-graph-plan.c prepares
 * it: shapes, fusion, layouts and the buffers each node writes.
 */
#pragma once

#include "cnnfilt-graph.h"

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  gchar *name;
  CnnfiltOp *op;         /* NULL for a graph input or a constant */
  CnnfiltTensor *constant; /* the value of a constant */
  guint *inputs;         /* node indices */
  guint n_inputs;
  /* The plan made by prepare: the op that runs (the node's own, or one
   * fused with the nodes before it) and what it reads. */
  CnnfiltOp *exec;
  guint *run_inputs;
  guint n_run_inputs;
  gboolean skipped;      /* fused into the node that reads it */
  gboolean aliased;      /* its op keeps values: it took over its input's
                          * buffer and does not run (plan_buffers) */
  CnnfiltLayout layout;  /* of the tensor it writes */
  gint64 busy_us;        /* time spent running, with CNNFILT_PROFILE, */
  guint runs;            /* over the runs after the first since a prepare */
  gint64 first_us;       /* and in those first runs, which make kernels */
  CnnfiltShape shape;    /* inferred by prepare */
  CnnfiltShape declared; /* of a graph input: what it expects, 0 where free */
  CnnfiltShape expected; /* what prepare must find: the ONNX importer computed
                          * constants from these dims; 0 where free */
  CnnfiltTensor *tensor; /* buffer while running; borrowed from slots or outputs */
  guint last_use;        /* index of the last node reading it */
  gboolean is_output;
} Node;

struct _CnnfiltGraph {
  GObject parent_instance;
  GPtrArray *nodes;       /* Node *, in insertion (= topological) order */
  GHashTable *by_name;    /* name -> index + 1 */
  GArray *inputs;         /* guint node indices */
  GArray *outputs;        /* guint node indices */
  GPtrArray *slots;       /* CnnfiltTensor *: reusable intermediate buffers */
  GPtrArray *results;     /* CnnfiltTensor *: one per output */
  CnnfiltShape *prepared; /* input shapes of the last prepare, or NULL */
  CnnfiltDevice *device;
  gboolean fuse;
  gboolean default_output; /* outputs holds only the implicit last node */
  gboolean profile;        /* CNNFILT_PROFILE is set: time each node */
  gboolean trace;          /* say where each node runs, once per prepare */
  gboolean traced;
  gboolean warm;           /* a run has completed since the last prepare */
};

/* Forgets the plan: the next run prepares again. */
G_GNUC_INTERNAL
void _cnnfilt_graph_invalidate (CnnfiltGraph *self);

/* Marks @op, which a graph made for its own runs (a fused op), as such:
 * its tensors are not the user's, for cnnfilt_tensor_release_values().
 * In cnnfilt-op.c. */
G_GNUC_INTERNAL
void _cnnfilt_op_set_graph_made (CnnfiltOp *op);

/* A graph without declared outputs outputs its last node. */
G_GNUC_INTERNAL
void _cnnfilt_graph_ensure_default_output (CnnfiltGraph *self);

G_END_DECLS
