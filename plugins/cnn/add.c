/* add.c: elementwise sum of two tensors, broadcasting per-channel vectors and scalars
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Used for residual blocks: block output + shortcut. Each dim of the two inputs must be
 * equal or 1 (numpy broadcasting over n, c, h, w). Graphs build it with
 * cnnfilt_graph_add_node() and two input names. A relu or clip after it is
 * applied as it writes (clamp-min, clamp-max) when a graph is prepared.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gfloat clamp_min, clamp_max;
} CnnfiltAdd;
typedef CnnfiltOpClass CnnfiltAddClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltAdd, cnnfilt_add, CNNFILT_TYPE_OP)

static const CnnfiltOpProp add_props[] = {
  LAYER_CLAMP_PROPS (CnnfiltAdd),
};

static void
add_row (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b, gfloat *out, gsize count)
{
  if (step_a == 1 && step_b == 1)
    for (gsize x = 0; x < count; x++)
      out[x] = a[x] + b[x];
  else
    for (gsize x = 0; x < count; x++)
      out[x] = a[x * step_a] + b[x * step_b];
}

static gboolean
cnnfilt_add_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                 CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                  GError **error)
{
  CnnfiltAdd *self = (CnnfiltAdd *) op;
  layer_broadcast_apply (inputs[0], inputs[1], output, add_row, self->clamp_min, self->clamp_max,
                         ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_add_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltTensor *a = inputs[0], *b = inputs[1];
  return layer_broadcast_run_cl (op, ctx, a, b, NULL, output, LAYER_BROADCAST_ADD, ((CnnfiltAdd *) op)->clamp_min,
                                 ((CnnfiltAdd *) op)->clamp_max, error);
}

static CnnfiltOp *
cnnfilt_add_fuse (CnnfiltOp *op, CnnfiltOp *next)
{
  CnnfiltAdd *self = (CnnfiltAdd *) op;
  return layer_fuse_clamp (op, self->clamp_min, self->clamp_max, next);
}

static void
cnnfilt_add_class_init (CnnfiltAddClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "add";
  op_class->description = "Elementwise sum of two tensors, broadcasting per-channel vectors and scalars";
  op_class->onnx_op_type = "Add";
  op_class->n_inputs = 2;
  op_class->infer = layer_infer_broadcast;
  op_class->run = cnnfilt_add_run;
  op_class->run_cl = cnnfilt_add_run_cl;
  op_class->layouts = layer_layouts_broadcast;
  op_class->fuse = cnnfilt_add_fuse;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), add_props, G_N_ELEMENTS (add_props));
}

LAYER_NO_INIT (CnnfiltAdd, cnnfilt_add)
