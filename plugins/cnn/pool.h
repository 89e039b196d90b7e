/* pool.h: what max-pool and avg-pool share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pool.c holds the shared window and fast paths, pool-onednn.c oneDNN's
 * pooling primitives. */
#pragma once

#include "layer.h"
#include "onednn.h"

G_BEGIN_DECLS

/* A oneDNN pooling on NCHW tensors, made for one input shape and kept
 * (pool-onednn.c). */
typedef struct OnednnPool OnednnPool;

/* NULL where oneDNN has no kernel (the caller runs its own loops);
 * @out_h/@out_w are the caller's output size, which the right and bottom
 * padding is stretched to reach (ceil mode). */
OnednnPool *onednn_pool_new  (dnnl_alg_kind_t algorithm, const CnnfiltShape *in, guint out_h,
                              guint out_w, const gint kernel[2], const gint stride[2],
                              const gint dilation[2], const gint pad_begin[2],
                              CnnfiltLayout in_layout, CnnfiltLayout out_layout);
gboolean    onednn_pool_matches (OnednnPool *pool, const CnnfiltShape *in,
                                 CnnfiltLayout in_layout, CnnfiltLayout out_layout);
gboolean    onednn_pool_run  (OnednnPool *pool, const gfloat *src, gfloat *dst, GError **error);
void        onednn_pool_free (OnednnPool *pool);

/* Makes *@pool fit @in, the window @plan and the layouts, unless it already
 * does; FALSE where oneDNN has no kernel. */
gboolean    onednn_pool_ensure (OnednnPool **pool, dnnl_alg_kind_t algorithm,
                                const CnnfiltShape *in, const CnnfiltWindowPlan *plan,
                                CnnfiltLayout in_layout, CnnfiltLayout out_layout);

/* The first member of both pools' instances: the window (the area op
 * base), the algorithm and the oneDNN plan. */
typedef struct {
  CnnfiltAreaOp parent_instance;
  gint algorithm;
  OnednnPool *onednn; /* for the input shape last seen */
} LayerPool;

/* The pool's own loops, on NCHW tensors. */
typedef void (*PoolLoops) (LayerPool *pool, const gfloat *src, gfloat *dst, const CnnfiltShape *in,
                           const CnnfiltWindowPlan *plan);

/* layouts and run, given the oneDNN algorithm that computes what the op
 * does (dnnl_alg_kind_undef where none does): a 1×1 window copies, else
 * oneDNN's kernel runs, else @loops on NCHW. */
CnnfiltLayoutSupport pool_layouts (CnnfiltOp *op, dnnl_alg_kind_t algorithm,
                                   const CnnfiltShape *inputs);
gboolean pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   dnnl_alg_kind_t algorithm, CnnfiltTensor **inputs,
                   CnnfiltTensor *output, PoolLoops loops, GError **error);

/* run_cl of both pools: pool.cl's max_pool, or avg_pool with
 * @count_include_pad */
gboolean pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gboolean max,
                      gboolean count_include_pad, CnnfiltTensor **inputs, CnnfiltTensor *output,
                      GError **error);

/* the layer class's changed hook, and for finalize: the plan goes */
void pool_changed (CnnfiltOp *op);
guint64 pool_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                    const CnnfiltShape *output);

G_END_DECLS
