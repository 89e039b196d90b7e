/* global-avg-pool.c: the mean of each channel
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! global-avg-pool' -o out/ in/
 */
#include "layer.h"

typedef CnnfiltOp CnnfiltGlobalAvgPool;
typedef CnnfiltOpClass CnnfiltGlobalAvgPoolClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGlobalAvgPool, cnnfilt_global_avg_pool, CNNFILT_TYPE_OP)

/* Channels last, the pixels of an image are rows of @stride values, of
 * which channels [c0, c0 + n) are summed here. Each block of ROWS pixels is
 * summed in float, a vector across channels, and the blocks are added in
 * double, so that a 1000×1000 image keeps its digits: the float sums add
 * at most ROWS values. */
#define ROWS 64
#define CHANNELS 64

__attribute__ ((target_clones ("avx2", "default"))) static void
sum_rows (const gfloat *restrict x, gsize n_rows, gsize stride, guint n,
          gdouble *restrict sums)
{
  gfloat block[CHANNELS];
  for (guint c = 0; c < n; c++)
    sums[c] = 0;
  for (gsize r0 = 0; r0 < n_rows; r0 += ROWS)
    {
      for (guint c = 0; c < n; c++)
        block[c] = 0;
      for (gsize r = r0; r < MIN (r0 + ROWS, n_rows); r++)
        for (guint c = 0; c < n; c++)
          block[c] += x[r * stride + c];
      for (guint c = 0; c < n; c++)
        sums[c] += block[c];
    }
}

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
      /* a task per image and block of CHANNELS channels, on threads when
       * there is enough to read */
      const gsize blocks = (in.c + CHANNELS - 1) / CHANNELS, tasks = in.n * blocks;
      const gboolean parallel = ctx->n_threads > 1 && tasks > 1 && plane * in.c * in.n >= 1u << 16;
#pragma omp parallel for num_threads (ctx->n_threads) if (parallel) schedule (static)
      for (gsize t = 0; t < tasks; t++)
        {
          const gsize n = t / blocks, c0 = t % blocks * CHANNELS;
          const guint width = MIN (CHANNELS, in.c - c0);
          gdouble sums[CHANNELS];
          sum_rows (src + n * plane * in.c + c0, plane, in.c, width, sums);
          for (guint c = 0; c < width; c++)
            dst[n * in.c + c0 + c] = (gfloat) (sums[c] / plane);
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
