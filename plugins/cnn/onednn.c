/* onednn.c: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN (Debian libdnnl-dev) picks its kernels for the CPU at run time
 * (AVX-512 brgemm convolutions here) and runs them on OpenMP threads. */
#include "onednn.h"

#include "scratch.h"

#include <math.h>
#include <omp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

dnnl_engine_t
onednn_engine (void)
{
  static gsize once = 0;
  static dnnl_engine_t engine = NULL;
  if (g_once_init_enter (&once))
    {
      if (dnnl_engine_create (&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
      g_once_init_leave (&once, 1);
    }
  return engine;
}

void
onednn_set_threads (const CnnfiltRunContext *ctx)
{
  omp_set_num_threads ((int) ctx->n_threads);
}

dnnl_status_t
onednn_attr_new (dnnl_primitive_attr_t *attr)
{
  dnnl_status_t status = dnnl_primitive_attr_create (attr);
  if (status == dnnl_success)
    status = dnnl_primitive_attr_set_scratchpad_mode (*attr, dnnl_scratchpad_mode_user);
  return status;
}

dnnl_status_t
onednn_attr_new_epilogue (dnnl_primitive_attr_t *attr, gboolean sum, gfloat clamp_min,
                          gfloat clamp_max, const LayerEltwise *activation)
{
  dnnl_post_ops_t post_ops = NULL;
  gboolean clamped = clamp_min != -INFINITY || clamp_max != INFINITY;
  dnnl_status_t status = onednn_attr_new (attr);
  if (status == dnnl_success && (sum || clamped || activation != NULL))
    status = dnnl_post_ops_create (&post_ops);
  if (status == dnnl_success && sum)
    status = dnnl_post_ops_append_sum (post_ops, 1.0f);
  if (status == dnnl_success && clamped)
    {
      if (clamp_min == 0.0f && clamp_max == INFINITY)
        status = dnnl_post_ops_append_eltwise (post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
      else
        status = dnnl_post_ops_append_eltwise (post_ops, 1.0f, dnnl_eltwise_clip,
                                               MAX (clamp_min, -G_MAXFLOAT),
                                               MIN (clamp_max, G_MAXFLOAT));
    }
  if (status == dnnl_success && activation != NULL)
    status = dnnl_post_ops_append_eltwise (post_ops, 1.0f, activation->alg, activation->alpha,
                                           activation->beta);
  if (status == dnnl_success && post_ops != NULL)
    status = dnnl_primitive_attr_set_post_ops (*attr, post_ops);
  /* the attributes keep a copy */
  if (post_ops != NULL)
    dnnl_post_ops_destroy (post_ops);
  if (status != dnnl_success)
    g_clear_pointer (attr, dnnl_primitive_attr_destroy);
  return status;
}

/* Gives back the whole pages within [@from, @to) of memory about to be
 * freed: their next touch maps a zeroed page. */
static void
pages_give_back (guint8 *from, guint8 *to)
{
#ifdef MADV_DONTNEED
  const guintptr page = (guintptr) sysconf (_SC_PAGESIZE);
  guintptr start = ((guintptr) from + page - 1) & ~(page - 1), end = (guintptr) to & ~(page - 1);
  if (end > start)
    madvise ((gpointer) start, end - start, MADV_DONTNEED);
#endif
}

/* dnnl_primitive_execute with the scratchpad @primitive asks for: the
 * calling thread's shared scratch where @shared, which the runs of every
 * op reuse, else memory of its own, given back once the work is done. Work
 * done once, packing weights, takes the latter: Winograd's transform of
 * 512×512 weights asks for 36 MiB, which stayed resident in the shared
 * scratch until a run needed more, after the graph's buffers had been
 * touched (ResNet-18 at batch 8 peaked 22 MB above where it settled). */
static dnnl_status_t
execute (dnnl_primitive_t primitive, dnnl_stream_t stream, int n_args, const dnnl_exec_arg_t *args,
         gboolean shared)
{
  const_dnnl_primitive_desc_t pd;
  dnnl_status_t status = dnnl_primitive_get_primitive_desc (primitive, &pd);
  if (status != dnnl_success)
    return status;
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  gsize bytes = md ? dnnl_memory_desc_get_size (md) : 0;
  if (bytes == 0)
    return dnnl_primitive_execute (primitive, stream, n_args, args);
  guint8 *own = shared ? NULL : g_try_malloc (bytes);
  gpointer data = shared ? layer_scratch (LAYER_SCRATCH_ONEDNN, bytes) : own;
  if (data == NULL)
    return dnnl_out_of_memory;
  dnnl_engine_t engine = onednn_engine ();
  dnnl_memory_t scratchpad;
  if ((status = dnnl_memory_create (&scratchpad, md, engine, data)) == dnnl_success)
    {
      dnnl_exec_arg_t *all = g_newa (dnnl_exec_arg_t, n_args + 1);
      memcpy (all, args, n_args * sizeof *args);
      all[n_args] = (dnnl_exec_arg_t) { DNNL_ARG_SCRATCHPAD, scratchpad };
      status = dnnl_primitive_execute (primitive, stream, n_args + 1, all);
      /* the scratch must outlive the work: wait before the memory goes */
      if (status == dnnl_success)
        status = dnnl_stream_wait (stream);
      dnnl_memory_destroy (scratchpad);
    }
  if (own != NULL)
    {
      /* freed memory may stay with the process (the heap's): not its pages */
      pages_give_back (own, own + bytes);
      g_free (own);
    }
  return status;
}

dnnl_status_t
onednn_execute (dnnl_primitive_t primitive, dnnl_stream_t stream, int n_args,
                const dnnl_exec_arg_t *args)
{
  return execute (primitive, stream, n_args, args, TRUE);
}

/* A reorder that runs once (a packing, or its undoing): its scratch is
 * its own (execute). */
static dnnl_status_t
reorder_run_once (dnnl_primitive_t reorder, dnnl_stream_t stream, dnnl_memory_t from,
                  dnnl_memory_t to)
{
  dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
  return execute (reorder, stream, 2, args, FALSE);
}

gboolean
onednn_error (GError **error, const gchar *op, const gchar *what, dnnl_status_t status)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "%s: oneDNN cannot %s (status %d)", op,
               what, (int) status);
  return FALSE;
}

void
onednn_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, gfloat alpha,
              const gfloat *a, gsize lda, const gfloat *b, gsize ldb, gfloat beta, gfloat *c,
              gsize ldc)
{
  dnnl_status_t status = dnnl_sgemm (trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                     lda, b, ldb, beta, c, ldc);
  /* Only invalid arguments fail, which the callers' shape checks rule out. */
  g_assert (status == dnnl_success);
}

