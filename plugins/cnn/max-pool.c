/* max-pool.c: the largest value of each window
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! relu ! max-pool kernel=2' -o out/ in/
 *
 * Padding never wins: padded positions are skipped, as in PyTorch and ONNX.
 */
#include "pool.h"

#include <math.h>

typedef struct {
  LayerPool pool;
} CnnfiltMaxPool;

typedef CnnfiltAreaOpClass CnnfiltMaxPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltMaxPool, cnnfilt_max_pool, CNNFILT_TYPE_AREA_OP)

static const CnnfiltOpProp max_pool_props[] = {
  CNNFILT_AREA_OP_KERNEL_PROPS (2),
  CNNFILT_AREA_OP_STRIDE_PROPS (0, " (0: the kernel size)"),
  LAYER_ALGORITHM_PROP (LayerPool),
  CNNFILT_AREA_OP_DILATION_PROPS,
};

static CnnfiltLayoutSupport
cnnfilt_max_pool_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return pool_layouts (op, dnnl_pooling_max, inputs);
}

static void
max_pool_loops (LayerPool *pool, const gfloat *src, gfloat *dst, const CnnfiltShape *shape,
                const CnnfiltWindowPlan *plan)
{
  const CnnfiltShape in = *shape;
  const CnnfiltWindowPlan p = *plan;
  gsize planes = (gsize) in.n * in.c;
  for (gsize pl = 0; pl < planes; pl++)
    {
      const gfloat *plane = src + pl * in.h * in.w;
      gfloat *out = dst + pl * p.out_h * p.out_w;
      for (guint y = 0; y < p.out_h; y++)
        for (guint x = 0; x < p.out_w; x++)
          {
            gfloat best = -INFINITY;
            for (gint i = 0; i < p.kernel_h; i++)
              {
                gint iy = (gint) y * p.stride_h - p.pad_top + i * p.dilation_h;
                if (iy < 0 || iy >= (gint) in.h)
                  continue;
                for (gint j = 0; j < p.kernel_w; j++)
                  {
                    gint ix = (gint) x * p.stride_w - p.pad_left + j * p.dilation_w;
                    if (ix >= 0 && ix < (gint) in.w && plane[iy * in.w + ix] > best)
                      best = plane[iy * in.w + ix];
                  }
              }
            out[y * p.out_w + x] = best;
          }
    }
}

static gboolean
cnnfilt_max_pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                      CnnfiltTensor **inputs, guint n_inputs,
                      CnnfiltTensor *output, GError **error)
{
  return pool_run (op, ctx, dnnl_pooling_max, inputs, output, max_pool_loops, error);
}

static gboolean
cnnfilt_max_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error)
{
  return pool_run_cl (op, ctx, TRUE, FALSE, inputs, output, error);
}

static void
cnnfilt_max_pool_finalize (GObject *object)
{
  pool_changed ((CnnfiltOp *) object);
  G_OBJECT_CLASS (cnnfilt_max_pool_parent_class)->finalize (object);
}

static void
cnnfilt_max_pool_class_init (CnnfiltMaxPoolClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops = pool_flops;
  CNNFILT_OP_CLASS (klass)->changed = pool_changed;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_max_pool_finalize;
  op_class->name = "max-pool";
  op_class->example = "conv2d weights=w.npy ! relu ! max-pool kernel=2";
  op_class->description = "Max pooling: the largest value of each kernel-h×kernel-w window";
  op_class->onnx_op_type = "MaxPool";
  op_class->onnx_attributes = CNNFILT_AREA_OP_ONNX_ATTRIBUTES
      " kernel_shape:kernel-h,kernel-w dilations:dilation-h,dilation-w ceil_mode:ceil-mode"
      " storage_order:0";
  op_class->run = cnnfilt_max_pool_run;
  op_class->run_cl = cnnfilt_max_pool_run_cl;
  op_class->layouts = cnnfilt_max_pool_layouts;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), max_pool_props, G_N_ELEMENTS (max_pool_props));
}

static void
cnnfilt_max_pool_class_finalize (CnnfiltMaxPoolClass *klass)
{
}

static void
cnnfilt_max_pool_init (CnnfiltMaxPool *self)
{
}
