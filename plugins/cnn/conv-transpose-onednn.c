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
  OnednnIo io;
  dnnl_primitive_t deconv;
  OnednnPacked *weights;
  dnnl_memory_t bias;
};

void
onednn_conv_transpose_free (OnednnConvTranspose *plan)
{
  if (plan == NULL)
    return;
  onednn_io_clear (&plan->io);
  if (plan->deconv)
    dnnl_primitive_destroy (plan->deconv);
  if (plan->bias)
    dnnl_memory_destroy (plan->bias);
  onednn_packed_unref (plan->weights);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

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
  TRY (onednn_io_init (&plan->io, engine, &user_src, src_md, dst_md, &user_dst));
  TRY (onednn_pack_weights (engine, plan->io.stream, &user_wei, wei_md, cp->weights,
                            &plan->weights));
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
  if (!onednn_io_begin (&plan->io, src, dst, "conv-transpose", error))
    return FALSE;
  dnnl_exec_arg_t args[] = {
    { DNNL_ARG_SRC, plan->io.src }, { DNNL_ARG_WEIGHTS, plan->weights->memory },
    { DNNL_ARG_DST, plan->io.dst }, { DNNL_ARG_BIAS, plan->bias },
  };
  dnnl_status_t status = onednn_execute (plan->deconv, plan->io.stream, plan->bias ? 4 : 3, args);
  if (status != dnnl_success)
    return onednn_error (error, "conv-transpose", "run the transposed convolution", status);
  return onednn_io_end (&plan->io, "conv-transpose", error);
}

#undef TRY