dnnl_status_t
onednn_reorder_new (dnnl_engine_t engine, dnnl_memory_t from, dnnl_memory_t to,
                    dnnl_primitive_t *out)
{
  const dnnl_memory_desc_t *a, *b;
  dnnl_memory_get_memory_desc (from, &a);
  dnnl_memory_get_memory_desc (to, &b);
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_status_t status = onednn_attr_new (&attr);
  if (status == dnnl_success)
    status = dnnl_reorder_primitive_desc_create (&pd, a, engine, b, engine, attr);
  if (status == dnnl_success)
    {
      status = dnnl_primitive_create (out, pd);
      dnnl_primitive_desc_destroy (pd);
    }
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return status;
}

dnnl_status_t
onednn_reorder_run (dnnl_primitive_t reorder, dnnl_stream_t stream, dnnl_memory_t from,
                    dnnl_memory_t to)
{
  dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
  return onednn_execute (reorder, stream, 2, args);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

dnnl_status_t
onednn_io_init (OnednnIo *io, dnnl_engine_t engine, const dnnl_memory_desc_t *user_src,
                const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
                const dnnl_memory_desc_t *user_dst)
{
  dnnl_status_t status;
  io->src_bytes = dnnl_memory_desc_get_size (src);
  io->dst_bytes = dnnl_memory_desc_get_size (dst);
  TRY (dnnl_stream_create (&io->stream, engine, dnnl_stream_default_flags));
  TRY (dnnl_memory_create (&io->user_src, user_src, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&io->src, src, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&io->dst, dst, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&io->user_dst, user_dst, engine, DNNL_MEMORY_NONE));
  if (!dnnl_memory_desc_equal (user_src, src))
    TRY (onednn_reorder_new (engine, io->user_src, io->src, &io->src_reorder));
  if (!dnnl_memory_desc_equal (user_dst, dst))
    TRY (onednn_reorder_new (engine, io->dst, io->user_dst, &io->dst_reorder));
fail:
  return status;
}

void
onednn_io_clear (OnednnIo *io)
{
  dnnl_primitive_t prims[] = { io->src_reorder, io->dst_reorder };
  for (guint i = 0; i < G_N_ELEMENTS (prims); i++)
    if (prims[i])
      dnnl_primitive_destroy (prims[i]);
  dnnl_memory_t mems[] = { io->user_src, io->src, io->dst, io->user_dst };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
  if (io->stream)
    dnnl_stream_destroy (io->stream);
  *io = (OnednnIo) { 0 };
}

gboolean
onednn_io_begin (OnednnIo *io, const gfloat *src, gfloat *dst, const gchar *op, GError **error)
{
  dnnl_status_t status;
  gpointer src_copy = io->src_reorder ? layer_scratch (0, io->src_bytes) : (gpointer) src;
  gpointer dst_copy = io->dst_reorder ? layer_scratch (1, io->dst_bytes) : dst;
  if (src_copy == NULL || dst_copy == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "%s: out of memory for %" G_GSIZE_FORMAT " bytes of scratch", op,
                   io->src_bytes + io->dst_bytes);
      return FALSE;
    }
  TRY (dnnl_memory_set_data_handle (io->src, src_copy));
  TRY (dnnl_memory_set_data_handle (io->dst, dst_copy));
  TRY (dnnl_memory_set_data_handle (io->user_src, (void *) src));
  TRY (dnnl_memory_set_data_handle (io->user_dst, dst));
  if (io->src_reorder)
    TRY (onednn_reorder_run (io->src_reorder, io->stream, io->user_src, io->src));
  return TRUE;
fail:
  return onednn_error (error, op, "reorder its input", status);
}

