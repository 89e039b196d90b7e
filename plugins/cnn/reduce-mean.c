/* reduce-mean.c: the mean over some dims
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'reduce-mean axes=2,3 keepdims=false' -o out/ in/
 *
 * MNASNet ends with x.mean([2, 3]), exported as ReduceMean over axes 2 and 3
 * without keepdims: the mean of each channel, n×c. With keepdims it is
 * global-avg-pool, and reads channels-last as it does.
 */
#include "reduce.h"

typedef LayerReduce CnnfiltReduceMean;
typedef CnnfiltOpClass CnnfiltReduceMeanClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltReduceMean, cnnfilt_reduce_mean, CNNFILT_TYPE_OP)

static const CnnfiltOpProp reduce_mean_props[] = {
  REDUCE_PROPS,
};

static gboolean
cnnfilt_reduce_mean_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                         guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run (op, REDUCE_MEAN, inputs[0], output, error);
}

static gboolean
cnnfilt_reduce_mean_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return reduce_run_cl (op, ctx, REDUCE_MEAN, inputs[0], output, error);
}

static void
cnnfilt_reduce_mean_class_init (CnnfiltReduceMeanClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "reduce-mean";
  op_class->example = "reduce-mean axes=2,3 keepdims=false";
  op_class->description = "The mean over some dims (axes): over h and w, the mean of each channel";
  op_class->onnx_op_type = "ReduceMean";
  op_class->onnx_attributes = REDUCE_ONNX_ATTRIBUTES;
  op_class->n_inputs = 1;
  op_class->validate = reduce_validate;
  op_class->infer = reduce_infer;
  op_class->layouts = reduce_layouts;
  op_class->flops = reduce_flops;
  op_class->window = reduce_window;
  op_class->run = cnnfilt_reduce_mean_run;
  op_class->run_cl = cnnfilt_reduce_mean_run_cl;
  cnnfilt_op_class_install_properties (op_class, reduce_mean_props, G_N_ELEMENTS (reduce_mean_props));
}

LAYER_NO_INIT (CnnfiltReduceMean, cnnfilt_reduce_mean)
