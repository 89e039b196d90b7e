/* relu.c: Rectified linear unit: max(x, 0)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! relu' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltRelu;

typedef CnnfiltPointOpClass CnnfiltReluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltRelu, cnnfilt_relu, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_relu_run, CnnfiltRelu, x > 0.0f ? x : 0.0f)

static void
cnnfilt_relu_class_init (CnnfiltReluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "relu";
  op_class->example = "conv2d weights=w.npy ! relu";
  op_class->description = "Rectified linear unit: max(x, 0)";
  op_class->onnx_op_type = "Relu";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_relu_run);
}

LAYER_NO_INIT (CnnfiltRelu, cnnfilt_relu)
