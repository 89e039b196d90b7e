/* relu.c: Rectified linear unit: max(x, 0)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! relu' -o out/ in/
 */
#include "layer.h"
#include "../pointwise.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltRelu;

typedef CnnfiltOpClass CnnfiltReluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltRelu, cnnfilt_relu, CNNFILT_TYPE_OP)

POINTWISE_RUN (cnnfilt_relu_run, CnnfiltRelu, x > 0.0f ? x : 0.0f)

static void
cnnfilt_relu_class_init (CnnfiltReluClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "relu";
  op_class->example = "conv2d weights=w.npy ! relu";
  op_class->description = "Rectified linear unit: max(x, 0)";
  op_class->onnx_op_type = "Relu";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_same_shape;
  op_class->run = cnnfilt_relu_run;
  op_class->layouts = layer_layouts_elementwise;
}

LAYER_NO_INIT (CnnfiltRelu, cnnfilt_relu)
