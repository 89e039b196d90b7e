/* onednn.h: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "layer.h"
#include <oneapi/dnnl/dnnl.h>

G_BEGIN_DECLS

/* The CPU engine, made once; NULL if oneDNN cannot make one. */
dnnl_engine_t onednn_engine (void);

/* Gives oneDNN's OpenMP threads (and its sgemm) the count that @ctx
 * allows, for the calling thread: every op that reaches oneDNN calls it
 * first in its run. */
void onednn_set_threads (const CnnfiltRunContext *ctx);

/* Primitive attributes for user-managed scratchpads. oneDNN's own
 * (library) scratchpad is per thread and set up only in the thread that
 * made the primitive, while a graph may be prepared in one thread and run
 * in another: every primitive here is made with these attributes and run
 * with onednn_execute(). */
dnnl_status_t onednn_attr_new (dnnl_primitive_attr_t *attr);

/* dnnl_primitive_execute with the scratchpad the primitive asks for, from
 * the calling thread's scratch (layer_scratch slot LAYER_SCRATCH_ONEDNN). */
dnnl_status_t onednn_execute (dnnl_primitive_t primitive, dnnl_stream_t stream, int n_args,
                              const dnnl_exec_arg_t *args);

/* Sets @error from a oneDNN status, naming @op and @what; FALSE. */
gboolean onednn_error (GError **error, const gchar *op, const gchar *what, dnnl_status_t status);

/* dnnl_sgemm, row-major: C = alpha·op(A)·op(B) + beta·C */
void onednn_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, gfloat alpha,
                   const gfloat *a, gsize lda, const gfloat *b, gsize ldb, gfloat beta, gfloat *c,
                   gsize ldc);

/* @dst (cols × rows) = the transpose of @src (rows × cols), both
 * row-major, by oneDNN's reorder on every core; FALSE if it fails. */
gboolean onednn_transpose (const gfloat *src, gsize rows, gsize cols, gfloat *dst);

/* A oneDNN pooling on NCHW tensors, made for one input shape and kept. */
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
                                const CnnfiltShape *in, const WindowPlan *plan,
                                CnnfiltLayout in_layout, CnnfiltLayout out_layout);

G_END_DECLS