gboolean
onednn_io_end (OnednnIo *io, const gchar *op, GError **error)
{
  dnnl_status_t status;
  if (io->dst_reorder)
    TRY (onednn_reorder_run (io->dst_reorder, io->stream, io->dst, io->user_dst));
  TRY (dnnl_stream_wait (io->stream));
  return TRUE;
fail:
  return onednn_error (error, op, "reorder its output", status);
}

OnednnPacked *
onednn_packed_ref (OnednnPacked *packed)
{
  g_atomic_int_inc (&packed->ref);
  return packed;
}

void
onednn_packed_unref (OnednnPacked *packed)
{
  if (packed == NULL || !g_atomic_int_dec_and_test (&packed->ref))
    return;
  if (packed->memory)
    dnnl_memory_destroy (packed->memory);
  cnnfilt_free_large (packed->data);
  g_free (packed);
}

/* Makes a reorder of @from into @to, runs it once (reorder_run_once) and
 * frees it. */
static dnnl_status_t
reorder_make_and_run (dnnl_engine_t engine, dnnl_stream_t stream, dnnl_memory_t from, dnnl_memory_t to)
{
  dnnl_primitive_t reorder = NULL;
  dnnl_status_t status = onednn_reorder_new (engine, from, to, &reorder);
  if (status == dnnl_success)
    status = reorder_run_once (reorder, stream, from, to);
  if (reorder)
    dnnl_primitive_destroy (reorder);
  return status;
}

