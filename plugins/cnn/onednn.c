/* onednn.c: the oneDNN engine shared by the cnn plugin's fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN (Debian libdnnl-dev) picks its kernels for the CPU at run time
 * (AVX-512 brgemm convolutions here) and runs them on OpenMP threads. */
#include "onednn.h"

#include "scratch.h"

#include <omp.h>
#include <string.h>

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
onednn_execute (dnnl_primitive_t primitive, dnnl_stream_t stream, int n_args,
                const dnnl_exec_arg_t *args)
{
  const_dnnl_primitive_desc_t pd;
  dnnl_status_t status = dnnl_primitive_get_primitive_desc (primitive, &pd);
  if (status != dnnl_success)
    return status;
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  gsize bytes = md ? dnnl_memory_desc_get_size (md) : 0;
  if (bytes == 0)
    return dnnl_primitive_execute (primitive, stream, n_args, args);
  gpointer data = layer_scratch (LAYER_SCRATCH_ONEDNN, bytes);
  if (data == NULL)
    return dnnl_out_of_memory;
  dnnl_engine_t engine = onednn_engine ();
  dnnl_memory_t scratchpad;
  if ((status = dnnl_memory_create (&scratchpad, md, engine, data)) != dnnl_success)
    return status;
  dnnl_exec_arg_t *all = g_newa (dnnl_exec_arg_t, n_args + 1);
  memcpy (all, args, n_args * sizeof *args);
  all[n_args] = (dnnl_exec_arg_t) { DNNL_ARG_SCRATCHPAD, scratchpad };
  status = dnnl_primitive_execute (primitive, stream, n_args + 1, all);
  /* the scratch must outlive the work: wait before the memory goes */
  if (status == dnnl_success)
    status = dnnl_stream_wait (stream);
  dnnl_memory_destroy (scratchpad);
  return status;
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
