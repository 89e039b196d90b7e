/* avg-pool.c: the mean of each window
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'avg-pool kernel=3 stride=1 padding=1' -o out/ in/
 *
 * The divisor is the number of input positions in the window, or with
 * count-include-pad the window size clipped to the padded input (so a
 * ceil-mode window that overhangs the padding is not divided by cells that
 * are neither input nor padding), as in PyTorch and ONNX.
 */
#include "pool.h"

typedef struct {
  LayerPool pool;
  gboolean count_include_pad;
} CnnfiltAvgPool;

typedef CnnfiltAreaOpClass CnnfiltAvgPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltAvgPool, cnnfilt_avg_pool, CNNFILT_TYPE_AREA_OP)

static const CnnfiltOpProp avg_pool_props[] = {
  CNNFILT_AREA_OP_KERNEL_PROPS (2),
  CNNFILT_AREA_OP_STRIDE_PROPS (0, " (0: the kernel size)"),
  LAYER_ALGORITHM_PROP (LayerPool),
  { "count-include-pad", "Divide by the window size including padded cells, not only the "
    "input cells", CNNFILT_OP_PROP_BOOLEAN, CNNFILT_OP_PROP_FIELD (CnnfiltAvgPool, count_include_pad), 0, 1, 0, NULL,
    { 0 } },
};

/* oneDNN's algorithm where it computes the same as the loops (its
 * include-padding count spans the ceil-mode overhang, PyTorch's stops at
 * the padding) */
static dnnl_alg_kind_t
avg_pool_onednn (CnnfiltAvgPool *self)
{
  if (!self->count_include_pad)
    return dnnl_pooling_avg_exclude_padding;
  return self->pool.parent_instance.window.ceil_mode ? dnnl_alg_kind_undef : dnnl_pooling_avg_include_padding;
}

static CnnfiltLayoutSupport
cnnfilt_avg_pool_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return pool_layouts (op, avg_pool_onednn ((CnnfiltAvgPool *) op), inputs);
}

static void
avg_pool_loops (LayerPool *pool, const gfloat *src, gfloat *dst, const CnnfiltShape *shape,
                const CnnfiltWindowPlan *plan)
{
  const CnnfiltAvgPool *self = (const CnnfiltAvgPool *) pool;
  const CnnfiltShape in = *shape;
  const CnnfiltWindowPlan p = *plan;
  gsize planes = (gsize) in.n * in.c;
  gint padded_h = in.h + p.pad_bottom, padded_w = in.w + p.pad_right;
  for (gsize pl = 0; pl < planes; pl++)
    {
      const gfloat *plane = src + pl * in.h * in.w;
      gfloat *out = dst + pl * p.out_h * p.out_w;
      for (guint y = 0; y < p.out_h; y++)
        {
          gint y0 = (gint) y * p.stride_h - p.pad_top, y1 = MIN (y0 + p.kernel_h, padded_h);
          gint iy0 = MAX (y0, 0), iy1 = MIN (y1, (gint) in.h);
          for (guint x = 0; x < p.out_w; x++)
            {
              gint x0 = (gint) x * p.stride_w - p.pad_left, x1 = MIN (x0 + p.kernel_w, padded_w);
              gint ix0 = MAX (x0, 0), ix1 = MIN (x1, (gint) in.w);
              gfloat sum = 0.0f;
              for (gint iy = iy0; iy < iy1; iy++)
                for (gint ix = ix0; ix < ix1; ix++)
                  sum += plane[iy * in.w + ix];
              gint count = self->count_include_pad ? (y1 - y0) * (x1 - x0)
                                                   : (iy1 - iy0) * (ix1 - ix0);
              out[y * p.out_w + x] = count > 0 ? sum / count : 0.0f;
            }
        }
    }
}

static gboolean
cnnfilt_avg_pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                      CnnfiltTensor **inputs, guint n_inputs,
                      CnnfiltTensor *output, GError **error)
{
  return pool_run (op, ctx, avg_pool_onednn ((CnnfiltAvgPool *) op), inputs, output, avg_pool_loops,
                   error);
}

static gboolean
cnnfilt_avg_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error)
{
  return pool_run_cl (op, ctx, FALSE, ((CnnfiltAvgPool *) op)->count_include_pad, inputs, output,
                      error);
}

static void
cnnfilt_avg_pool_finalize (GObject *object)
{
  pool_changed ((CnnfiltOp *) object);
  G_OBJECT_CLASS (cnnfilt_avg_pool_parent_class)->finalize (object);
}

static void
cnnfilt_avg_pool_class_init (CnnfiltAvgPoolClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops = pool_flops;
  CNNFILT_OP_CLASS (klass)->changed = pool_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_avg_pool_finalize;
  op_class->name = "avg-pool";
  op_class->example = "avg-pool kernel=3 stride=1 padding=1";
  op_class->description = "Average pooling: the mean of each kernel-h×kernel-w window";
  op_class->onnx_op_type = "AveragePool";
  op_class->onnx_attributes = CNNFILT_AREA_OP_ONNX_ATTRIBUTES
      " kernel_shape:kernel-h,kernel-w ceil_mode:ceil-mode count_include_pad:count-include-pad";
  op_class->run = cnnfilt_avg_pool_run;
  op_class->run_cl = cnnfilt_avg_pool_run_cl;
  op_class->layouts = cnnfilt_avg_pool_layouts;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), avg_pool_props, G_N_ELEMENTS (avg_pool_props));
}

static void
cnnfilt_avg_pool_class_finalize (CnnfiltAvgPoolClass *klass)
{
}

static void
cnnfilt_avg_pool_init (CnnfiltAvgPool *self)
{
}
