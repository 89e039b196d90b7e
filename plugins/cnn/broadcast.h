/* broadcast.h: elementwise ops on two inputs whose shapes broadcast
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* Elementwise broadcasting of two shapes (each dim equal or 1). */
gboolean layer_broadcast_shape (const CnnfiltShape *a, const CnnfiltShape *b, CnnfiltShape *out,
                                GError **error);

/* Two-input elementwise ops with broadcasting: infer, and the loop, which
 * calls row() once per output row with each input's row and its step (0
 * where that input broadcasts along w). */
/* The order of the dims (n 0, c 1, h 2, w 3) in memory, outermost first. */
const guint *layer_storage_order (CnnfiltLayout layout);
/* The step in memory of each dim (n, c, h, w) of @t in its layout; 0
 * where its dim is 1 (where it broadcasts, and where no step is taken). */
void layer_element_strides (CnnfiltTensor *t, gsize strides[4]);
typedef void (*LayerRowFunc) (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b,
                              gfloat *out, gsize count);
gboolean layer_infer_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                CnnfiltShape *output, GError **error);
void     layer_broadcast_apply (CnnfiltTensor *a, CnnfiltTensor *b, CnnfiltTensor *out,
                                LayerRowFunc row, gfloat clamp_min, gfloat clamp_max,
                                guint n_threads);
/* layouts of the ops that run layer_broadcast_apply, which reads each
 * input in its own layout and writes the output's: the layout the inputs
 * share, channels-last too where one is a per-channel vector (a
 * squeeze-and-excitation gate), which both layouts store alike. */
CnnfiltLayoutSupport layer_layouts_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs,
                                              guint n_inputs);

/* What broadcast.cl computes of a and b. */
typedef enum {
  LAYER_BROADCAST_ADD = 1, /* a + b */
  LAYER_BROADCAST_MUL,     /* a · b */
  LAYER_BROADCAST_PRELU,   /* a ≥ 0 ? a : b · a */
  LAYER_BROADCAST_SUB,     /* a − b */
  LAYER_BROADCAST_DIV,     /* a / b */
  LAYER_BROADCAST_POW,     /* a^b */
} LayerBroadcastKind;

/* The same on an OpenCL device (broadcast.cl), out = clamp (@kind of a
 * and b); @b_shape the shape @b is read as, or NULL for its own. */
gboolean layer_broadcast_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *a,
                                 CnnfiltTensor *b, const CnnfiltShape *b_shape,
                                 CnnfiltTensor *out, LayerBroadcastKind kind,
                                 gfloat clamp_min, gfloat clamp_max, GError **error);

G_END_DECLS
