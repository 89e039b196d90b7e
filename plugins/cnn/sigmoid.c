/* sigmoid.c: Logistic sigmoid: 1 / (1 + exp(-x))
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! sigmoid' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltSigmoid;

typedef CnnfiltPointOpClass CnnfiltSigmoidClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSigmoid, cnnfilt_sigmoid, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_sigmoid_run, CnnfiltSigmoid, 1.0f / (1.0f + expf (-x)))

LAYER_ELTWISE_FUNC (cnnfilt_sigmoid_eltwise, dnnl_eltwise_logistic, 0.0f, 0.0f)

static void
cnnfilt_sigmoid_class_init (CnnfiltSigmoidClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "sigmoid";
  op_class->example = "linear weights=w.npy ! sigmoid";
  op_class->description = "Logistic sigmoid: 1 / (1 + exp(-x))";
  op_class->onnx_op_type = "Sigmoid";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_sigmoid_run);
  layer_point_op_set_eltwise (klass, cnnfilt_sigmoid_eltwise);
}

LAYER_NO_INIT (CnnfiltSigmoid, cnnfilt_sigmoid)
