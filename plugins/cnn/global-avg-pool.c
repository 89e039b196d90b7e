/* global-avg-pool.c: the mean of each channel
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! global-avg-pool' -o out/ in/
 */
#include "layer.h"

typedef CnnfiltOp CnnfiltGlobalAvgPool;
typedef CnnfiltOpClass CnnfiltGlobalAvgPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGlobalAvgPool, cnnfilt_global_avg_pool, CNNFILT_TYPE_OP)

static gboolean
cnnfilt_global_avg_pool_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
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
      /* channels last: sum each image's pixels as rows of c values */
      for (guint n = 0; n < in.n; n++)
        {
          g_autofree gdouble *sums = g_new0 (gdouble, in.c);
          const gfloat *x = src + (gsize) n * plane * in.c;
          for (gsize i = 0; i < plane; i++)
            for (guint c = 0; c < in.c; c++)
              sums[c] += x[i * in.c + c];
          for (guint c = 0; c < in.c; c++)
            dst[(gsize) n * in.c + c] = (gfloat) (sums[c] / plane);
        }
      return TRUE;
    }
  for (gsize p = 0; p < (gsize) in.n * in.c; p++)
    {
      /* in double: a 1000×1000 plane summed in float loses digits */
      gdouble sum = 0;
      for (gsize i = 0; i < plane; i++)
        sum += src[p * plane + i];
      dst[p] = (gfloat) (sum / plane);
    }
  return TRUE;
}

static gboolean
cnnfilt_global_avg_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs,
                   CnnfiltTensor *output, GError **error)
{
  return layer_global_pool_run_cl (op, ctx, FALSE, inputs[0], output, error);
}

static void
cnnfilt_global_avg_pool_class_init (CnnfiltGlobalAvgPoolClass *klass)
{
  CNNFILT_OP_CLASS (klass)->window = layer_window_global;
  CNNFILT_OP_CLASS (klass)->flops = layer_global_pool_flops;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "global-avg-pool";
  op_class->example = "conv2d weights=w.npy ! global-avg-pool";
  op_class->description = "The mean of each channel: n×c×h×w to n×c×1×1";
  op_class->onnx_op_type = "GlobalAveragePool";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_global_pool;
  op_class->run = cnnfilt_global_avg_pool_run;
  op_class->run_cl = cnnfilt_global_avg_pool_run_cl;
  op_class->layouts = layer_layouts_reads_any;
}

LAYER_NO_INIT (CnnfiltGlobalAvgPool, cnnfilt_global_avg_pool)
