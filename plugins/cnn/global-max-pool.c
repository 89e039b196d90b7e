/* global-max-pool.c: the largest value of each channel
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! global-max-pool' -o out/ in/
 */
#include "layer.h"

typedef CnnfiltOp CnnfiltGlobalMaxPool;
typedef CnnfiltOpClass CnnfiltGlobalMaxPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGlobalMaxPool, cnnfilt_global_max_pool, CNNFILT_TYPE_OP)

static gboolean
cnnfilt_global_max_pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                             CnnfiltTensor **inputs, guint n_inputs,
                             CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  gsize plane = (gsize) in.h * in.w;
  if (cnnfilt_tensor_get_layout (inputs[0]) == CNNFILT_LAYOUT_NHWC)
    {
      for (guint n = 0; n < in.n; n++)
        {
          const gfloat *x = src + (gsize) n * plane * in.c;
          gfloat *y = dst + (gsize) n * in.c;
          for (guint c = 0; c < in.c; c++)
            y[c] = x[c];
          for (gsize i = 1; i < plane; i++)
            for (guint c = 0; c < in.c; c++)
              y[c] = MAX (y[c], x[i * in.c + c]);
        }
      return TRUE;
    }
  for (gsize p = 0; p < (gsize) in.n * in.c; p++)
    {
      gfloat best = src[p * plane];
      for (gsize i = 1; i < plane; i++)
        best = MAX (best, src[p * plane + i]);
      dst[p] = best;
    }
  return TRUE;
}

static gboolean
cnnfilt_global_max_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs,
                   CnnfiltTensor *output, GError **error)
{
  return layer_global_pool_run_cl (op, ctx, TRUE, inputs[0], output, error);
}

static void
cnnfilt_global_max_pool_class_init (CnnfiltGlobalMaxPoolClass *klass)
{
  CNNFILT_OP_CLASS (klass)->window = layer_window_global;
  CNNFILT_OP_CLASS (klass)->flops = layer_global_pool_flops;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "global-max-pool";
  op_class->example = "conv2d weights=w.npy ! global-max-pool";
  op_class->description = "The largest value of each channel: n×c×h×w to n×c×1×1";
  op_class->onnx_op_type = "GlobalMaxPool";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_global_pool;
  op_class->run = cnnfilt_global_max_pool_run;
  op_class->run_cl = cnnfilt_global_max_pool_run_cl;
  op_class->layouts = layer_layouts_reads_any;
}

LAYER_NO_INIT (CnnfiltGlobalMaxPool, cnnfilt_global_max_pool)
