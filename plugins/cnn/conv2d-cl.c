/* conv2d-cl.c: conv2d on OpenCL devices (conv2d.cl)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conv2d.h"

struct ConvCl {
  CnnfiltTensor *packed; /* [O/vw][C/groups][kh][kw][vw] */
  guint vw;
};

void
conv_cl_free (ConvCl *cl)
{
  if (cl == NULL)
    return;
  g_clear_object (&cl->packed);
  g_free (cl);
}

/* Output channels per work-item: the widest vector, up to the device's
 * preferred width (at least 4: GPUs that prefer scalars still gain from
 * register tiling), that divides a group's output channels; 0 for none. */
static guint
choose_vw (const CnnfiltRunContext *ctx, guint og)
{
  guint most = MAX (cnnfilt_kernel_get_vector_width (ctx), 4);
  for (guint vw = 16; vw >= 2; vw /= 2)
    if (vw <= most && og % vw == 0)
      return vw;
  return 0;
}

static CnnfiltTensor *
pack_weights (CnnfiltTensor *weights, guint vw, GError **error)
{
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (weights, &s);
  gsize per = (gsize) s.c * s.h * s.w;
  CnnfiltTensor *packed = cnnfilt_tensor_new (s.n / vw, s.c, s.h, s.w * vw, error);
  if (packed == NULL)
    return NULL;
  const gfloat *w = cnnfilt_tensor_get_data (weights, NULL);
  gfloat *out = cnnfilt_tensor_get_data (packed, NULL);
  for (guint ob = 0; ob < s.n / vw; ob++)
    for (gsize k = 0; k < per; k++)
      for (guint l = 0; l < vw; l++)
        out[((gsize) ob * per + k) * vw + l] = w[(gsize) (ob * vw + l) * per + k];
  return packed;
}

gboolean
conv_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, ConvCl **cl, const ConvParams *conv,
             const CnnfiltWindowPlan *p, CnnfiltTensor *in, CnnfiltTensor *residual,
             CnnfiltTensor *out, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/conv2d.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape s, d;
  cnnfilt_tensor_get_shape (in, &s);
  cnnfilt_tensor_get_shape (out, &d);
  guint og = d.c / conv->groups, cg = s.c / conv->groups;
  guint vw = choose_vw (ctx, og);
  if (*cl == NULL)
    *cl = g_new0 (ConvCl, 1);
  if (vw > 1 && ((*cl)->packed == NULL || (*cl)->vw != vw))
    {
      g_clear_object (&(*cl)->packed);
      if (((*cl)->packed = pack_weights (conv->weights, vw, error)) == NULL)
        return FALSE;
      (*cl)->vw = vw;
    }
  /* pixels per work-item: 8 (measured on PoCL against 4, 6, 12 and 16,
   * also for rows of 7), or 4 on rows of 4 or fewer */
  guint pxb = p->out_w > 4 ? 8 : 4;
  g_autofree gchar *options = g_strdup_printf ("-DVW=%u -DPXB=%u -DKH=%d -DKW=%d -DSH=%d -DSW=%d "
                                               "-DDH=%d -DDW=%d", MAX (vw, 1), pxb, p->kernel_h,
                                               p->kernel_w, p->stride_h, p->stride_w,
                                               p->dilation_h, p->dilation_w);
  CnnfiltTensor *w = vw > 1 ? (*cl)->packed : conv->weights;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (in), CNNFILT_KERNEL_IN (w),
    CNNFILT_KERNEL_IN (conv->bias ? conv->bias : w), CNNFILT_KERNEL_IN (residual ? residual : w),
    CNNFILT_KERNEL_OUT (out), CNNFILT_KERNEL_INT (s.c), CNNFILT_KERNEL_INT (s.h),
    CNNFILT_KERNEL_INT (s.w), CNNFILT_KERNEL_INT (d.h), CNNFILT_KERNEL_INT (d.w),
    CNNFILT_KERNEL_INT (d.c), CNNFILT_KERNEL_INT (cg), CNNFILT_KERNEL_INT (og),
    CNNFILT_KERNEL_INT (p->pad_top), CNNFILT_KERNEL_INT (p->pad_left),
    CNNFILT_KERNEL_INT (conv->bias != NULL), CNNFILT_KERNEL_INT (residual != NULL),
    CNNFILT_KERNEL_FLOAT (conv->clamp_min), CNNFILT_KERNEL_FLOAT (conv->clamp_max),
  };
  gsize blocks = (gsize) d.h * ((d.w + pxb - 1) / pxb);
  CnnfiltKernelLaunch launch = { source, options, vw > 1 ? "conv_oc" : "conv_px", 3,
                                 { blocks, vw > 1 ? d.c / vw : d.c, d.n } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}
