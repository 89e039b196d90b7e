/* conv-transpose-onednn.c: conv-transpose's oneDNN path
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * oneDNN's deconvolution, in the layouts it chooses for the input, output
 * and weights, with reorders from and to our NCHW tensors, the weights
 * reordered once (ONNX's C_in × C_out/groups × kh × kw is its iohw, giohw
 * with groups). Its geometry is a convolution's read backwards: the output
 * is (in − 1)·stride + (kernel − 1)·dilation + 1 − pad_l − pad_r, so our
 * pad_top and pad_bottom (output padding taken off) are its pads; it
 * refuses a negative pad_l or a pad_r of a stride or more below zero, and
 * the caller runs the plain loops then.
 */
#include "conv-transpose.h"

#include <string.h>

struct OnednnConvTranspose {
  CnnfiltShape shape;
  ConvTransposePlan geometry;
  gboolean reorder_src, reorder_dst; /* the tensors are not in the kernel's layout */
  gsize src_bytes, dst_bytes;
  dnnl_stream_t stream;
  dnnl_primitive_t src_reorder, deconv, dst_reorder;
  dnnl_memory_t user_src, src, weights, bias, dst, user_dst;
  gpointer weights_data; /* the packed weights' memory, ours */
};

void
onednn_conv_transpose_free (OnednnConvTranspose *plan)
{
  if (plan == NULL)
    return;
  dnnl_primitive_t prims[] = { plan->src_reorder, plan->deconv, plan->dst_reorder };
  for (guint i = 0; i < G_N_ELEMENTS (prims); i++)
    if (prims[i])
      dnnl_primitive_destroy (prims[i]);
  dnnl_memory_t mems[] = { plan->user_src, plan->src, plan->weights, plan->bias, plan->dst,
                           plan->user_dst };
  for (guint i = 0; i < G_N_ELEMENTS (mems); i++)
    if (mems[i])
      dnnl_memory_destroy (mems[i]);
  if (plan->stream)
    dnnl_stream_destroy (plan->stream);
  cnnfilt_free_large (plan->weights_data);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

/* The weights in the kernel's layout, reordered once from @weights. */
static dnnl_status_t
pack_weights (OnednnConvTranspose *plan, const dnnl_memory_desc_t *user_md,
              const dnnl_memory_desc_t *wei_md, CnnfiltTensor *weights, dnnl_engine_t engine)
{
  dnnl_status_t status;
  dnnl_memory_t user_wei = NULL;
  dnnl_primitive_t reorder = NULL;
  plan->weights_data = cnnfilt_alloc_large (dnnl_memory_desc_get_size (wei_md));
  if (plan->weights_data == NULL)
    return dnnl_out_of_memory;
  TRY (dnnl_memory_create (&plan->weights, wei_md, engine, plan->weights_data));
  TRY (dnnl_memory_create (&user_wei, user_md, engine, cnnfilt_tensor_get_data (weights, NULL)));
  TRY (onednn_reorder_new (engine, user_wei, plan->weights, &reorder));
  TRY (onednn_reorder_run (reorder, plan->stream, user_wei, plan->weights));
  TRY (dnnl_stream_wait (plan->stream));
fail:
  if (reorder)
    dnnl_primitive_destroy (reorder);
  if (user_wei)
    dnnl_memory_destroy (user_wei);
  return status;
}

/* The plan for one input shape; NULL where oneDNN has no kernel for it. */
static OnednnConvTranspose *
onednn_conv_transpose_new (const ConvTransposeParams *cp, const CnnfiltShape *in,
                           const ConvTransposePlan *p)
{
  dnnl_engine_t engine = onednn_engine ();
  if (engine == NULL)
    return NULL;
  dnnl_status_t status;
  OnednnConvTranspose *plan = g_new0 (OnednnConvTranspose, 1);
  plan->shape = *in;
  plan->geometry = *p;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  guint g = cp->groups, og = cnnfilt_tensor_get_c (cp->weights);
  dnnl_dims_t src_dims = { in->n, in->c, in->h, in->w };
  dnnl_dims_t dst_dims = { in->n, og * g, p->out_h, p->out_w };
  dnnl_dims_t strides = { p->stride_h, p->stride_w };
  dnnl_dims_t dilates = { p->dilation_h - 1, p->dilation_w - 1 };
  dnnl_dims_t pad_l = { p->pad_top, p->pad_left }, pad_r = { p->pad_bottom, p->pad_right };
  dnnl_memory_desc_t user_src, src_any, dst_any, user_dst, user_wei, wei_any, bias;
  TRY (dnnl_memory_desc_init_by_tag (&user_src, 4, src_dims, dnnl_f32, dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&src_any, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
  TRY (dnnl_memory_desc_init_by_tag (&user_dst, 4, dst_dims, dnnl_f32, dnnl_nchw));
  TRY (dnnl_memory_desc_init_by_tag (&dst_any, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));
  if (g == 1)
    {
      dnnl_dims_t wd = { og, in->c, p->kernel_h, p->kernel_w };
      TRY (dnnl_memory_desc_init_by_tag (&user_wei, 4, wd, dnnl_f32, dnnl_iohw));
      TRY (dnnl_memory_desc_init_by_tag (&wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    }
  else
    {
      dnnl_dims_t wd = { g, og, in->c / g, p->kernel_h, p->kernel_w };
      TRY (dnnl_memory_desc_init_by_tag (&user_wei, 5, wd, dnnl_f32, dnnl_giohw));
      TRY (dnnl_memory_desc_init_by_tag (&wei_any, 5, wd, dnnl_f32, dnnl_format_tag_any));
    }
  dnnl_dims_t bias_dims = { og * g };
  TRY (dnnl_memory_desc_init_by_tag (&bias, 1, bias_dims, dnnl_f32, dnnl_a));

  dnnl_deconvolution_desc_t desc;
  TRY (onednn_attr_new (&attr));
  TRY (dnnl_dilated_deconvolution_forward_desc_init (
      &desc, dnnl_forward_inference, dnnl_deconvolution_direct, &src_any, &wei_any,
      cp->bias ? &bias : NULL, &dst_any, strides, dilates, pad_l, pad_r));
  TRY (dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL));
  TRY (dnnl_primitive_create (&plan->deconv, pd));
  const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  plan->src_bytes = dnnl_memory_desc_get_size (src_md);
  plan->dst_bytes = dnnl_memory_desc_get_size (dst_md);
  TRY (dnnl_stream_create (&plan->stream, engine, dnnl_stream_default_flags));
  /* the copies in the kernel's layout live in the thread's scratch, set per run */
  TRY (dnnl_memory_create (&plan->user_src, &user_src, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->src, src_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->dst, dst_md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->user_dst, &user_dst, engine, DNNL_MEMORY_NONE));
  plan->reorder_src = !dnnl_memory_desc_equal (&user_src, src_md);
  plan->reorder_dst = !dnnl_memory_desc_equal (&user_dst, dst_md);
  if (plan->reorder_src)
    TRY (onednn_reorder_new (engine, plan->user_src, plan->src, &plan->src_reorder));
  if (plan->reorder_dst)
    TRY (onednn_reorder_new (engine, plan->dst, plan->user_dst, &plan->dst_reorder));
  TRY (pack_weights (plan, &user_wei, wei_md, cp->weights, engine));
  if (cp->bias)
    TRY (dnnl_memory_create (&plan->bias, &bias, engine, cnnfilt_tensor_get_data (cp->bias, NULL)));
  dnnl_primitive_desc_destroy (pd);
  dnnl_primitive_attr_destroy (attr);
  return plan;

fail:
  g_debug ("conv-transpose: no oneDNN kernel for this geometry (status %d); using the plain "
           "loops", (int) status);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  onednn_conv_transpose_free (plan);
  return NULL;
}

gboolean
onednn_conv_transpose_ensure (OnednnConvTranspose **plan, const ConvTransposeParams *params,
                              const CnnfiltShape *in, const ConvTransposePlan *p)
{
  if (*plan == NULL || !cnnfilt_shape_equal (&(*plan)->shape, in) ||
      memcmp (&(*plan)->geometry, p, sizeof *p) != 0)
    {
      g_clear_pointer (plan, onednn_conv_transpose_free);
      *plan = onednn_conv_transpose_new (params, in, p);
    }
  return *plan != NULL;
}

gboolean
onednn_conv_transpose_run (OnednnConvTranspose *plan, const gfloat *src, gfloat *dst,
                           GError **error)
{
  dnnl_status_t status;
  /* the copies in the kernel's layout, where the tensors are not in it */
  gpointer src_copy = plan->reorder_src ? layer_scratch (0, plan->src_bytes) : (gpointer) src;
  gpointer dst_copy = plan->reorder_dst ? layer_scratch (1, plan->dst_bytes) : dst;
  if (src_copy == NULL || dst_copy == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "conv-transpose: out of memory for %" G_GSIZE_FORMAT " bytes of scratch",
                   plan->src_bytes + plan->dst_bytes);
      return FALSE;
    }
  TRY (dnnl_memory_set_data_handle (plan->src, src_copy));
  TRY (dnnl_memory_set_data_handle (plan->dst, dst_copy));
  TRY (dnnl_memory_set_data_handle (plan->user_src, (void *) src));
  TRY (dnnl_memory_set_data_handle (plan->user_dst, dst));
  if (plan->reorder_src)
    TRY (onednn_reorder_run (plan->src_reorder, plan->stream, plan->user_src, plan->src));
  dnnl_exec_arg_t args[] = {
    { DNNL_ARG_SRC, plan->src }, { DNNL_ARG_WEIGHTS, plan->weights },
    { DNNL_ARG_DST, plan->dst }, { DNNL_ARG_BIAS, plan->bias },
  };
  TRY (onednn_execute (plan->deconv, plan->stream, plan->bias ? 4 : 3, args));
  if (plan->reorder_dst)
    TRY (onednn_reorder_run (plan->dst_reorder, plan->stream, plan->dst, plan->user_dst));
  TRY (dnnl_stream_wait (plan->stream));
  return TRUE;
fail:
  return onednn_error (error, "conv-transpose", "run the transposed convolution", status);
}

#undef TRY
