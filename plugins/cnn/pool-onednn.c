/* pool-onednn.c: oneDNN's pooling primitives for max-pool and avg-pool
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pooling writes the layout it reads (oneDNN has only reference
 * kernels from one layout to the other, 30× slower); where the output
 * wants the other layout, a reorder follows, from the thread's scratch. */
#include "pool.h"

struct OnednnPool {
  CnnfiltShape shape;
  CnnfiltLayout in_layout, out_layout;
  dnnl_stream_t stream;
  dnnl_primitive_t pool, reorder;
  dnnl_memory_t src, dst, user_dst;
  gsize dst_bytes;
};

void
onednn_pool_free (OnednnPool *pool)
{
  if (pool == NULL)
    return;
  if (pool->pool)
    dnnl_primitive_destroy (pool->pool);
  if (pool->reorder)
    dnnl_primitive_destroy (pool->reorder);
  if (pool->src)
    dnnl_memory_destroy (pool->src);
  if (pool->dst)
    dnnl_memory_destroy (pool->dst);
  if (pool->user_dst)
    dnnl_memory_destroy (pool->user_dst);
  if (pool->stream)
    dnnl_stream_destroy (pool->stream);
  g_free (pool);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

OnednnPool *
onednn_pool_new (dnnl_alg_kind_t algorithm, const CnnfiltShape *in, guint out_h, guint out_w,
                 const gint kernel[2], const gint stride[2], const gint dilation[2],
                 const gint pad_begin[2], CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  dnnl_engine_t engine = onednn_engine ();
  if (engine == NULL)
    return NULL;
  dnnl_status_t status;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  OnednnPool *pool = g_new0 (OnednnPool, 1);
  pool->shape = *in;
  pool->in_layout = in_layout;
  pool->out_layout = out_layout;
  dnnl_dims_t src_dims = { in->n, in->c, in->h, in->w }, dst_dims = { in->n, in->c, out_h, out_w };
  dnnl_dims_t k = { kernel[0], kernel[1] }, s = { stride[0], stride[1] };
  dnnl_dims_t d = { dilation[0] - 1, dilation[1] - 1 };
  dnnl_dims_t pl = { pad_begin[0], pad_begin[1] };
  /* the end padding that gives exactly the caller's output size */
  dnnl_dims_t pr = {
    ((gint64) out_h - 1) * s[0] + (k[0] - 1) * dilation[0] + 1 - in->h - pl[0],
    ((gint64) out_w - 1) * s[1] + (k[1] - 1) * dilation[1] + 1 - in->w - pl[1],
  };
  if (pr[0] < 0 || pr[1] < 0)
    goto fail_quiet;
  dnnl_memory_desc_t src_md, dst_md, user_dst_md;
  TRY (dnnl_memory_desc_init_by_tag (&src_md, 4, src_dims, dnnl_f32,
                                     in_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&dst_md, 4, dst_dims, dnnl_f32,
                                     in_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&user_dst_md, 4, dst_dims, dnnl_f32,
                                     out_layout == CNNFILT_LAYOUT_NHWC ? dnnl_nhwc : dnnl_nchw));
  dnnl_pooling_v2_desc_t desc;
  TRY (dnnl_pooling_v2_forward_desc_init (&desc, dnnl_forward_inference, algorithm, &src_md,
                                          &dst_md, s, k, d, pl, pr));
  TRY (onednn_attr_new (&attr));
  TRY (dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL));
  TRY (dnnl_primitive_create (&pool->pool, pd));
  TRY (dnnl_stream_create (&pool->stream, engine, dnnl_stream_default_flags));
  TRY (dnnl_memory_create (&pool->src, &src_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&pool->dst, &dst_md, engine, DNNL_MEMORY_NONE));
  if (in_layout != out_layout)
    {
      dnnl_primitive_desc_t rpd = NULL;
      TRY (dnnl_memory_create (&pool->user_dst, &user_dst_md, engine, DNNL_MEMORY_NONE));
      TRY (dnnl_reorder_primitive_desc_create (&rpd, &dst_md, engine, &user_dst_md, engine, attr));
      status = dnnl_primitive_create (&pool->reorder, rpd);
      dnnl_primitive_desc_destroy (rpd);
      TRY (status);
      pool->dst_bytes = dnnl_memory_desc_get_size (&dst_md);
    }
  dnnl_primitive_desc_destroy (pd);
  dnnl_primitive_attr_destroy (attr);
  return pool;

fail:
  g_debug ("pool: no oneDNN kernel for this shape (status %d)", (int) status);
fail_quiet:
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  onednn_pool_free (pool);
  return NULL;
}

gboolean
onednn_pool_matches (OnednnPool *pool, const CnnfiltShape *in, CnnfiltLayout in_layout,
                     CnnfiltLayout out_layout)
{
  return pool != NULL && cnnfilt_shape_equal (&pool->shape, in) && pool->in_layout == in_layout &&
         pool->out_layout == out_layout;
}

gboolean
onednn_pool_ensure (OnednnPool **pool, dnnl_alg_kind_t algorithm, const CnnfiltShape *in,
                    const CnnfiltWindowPlan *p, CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  if (!onednn_pool_matches (*pool, in, in_layout, out_layout))
    {
      g_clear_pointer (pool, onednn_pool_free);
      const gint kernel[2] = { p->kernel_h, p->kernel_w }, stride[2] = { p->stride_h, p->stride_w };
      const gint dilation[2] = { p->dilation_h, p->dilation_w }, pad[2] = { p->pad_top, p->pad_left };
      *pool = onednn_pool_new (algorithm, in, p->out_h, p->out_w, kernel, stride, dilation, pad,
                               in_layout, out_layout);
    }
  return *pool != NULL;
}

gboolean
onednn_pool_run (OnednnPool *pool, const gfloat *src, gfloat *dst, GError **error)
{
  dnnl_status_t status;
  gpointer out = dst;
  if (pool->reorder != NULL && (out = layer_scratch (1, pool->dst_bytes)) == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "pool: out of memory for %" G_GSIZE_FORMAT " bytes of scratch", pool->dst_bytes);
      return FALSE;
    }
  TRY (dnnl_memory_set_data_handle (pool->src, (void *) src));
  TRY (dnnl_memory_set_data_handle (pool->dst, out));
  dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, pool->src }, { DNNL_ARG_DST, pool->dst } };
  TRY (onednn_execute (pool->pool, pool->stream, 2, args));
  if (pool->reorder != NULL)
    {
      TRY (dnnl_memory_set_data_handle (pool->user_dst, dst));
      dnnl_exec_arg_t moves[] = { { DNNL_ARG_FROM, pool->dst }, { DNNL_ARG_TO, pool->user_dst } };
      TRY (onednn_execute (pool->reorder, pool->stream, 2, moves));
    }
  TRY (dnnl_stream_wait (pool->stream));
  return TRUE;
fail:
  return onednn_error (error, "pool", "run the pooling", status);
}

#undef TRY
