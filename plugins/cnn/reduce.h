/* reduce.h: what reduce-mean, reduce-sum and reduce-max share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The three reduce a tensor over some of its dims (ONNX's ReduceMean,
 * ReduceSum and ReduceMax): the dims are a property, `axes`, the reduced
 * dims are kept as 1 or dropped, and reduce.c holds the one loop and
 * reduce.cl the one kernel, which differ in how they fold the values.
 */
#pragma once

#include "layer.h"

G_BEGIN_DECLS

/* How the values of each reduced block are folded (reduce.cl's REDUCE_KIND). */
typedef enum {
  REDUCE_SUM = 1,
  REDUCE_MEAN,
  REDUCE_MAX,
} ReduceKind;

/* The instance of each reduce op. */
typedef struct {
  CnnfiltOp parent_instance;
  gchar *axes;
  gboolean keepdims;
  gboolean noop_with_empty_axes;
} LayerReduce;

#define REDUCE_PROPS                                                                           \
  { "axes", "Dims reduced, comma-separated (0 n, 1 c, 2 h, 3 w); empty: all of them",          \
    CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (LayerReduce, axes), 0, 0, 0, NULL, { 0 },   \
    "", 0 },                                                                                   \
  { "keepdims", "Keep each reduced dim, as 1; otherwise drop it and move the later dims up",    \
    CNNFILT_OP_PROP_BOOLEAN, CNNFILT_OP_PROP_FIELD (LayerReduce, keepdims), 0, 1, 1, NULL,      \
    { 0 }, NULL, 0 },                                                                          \
  { "noop-with-empty-axes", "With axes empty, copy the input rather than reduce every dim",     \
    CNNFILT_OP_PROP_BOOLEAN, CNNFILT_OP_PROP_FIELD (LayerReduce, noop_with_empty_axes), 0, 1,   \
    0, NULL, { 0 }, NULL, 0 }

/* The class hooks the three share; run and run_cl take the kind. */
gboolean reduce_validate (CnnfiltOp *op, GError **error);
gboolean reduce_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error);
CnnfiltLayoutSupport reduce_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs);
guint64 reduce_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      const CnnfiltShape *output);
/* Reduced over h or w, each value sees the whole plane, for receptive fields. */
gboolean reduce_window (CnnfiltOp *op, CnnfiltOpWindow *window);
gboolean reduce_run (CnnfiltOp *op, ReduceKind kind, CnnfiltTensor *input, CnnfiltTensor *output,
                     GError **error);
gboolean reduce_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, ReduceKind kind,
                        CnnfiltTensor *input, CnnfiltTensor *output, GError **error);

/* The ONNX mapping of the three (ReduceSum adds noop_with_empty_axes). */
#define REDUCE_ONNX_ATTRIBUTES "axes:axes keepdims:keepdims"

G_END_DECLS
