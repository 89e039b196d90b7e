/* onednn.h: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What every op that reaches oneDNN needs; an op family's own primitives
 * are beside it, in FAMILY-onednn.c (pool-onednn.c, conv2d-onednn.c),
 * declared in the family's private header (pool.h, conv2d.h). */
#pragma once

#include <cnnfilt.h>
#include <oneapi/dnnl/dnnl.h>

#include "eltwise.h"

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

/* onednn_attr_new()'s attributes with the epilogue as post-ops, applied
 * as the kernel writes, in this order: a sum with what dst holds (@sum: a
 * residual copied there first), a clamp to [@clamp_min, @clamp_max] where
 * that is not (-inf, inf), then @activation unless NULL. */
dnnl_status_t onednn_attr_new_epilogue (dnnl_primitive_attr_t *attr, gboolean sum, gfloat clamp_min,
                                        gfloat clamp_max, const LayerEltwise *activation);

/* dnnl_primitive_execute with the scratchpad the primitive asks for, from
 * the calling thread's scratch (layer_scratch slot LAYER_SCRATCH_ONEDNN). */
dnnl_status_t onednn_execute (dnnl_primitive_t primitive, dnnl_stream_t stream, int n_args,
                              const dnnl_exec_arg_t *args);

/* A reorder primitive from @from's layout to @to's, made with
 * onednn_attr_new()'s attributes, and its run on @stream. */
dnnl_status_t onednn_reorder_new (dnnl_engine_t engine, dnnl_memory_t from, dnnl_memory_t to,
                                  dnnl_primitive_t *out);
dnnl_status_t onednn_reorder_run (dnnl_primitive_t reorder, dnnl_stream_t stream,
                                  dnnl_memory_t from, dnnl_memory_t to);

/* The memories around a primitive that reads one tensor and writes one:
 * the tensors as the caller holds them (user_*), as the kernel takes them,
 * and the reorders between the two where they differ (NULL where not).
 * The kernel's copies live in the calling thread's scratch (slots 0 and
 * 1), set by each run. */
typedef struct {
  dnnl_stream_t stream;
  dnnl_memory_t user_src, src, dst, user_dst;
  dnnl_primitive_t src_reorder, dst_reorder;
  gsize src_bytes, dst_bytes;
} OnednnIo;

/* Makes @io's stream, memories and reorders for tensors held as
 * @user_src and @user_dst around a kernel that takes @src and writes @dst. */
dnnl_status_t onednn_io_init (OnednnIo *io, dnnl_engine_t engine,
                              const dnnl_memory_desc_t *user_src, const dnnl_memory_desc_t *src,
                              const dnnl_memory_desc_t *dst, const dnnl_memory_desc_t *user_dst);
void onednn_io_clear (OnednnIo *io);

/* Before the kernel: points @io at @src and @dst, through copies in the
 * scratch where they are reordered, and reorders @src in. FALSE with
 * @error, naming @op, when the scratch or oneDNN fails. */
gboolean onednn_io_begin (OnednnIo *io, const gfloat *src, gfloat *dst, const gchar *op,
                          GError **error);

/* After the kernel: reorders the output out, and waits for the stream. */
gboolean onednn_io_end (OnednnIo *io, const gchar *op, GError **error);

/* Weights reordered once into the layout a kernel asks for, in memory of
 * ours (cnnfilt_alloc_large: aligned for huge pages where it is large).
 * Counted: held by the plans that run with them and, where the op's
 * weights tensor released its own values for them, by that tensor until
 * it reads them back. */
typedef struct {
  gint ref;
  dnnl_memory_t memory;
  gpointer data;
  dnnl_memory_desc_t user_md; /* the op's layout of them */
} OnednnPacked;

OnednnPacked *onednn_packed_ref   (OnednnPacked *packed);
void          onednn_packed_unref (OnednnPacked *packed);

/* @weights (laid out as @user_md) reordered into @packed_md: *@packed.
 * Where the packing is a reordering that can be undone exactly (not
 * Winograd's transform), the tensor releases its values for the packed
 * ones if ops alone hold it (cnnfilt_tensor_release_values): the weights
 * are held once, and come back when read. They are then packed in parts,
 * each part's memory given back once packed, so that a large layer is not
 * held twice even while it packs. */
dnnl_status_t onednn_pack_weights (dnnl_engine_t engine, dnnl_stream_t stream,
                                   const dnnl_memory_desc_t *user_md,
                                   const dnnl_memory_desc_t *packed_md, CnnfiltTensor *weights,
                                   OnednnPacked **packed);

/* Moves the packed weights of an older plan (*@old) into *@packed where
 * they are laid out as @packed_md: TRUE; FALSE, nothing moved, where they
 * are not (or there are none). */
gboolean onednn_take_packed (OnednnPacked **old, const dnnl_memory_desc_t *packed_md,
                             OnednnPacked **packed);

/* Sets @error from a oneDNN status, naming @op and @what; FALSE. */
gboolean onednn_error (GError **error, const gchar *op, const gchar *what, dnnl_status_t status);

/* dnnl_sgemm, row-major: C = alpha·op(A)·op(B) + beta·C */
void onednn_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, gfloat alpha,
                   const gfloat *a, gsize lda, const gfloat *b, gsize ldb, gfloat beta, gfloat *c,
                   gsize ldc);

/* @dst (cols × rows) = the transpose of @src (rows × cols), both
 * row-major, by oneDNN's reorder on every core; FALSE if it fails. */
gboolean onednn_transpose (const gfloat *src, gsize rows, gsize cols, gfloat *dst);

G_END_DECLS
