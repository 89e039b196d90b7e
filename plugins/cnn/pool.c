/* pool.c: what max-pool and avg-pool share: the window, the fast paths
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pool.h"

/* oneDNN's kernel for @in and the layouts, made or kept; FALSE where the
 * op asked for its loops or oneDNN has no kernel. */
static gboolean
pool_ensure_onednn (LayerPool *self, dnnl_alg_kind_t algorithm, const CnnfiltShape *in,
                    const CnnfiltWindowPlan *p, CnnfiltLayout in_layout, CnnfiltLayout out_layout)
{
  return self->algorithm == LAYER_ALGORITHM_AUTO && algorithm != dnnl_alg_kind_undef &&
         onednn_pool_ensure (&self->onednn, algorithm, in, p, in_layout, out_layout);
}

CnnfiltLayoutSupport
pool_layouts (CnnfiltOp *op, dnnl_alg_kind_t algorithm, const CnnfiltShape *inputs)
{
  LayerPool *self = (LayerPool *) op;
  CnnfiltWindowPlan p;
  if (!cnnfilt_area_op_plan (&self->parent_instance, inputs[0].h, inputs[0].w, &p, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  if (self->algorithm == LAYER_ALGORITHM_AUTO && cnnfilt_window_plan_is_identity (&p))
    return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE; /* a copy, in either layout */
  if (pool_ensure_onednn (self, algorithm, &inputs[0], &p, CNNFILT_LAYOUT_NHWC, CNNFILT_LAYOUT_NHWC))
    return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
  return CNNFILT_LAYOUT_SUPPORT_NCHW;
}

gboolean
pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, dnnl_alg_kind_t algorithm,
          CnnfiltTensor **inputs, CnnfiltTensor *output, PoolLoops loops, GError **error)
{
  LayerPool *self = (LayerPool *) op;
  onednn_set_threads (ctx);
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!cnnfilt_area_op_plan (&self->parent_instance, in.h, in.w, &p, error))
    return FALSE;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  CnnfiltLayout in_layout = cnnfilt_tensor_get_layout (inputs[0]);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  if (self->algorithm == LAYER_ALGORITHM_AUTO && cnnfilt_window_plan_is_identity (&p) && in_layout == out_layout)
    return layer_run_copy (op, ctx, inputs, 1, output, error);
  if (pool_ensure_onednn (self, algorithm, &in, &p, in_layout, out_layout))
    return onednn_pool_run (self->onednn, src, dst, error);
  if (in_layout != CNNFILT_LAYOUT_NCHW || out_layout != CNNFILT_LAYOUT_NCHW)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "%s: this path takes NCHW tensors only", cnnfilt_op_get_name (op));
      return FALSE;
    }
  loops (self, src, dst, &in, &p);
  return TRUE;
}

/* a new kernel, stride or padding needs a new plan */
void
pool_changed (CnnfiltOp *layer)
{
  g_clear_pointer (&((LayerPool *) layer)->onednn, onednn_pool_free);
}

/* kernel-h × kernel-w reads (comparisons or additions) per output value */
guint64
pool_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs, const CnnfiltShape *output)
{
  const CnnfiltWindow *w = &((CnnfiltAreaOp *) op)->window;
  return cnnfilt_shape_get_size (output) * (guint64) w->kernel_h * (guint64) w->kernel_w;
}

gboolean
pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gboolean max, gboolean count_include_pad,
             CnnfiltTensor **inputs, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/pool.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!cnnfilt_area_op_plan (CNNFILT_AREA_OP (op), in.h, in.w, &p, error))
    return FALSE;
  CnnfiltKernelLaunch launch = { source, NULL, max ? "max_pool" : "avg_pool", 3,
                                 { p.out_w, p.out_h, (gsize) in.n * in.c } };
  if (max)
    {
      const CnnfiltKernelArg args[] = {
        CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.h),
        CNNFILT_KERNEL_INT (in.w), CNNFILT_KERNEL_INT (p.out_h), CNNFILT_KERNEL_INT (p.out_w),
        CNNFILT_KERNEL_INT (p.kernel_h), CNNFILT_KERNEL_INT (p.kernel_w),
        CNNFILT_KERNEL_INT (p.stride_h), CNNFILT_KERNEL_INT (p.stride_w),
        CNNFILT_KERNEL_INT (p.dilation_h), CNNFILT_KERNEL_INT (p.dilation_w),
        CNNFILT_KERNEL_INT (p.pad_top), CNNFILT_KERNEL_INT (p.pad_left),
      };
      return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.h),
    CNNFILT_KERNEL_INT (in.w), CNNFILT_KERNEL_INT (p.out_h), CNNFILT_KERNEL_INT (p.out_w),
    CNNFILT_KERNEL_INT (p.kernel_h), CNNFILT_KERNEL_INT (p.kernel_w),
    CNNFILT_KERNEL_INT (p.stride_h), CNNFILT_KERNEL_INT (p.stride_w),
    CNNFILT_KERNEL_INT (p.pad_top), CNNFILT_KERNEL_INT (p.pad_left),
    CNNFILT_KERNEL_INT (p.pad_bottom), CNNFILT_KERNEL_INT (p.pad_right),
    CNNFILT_KERNEL_INT (count_include_pad),
  };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}
