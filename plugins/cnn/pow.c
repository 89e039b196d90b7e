/* pow.c: elementwise power of two tensors, broadcasting per-channel vectors and scalars
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Mostly x^2 of a variance written out (LayerNormalization before opset
 * 17): the exponent is a constant of one value, which broadcasts. Each dim
 * of the two inputs must be equal or 1. A negative base with a whole
 * exponent is defined ((−2)^3 = −8), with any other exponent NaN, as C's
 * pow and numpy's say.
 */
#include "layer.h"

#include <math.h>

typedef CnnfiltOp CnnfiltPow;
typedef CnnfiltOpClass CnnfiltPowClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltPow, cnnfilt_pow, CNNFILT_TYPE_OP)

static void
pow_row (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b, gfloat *out, gsize count)
{
  if (step_a == 1 && step_b == 1)
    for (gsize x = 0; x < count; x++)
      out[x] = powf (a[x], b[x]);
  else
    for (gsize x = 0; x < count; x++)
      out[x] = powf (a[x * step_a], b[x * step_b]);
}

static gboolean
cnnfilt_pow_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                 guint n_inputs, CnnfiltTensor *output, GError **error)
{
  layer_broadcast_apply (inputs[0], inputs[1], output, pow_row, -INFINITY, INFINITY,
                         ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_pow_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                    guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return layer_broadcast_run_cl (op, ctx, inputs[0], inputs[1], NULL, output, LAYER_BROADCAST_POW,
                                 -INFINITY, INFINITY, error);
}

static void
cnnfilt_pow_class_init (CnnfiltPowClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 1;
  op_class->name = "pow";
  op_class->description = "Elementwise power a^b of two tensors, broadcasting per-channel "
                          "vectors and scalars (an exponent of one value)";
  op_class->onnx_op_type = "Pow";
  op_class->n_inputs = 2;
  op_class->infer = layer_infer_broadcast;
  op_class->run = cnnfilt_pow_run;
  op_class->run_cl = cnnfilt_pow_run_cl;
  op_class->layouts = layer_layouts_broadcast;
}

LAYER_NO_INIT (CnnfiltPow, cnnfilt_pow)
