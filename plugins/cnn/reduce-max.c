/* reduce-max.c: the largest value over some dims
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'reduce-max axes=1' -o out/ in/
 *
 * A NaN in a block gives NaN, as numpy's max does.
 */
#include "reduce.h"

typedef LayerReduce CnnfiltReduceMax;
typedef CnnfiltOpClass CnnfiltReduceMaxClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltReduceMax, cnnfilt_reduce_max, CNNFILT_TYPE_OP)

static const CnnfiltOpProp reduce_max_props[] = {
  REDUCE_PROPS,
};

static gboolean
cnnfilt_reduce_max_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                        guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run (op, REDUCE_MAX, inputs[0], output, error);
}

static gboolean
cnnfilt_reduce_max_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                           guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run_cl (op, ctx, REDUCE_MAX, inputs[0], output, error);
}

static void
cnnfilt_reduce_max_class_init (CnnfiltReduceMaxClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "reduce-max";
  op_class->example = "reduce-max axes=1";
  op_class->description = "The largest value over some dims (axes); NaN where one is NaN";
  op_class->onnx_op_type = "ReduceMax";
  op_class->onnx_attributes = REDUCE_ONNX_ATTRIBUTES;
  op_class->n_inputs = 1;
  op_class->validate = reduce_validate;
  op_class->infer = reduce_infer;
  op_class->layouts = reduce_layouts;
  op_class->flops = reduce_flops;
  op_class->window = reduce_window;
  op_class->run = cnnfilt_reduce_max_run;
  op_class->run_cl = cnnfilt_reduce_max_run_cl;
  cnnfilt_op_class_install_properties (op_class, reduce_max_props, G_N_ELEMENTS (reduce_max_props));
}

LAYER_NO_INIT (CnnfiltReduceMax, cnnfilt_reduce_max)
