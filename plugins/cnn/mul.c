/* mul.c: elementwise product of two tensors, broadcasting per-channel vectors and scalars
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Used for attention and gating: features × per-channel weights. Each dim of the two inputs must be
 * equal or 1 (numpy broadcasting over n, c, h, w). Graphs build it with
 * cnnfilt_graph_add_node() and two input names. A relu or clip after it is
 * applied as it writes (clamp-min, clamp-max) when a graph is prepared.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gfloat clamp_min, clamp_max;
} CnnfiltMul;
typedef CnnfiltOpClass CnnfiltMulClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltMul, cnnfilt_mul, CNNFILT_TYPE_OP)

static const CnnfiltOpProp mul_props[] = {
  LAYER_CLAMP_PROPS (CnnfiltMul),
};

static void
mul_row (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b, gfloat *out, gsize count)
{
  if (step_a == 1 && step_b == 1)
    for (gsize x = 0; x < count; x++)
      out[x] = a[x] * b[x];
  else
    for (gsize x = 0; x < count; x++)
      out[x] = a[x * step_a] * b[x * step_b];
}

static gboolean
cnnfilt_mul_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                 CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                  GError **error)
{
  CnnfiltMul *self = (CnnfiltMul *) op;
  layer_broadcast_apply (inputs[0], inputs[1], output, mul_row, self->clamp_min, self->clamp_max,
                         ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_mul_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltTensor *a = inputs[0], *b = inputs[1];
  return layer_broadcast_run_cl (op, ctx, a, b, NULL, output, LAYER_BROADCAST_MUL, ((CnnfiltMul *) op)->clamp_min,
                                 ((CnnfiltMul *) op)->clamp_max, error);
}

static CnnfiltOp *
cnnfilt_mul_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltMul *self = (CnnfiltMul *) op;
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

static void
cnnfilt_mul_class_init (CnnfiltMulClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "mul";
  op_class->description = "Elementwise product of two tensors, broadcasting per-channel vectors and scalars";
  op_class->onnx_op_type = "Mul";
  op_class->n_inputs = 2;
  op_class->infer = layer_infer_broadcast;
  op_class->run = cnnfilt_mul_run;
  op_class->run_cl = cnnfilt_mul_run_cl;
  op_class->layouts = layer_layouts_broadcast;
  op_class->fuse = cnnfilt_mul_fuse;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), mul_props, G_N_ELEMENTS (mul_props));
}

LAYER_NO_INIT (CnnfiltMul, cnnfilt_mul)