/* A released weights tensor's values, reordered back from the packed ones
 * (cnnfilt_tensor_release_values). Nothing can report a failure here, and
 * weights made up would be a wrong answer: it aborts. */
static void
packed_restore (CnnfiltTensor *tensor, gfloat *values, gpointer data)
{
  OnednnPacked *packed = data;
  dnnl_engine_t engine = onednn_engine ();
  dnnl_stream_t stream = NULL;
  dnnl_memory_t user = NULL;
  dnnl_status_t status = dnnl_stream_create (&stream, engine, dnnl_stream_default_flags);
  if (status == dnnl_success)
    status = dnnl_memory_create (&user, &packed->user_md, engine, values);
  if (status == dnnl_success)
    status = reorder_make_and_run (engine, stream, packed->memory, user);
  if (user)
    dnnl_memory_destroy (user);
  if (stream)
    dnnl_stream_destroy (stream);
  if (status != dnnl_success)
    g_error ("oneDNN cannot reorder packed weights back (status %d)", (int) status);
}

/* Packing in parts. Weights are reordered into the packed layout a part
 * at a time along their outermost dim, and where the tensor releases its
 * values for the packed ones, each part's pages go back once it is
 * packed: a layer is held about once while it packs, not twice (VGG-16's
 * 25088×4096 classifier layer is 411 MB). A part is PACK_PART_BYTES of the
 * plain weights or more, a whole number of the packed layout's blocks
 * along that dim; the last part may be shorter. */
#define PACK_PART_BYTES (16 << 20)

typedef struct {
  dnnl_stream_t stream;
  gsize n_parts;              /* whole parts, then the tail if any */
  gsize plain_step, packed_step; /* bytes from one part to the next */
  dnnl_primitive_t part, tail;
  dnnl_memory_t part_from, part_to, tail_from, tail_to;
  gpointer packed;
} PackParts;

static void
pack_parts_clear (PackParts *pp)
{
  dnnl_primitive_t prims[] = { pp->part, pp->tail };
  for (guint i = 0; i < G_N_ELEMENTS (prims); i++)
    if (prims[i])
      dnnl_primitive_destroy (prims[i]);
  dnnl_memory_t mems[] = { pp->part_from, pp->part_to, pp->tail_from, pp->tail_to };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
}

/* A reorder of @from_md into @to_md, its memories without data yet. */
static dnnl_status_t
pack_part_new (dnnl_engine_t engine, const dnnl_memory_desc_t *from_md,
               const dnnl_memory_desc_t *to_md, dnnl_memory_t *from, dnnl_memory_t *to,
               dnnl_primitive_t *reorder)
{
  dnnl_status_t status = dnnl_memory_create (from, from_md, engine, DNNL_MEMORY_NONE);
  if (status == dnnl_success)
    status = dnnl_memory_create (to, to_md, engine, DNNL_MEMORY_NONE);
  return status == dnnl_success ? onednn_reorder_new (engine, *from, *to, reorder) : status;
}

/* The parts of packing @user_md into @packed_md, at @packed: along the
 * plain layout's outermost dim where both layouts allow, else one part,
 * the whole. */
