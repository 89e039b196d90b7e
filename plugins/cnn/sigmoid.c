/* sigmoid.c: Logistic sigmoid: 1 / (1 + exp(-x))
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! sigmoid' -o out/ in/
 */
#include "layer.h"
#include "../pointwise.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltSigmoid;

typedef CnnfiltOpClass CnnfiltSigmoidClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSigmoid, cnnfilt_sigmoid, CNNFILT_TYPE_OP)

POINTWISE_RUN (cnnfilt_sigmoid_run, CnnfiltSigmoid, 1.0f / (1.0f + expf (-x)))

static void
cnnfilt_sigmoid_class_init (CnnfiltSigmoidClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "sigmoid";
  op_class->example = "linear weights=w.npy ! sigmoid";
  op_class->description = "Logistic sigmoid: 1 / (1 + exp(-x))";
  op_class->onnx_op_type = "Sigmoid";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_same_shape;
  op_class->run = cnnfilt_sigmoid_run;
  op_class->layouts = layer_layouts_elementwise;
}

LAYER_NO_INIT (CnnfiltSigmoid, cnnfilt_sigmoid)
