/* sub.c: elementwise difference of two tensors, broadcasting per-channel vectors and scalars
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Softmax written out (x − max) and standardisation (x − mean) use it. Each
 * dim of the two inputs must be equal or 1 (numpy broadcasting over n, c,
 * h, w); the first input is the minuend.
 */
#include "layer.h"

#include <math.h>

typedef CnnfiltOp CnnfiltSub;
typedef CnnfiltOpClass CnnfiltSubClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSub, cnnfilt_sub, CNNFILT_TYPE_OP)

static void
sub_row (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b, gfloat *out, gsize count)
{
  if (step_a == 1 && step_b == 1)
    for (gsize x = 0; x < count; x++)
      out[x] = a[x] - b[x];
  else
    for (gsize x = 0; x < count; x++)
      out[x] = a[x * step_a] - b[x * step_b];
}

static gboolean
cnnfilt_sub_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                 guint n_inputs, CnnfiltTensor *output, GError **error)
{
  layer_broadcast_apply (inputs[0], inputs[1], output, sub_row, -INFINITY, INFINITY,
                         ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_sub_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                    guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return layer_broadcast_run_cl (op, ctx, inputs[0], inputs[1], NULL, output, LAYER_BROADCAST_SUB,
                                 -INFINITY, INFINITY, error);
}

static void
cnnfilt_sub_class_init (CnnfiltSubClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 1;
  op_class->name = "sub";
  op_class->description = "Elementwise difference a − b of two tensors, broadcasting "
                          "per-channel vectors and scalars";
  op_class->onnx_op_type = "Sub";
  op_class->n_inputs = 2;
  op_class->infer = layer_infer_broadcast;
  op_class->run = cnnfilt_sub_run;
  op_class->run_cl = cnnfilt_sub_run_cl;
  op_class->layouts = layer_layouts_broadcast;
}

LAYER_NO_INIT (CnnfiltSub, cnnfilt_sub)