static dnnl_status_t
pack_parts_init (PackParts *pp, dnnl_engine_t engine, dnnl_stream_t stream,
                 const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *packed_md,
                 gpointer packed)
{
  *pp = (PackParts) { .stream = stream, .n_parts = 1, .packed = packed };
  const dnnl_blocking_desc_t *plain = &user_md->format_desc.blocking;
  const dnnl_blocking_desc_t *blocked = &packed_md->format_desc.blocking;
  gint d = 0, nd = user_md->ndims;
  dnnl_dim_t block = 1;
  gboolean parts = user_md->format_kind == dnnl_blocked && plain->inner_nblks == 0 &&
                   packed_md->format_kind == dnnl_blocked && nd == packed_md->ndims;
  if (parts)
    {
      for (gint i = 1; i < nd; i++)
        if (plain->strides[i] > plain->strides[d])
          d = i;
      for (gint i = 0; i < blocked->inner_nblks; i++)
        if (blocked->inner_idxs[i] == d)
          block *= blocked->inner_blks[i];
    }
  dnnl_dim_t rows = user_md->dims[d], row_bytes = plain->strides[d] * (dnnl_dim_t) sizeof (gfloat);
  dnnl_dim_t step = (MAX (PACK_PART_BYTES / MAX (row_bytes, 1), 1) + block - 1) / block * block;
  if (!parts || step >= rows)
    return pack_part_new (engine, user_md, packed_md, &pp->part_from, &pp->part_to, &pp->part);
  dnnl_status_t status;
  dnnl_dims_t dims, offsets = { 0 };
  memcpy (dims, user_md->dims, sizeof dims);
  dims[d] = step;
  dnnl_memory_desc_t from_md, to_md;
  TRY (dnnl_memory_desc_init_submemory (&from_md, user_md, dims, offsets));
  TRY (dnnl_memory_desc_init_submemory (&to_md, packed_md, dims, offsets));
  TRY (pack_part_new (engine, &from_md, &to_md, &pp->part_from, &pp->part_to, &pp->part));
  pp->n_parts = (gsize) (rows / step);
  pp->plain_step = (gsize) (step * row_bytes);
  pp->packed_step = (gsize) (step / block * blocked->strides[d]) * sizeof (gfloat);
  if (rows % step != 0)
    {
      /* the tail where it is, in memories of the whole */
      dims[d] = rows % step;
      offsets[d] = rows - rows % step;
      TRY (dnnl_memory_desc_init_submemory (&from_md, user_md, dims, offsets));
      TRY (dnnl_memory_desc_init_submemory (&to_md, packed_md, dims, offsets));
      TRY (pack_part_new (engine, &from_md, &to_md, &pp->tail_from, &pp->tail_to, &pp->tail));
    }
  /* the packed layout's padding, which no part writes */
  if (memcmp (packed_md->dims, packed_md->padded_dims, sizeof (dnnl_dim_t) * nd) != 0)
    memset (packed, 0, dnnl_memory_desc_get_size (packed_md));
fail:
  return status;
}

/* Packs @values part by part, each part's pages given back once packed
 * where @give_back. */
static dnnl_status_t
pack_parts_run (const PackParts *pp, gfloat *values, gboolean give_back)
{
  dnnl_status_t status = dnnl_success;
  guint8 *plain = (guint8 *) values, *packed = pp->packed;
  for (gsize i = 0; i < pp->n_parts; i++)
    {
      TRY (dnnl_memory_set_data_handle (pp->part_from, plain + i * pp->plain_step));
      TRY (dnnl_memory_set_data_handle (pp->part_to, packed + i * pp->packed_step));
      TRY (reorder_run_once (pp->part, pp->stream, pp->part_from, pp->part_to));
      if (give_back) /* a single part, the whole, has no step: nothing */
        pages_give_back (plain + i * pp->plain_step, plain + (i + 1) * pp->plain_step);
    }
  if (pp->tail)
    {
      TRY (dnnl_memory_set_data_handle (pp->tail_from, values));
      TRY (dnnl_memory_set_data_handle (pp->tail_to, pp->packed));
      TRY (reorder_run_once (pp->tail, pp->stream, pp->tail_from, pp->tail_to));
    }
fail:
  return status;
}

/* The tensor's CnnfiltTensorMoveFunc: it cannot fail, and weights made up
 * would be a wrong answer: it aborts. */
static void
pack_parts_move (CnnfiltTensor *tensor, gfloat *values, gpointer data)
{
  dnnl_status_t status = pack_parts_run (data, values, TRUE);
  if (status != dnnl_success)
    g_error ("oneDNN cannot pack weights (status %d)", (int) status);
}

