/* linear.h: the parts of linear, for its files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * linear.c is the op: its properties, shapes, the choice of path and
 * fusion; linear-onednn.c is its oneDNN path, the matmul primitive with
 * the weights packed once and bias, clamp and activation applied as it
 * writes.
 */
#pragma once

#include "layer.h"
#include "onednn.h"

G_BEGIN_DECLS

/* What the product computes, apart from the input: the op's properties,
 * borrowed for the length of a call. */
typedef struct {
  guint m, k, n;               /* input m×k, weights k×n, output m×n */
  CnnfiltTensor *weights;      /* k×n, or n×k with trans_b */
  gboolean trans_b;
  CnnfiltTensor *bias;         /* n values, or NULL */
  gfloat clamp_min, clamp_max; /* applied after the bias */
  const LayerEltwise *activation; /* after the clamp, or NULL */
} LinearParams;

typedef struct OnednnLinear OnednnLinear;

/* Makes *@plan fit @p's m, k and n unless it already does; FALSE where
 * oneDNN has no kernel (the caller then runs sgemm). The packed weights of
 * the plan it replaces are kept where the new kernel wants the same
 * packing. */
gboolean onednn_linear_ensure (OnednnLinear **plan, const LinearParams *p);
/* @src m×k, @dst m×n, row-major */
gboolean onednn_linear_run    (OnednnLinear *plan, const gfloat *src, gfloat *dst, GError **error);
void     onednn_linear_free   (OnednnLinear *plan);

G_END_DECLS
