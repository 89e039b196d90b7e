/* reduce-sum.c: the sum over some dims
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'softmax ! reduce-sum axes=1' -o out/ in/
 *
 * From opset 13 ONNX gives the axes as a second input (a constant here),
 * and an empty list with noop_with_empty_axes copies the input.
 */
#include "reduce.h"

typedef LayerReduce CnnfiltReduceSum;
typedef CnnfiltOpClass CnnfiltReduceSumClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltReduceSum, cnnfilt_reduce_sum, CNNFILT_TYPE_OP)

static const CnnfiltOpProp reduce_sum_props[] = {
  REDUCE_PROPS,
};

static gboolean
cnnfilt_reduce_sum_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                        guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run (op, REDUCE_SUM, inputs[0], output, error);
}

static gboolean
cnnfilt_reduce_sum_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                           guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run_cl (op, ctx, REDUCE_SUM, inputs[0], output, error);
}

static void
cnnfilt_reduce_sum_class_init (CnnfiltReduceSumClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "reduce-sum";
  op_class->example = "softmax ! reduce-sum axes=1";
  op_class->description = "The sum over some dims (axes)";
  op_class->onnx_op_type = "ReduceSum";
  op_class->onnx_inputs = "- axes";
  op_class->onnx_attributes = REDUCE_ONNX_ATTRIBUTES " noop_with_empty_axes@13-:noop-with-empty-axes";
  op_class->n_inputs = 1;
  op_class->validate = reduce_validate;
  op_class->infer = reduce_infer;
  op_class->layouts = reduce_layouts;
  op_class->flops = reduce_flops;
  op_class->window = reduce_window;
  op_class->run = cnnfilt_reduce_sum_run;
  op_class->run_cl = cnnfilt_reduce_sum_run_cl;
  cnnfilt_op_class_install_properties (op_class, reduce_sum_props, G_N_ELEMENTS (reduce_sum_props));
}

LAYER_NO_INIT (CnnfiltReduceSum, cnnfilt_reduce_sum)