dnnl_status_t
onednn_pack_weights (dnnl_engine_t engine, dnnl_stream_t stream, const dnnl_memory_desc_t *user_md,
                     const dnnl_memory_desc_t *packed_md, CnnfiltTensor *weights,
                     OnednnPacked **packed)
{
  dnnl_status_t status;
  PackParts pp = { 0 };
  OnednnPacked *p = g_new0 (OnednnPacked, 1);
  p->ref = 1;
  p->user_md = *user_md;
  if ((p->data = cnnfilt_alloc_large (dnnl_memory_desc_get_size (packed_md))) == NULL)
    {
      status = dnnl_out_of_memory;
      goto fail;
    }
  TRY (dnnl_memory_create (&p->memory, packed_md, engine, p->data));
  TRY (pack_parts_init (&pp, engine, stream, user_md, packed_md, p->data));
  /* released where the packing is a reordering, and so undone exactly */
  if (packed_md->format_kind == dnnl_blocked &&
      cnnfilt_tensor_release_values (weights, pack_parts_move, &pp, packed_restore,
                                     onednn_packed_ref (p), (GDestroyNotify) onednn_packed_unref))
    status = dnnl_success;
  else
    {
      if (packed_md->format_kind == dnnl_blocked)
        onednn_packed_unref (p); /* the reference the tensor did not take */
      TRY (pack_parts_run (&pp, cnnfilt_tensor_get_data (weights, NULL), FALSE));
    }
  *packed = g_steal_pointer (&p);
fail:
  pack_parts_clear (&pp);
  onednn_packed_unref (p);
  return status;
}

#undef TRY

gboolean
onednn_take_packed (OnednnPacked **old, const dnnl_memory_desc_t *packed_md, OnednnPacked **packed)
{
  const dnnl_memory_desc_t *old_md;
  if (*old == NULL || dnnl_memory_get_memory_desc ((*old)->memory, &old_md) != dnnl_success ||
      !dnnl_memory_desc_equal (old_md, packed_md))
    return FALSE;
  *packed = g_steal_pointer (old);
  return TRUE;
}

gboolean
onednn_transpose (const gfloat *src, gsize rows, gsize cols, gfloat *dst)
{
  dnnl_engine_t engine = onednn_engine ();
  if (engine == NULL)
    return FALSE;
  dnnl_dims_t dims = { (dnnl_dim_t) rows, (dnnl_dim_t) cols };
  dnnl_memory_desc_t from_md, to_md;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_t reorder = NULL;
  dnnl_memory_t from = NULL, to = NULL;
  dnnl_stream_t stream = NULL;
  dnnl_status_t status = dnnl_memory_desc_init_by_tag (&from_md, 2, dims, dnnl_f32, dnnl_ab);
  if (status == dnnl_success)
    status = dnnl_memory_desc_init_by_tag (&to_md, 2, dims, dnnl_f32, dnnl_ba);
  if (status == dnnl_success)
    status = onednn_attr_new (&attr);
  if (status == dnnl_success)
    status = dnnl_reorder_primitive_desc_create (&pd, &from_md, engine, &to_md, engine, attr);
  if (status == dnnl_success)
    status = dnnl_primitive_create (&reorder, pd);
  if (status == dnnl_success)
    status = dnnl_memory_create (&from, &from_md, engine, (void *) src);
  if (status == dnnl_success)
    status = dnnl_memory_create (&to, &to_md, engine, dst);
  if (status == dnnl_success)
    status = dnnl_stream_create (&stream, engine, dnnl_stream_default_flags);
  if (status == dnnl_success)
    {
      dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
      status = onednn_execute (reorder, stream, 2, args);
    }
  if (status == dnnl_success)
    status = dnnl_stream_wait (stream);
  if (stream)
    dnnl_stream_destroy (stream);
  if (from)
    dnnl_memory_destroy (from);
  if (to)
    dnnl_memory_destroy (to);
  if (reorder)
    dnnl_primitive_destroy (reorder);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return status == dnnl_success;
}
