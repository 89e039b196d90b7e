/* leaky-relu.c: Leaky ReLU: x where x >= 0, alpha·x below
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! leaky-relu alpha=0.1' -o out/ in/
 */
#include "layer.h"
#include "../pointwise.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gfloat alpha;
} CnnfiltLeakyRelu;

typedef CnnfiltOpClass CnnfiltLeakyReluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLeakyRelu, cnnfilt_leaky_relu, CNNFILT_TYPE_OP)

static const CnnfiltOpProp leaky_relu_props[] = {
  { "alpha", "Slope for negative inputs", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLeakyRelu, alpha),
    -G_MAXFLOAT, G_MAXFLOAT, 0.01, NULL, { 0 } },
};

POINTWISE_RUN (cnnfilt_leaky_relu_run, CnnfiltLeakyRelu, x >= 0.0f ? x : self->alpha * x)

static void
cnnfilt_leaky_relu_class_init (CnnfiltLeakyReluClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "leaky-relu";
  op_class->example = "conv2d weights=w.npy ! leaky-relu alpha=0.1";
  op_class->description = "Leaky ReLU: x where x >= 0, alpha·x below";
  op_class->onnx_op_type = "LeakyRelu";
  op_class->onnx_attributes = "alpha:alpha";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_same_shape;
  op_class->run = cnnfilt_leaky_relu_run;
  op_class->layouts = layer_layouts_elementwise;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), leaky_relu_props, G_N_ELEMENTS (leaky_relu_props));
}

LAYER_NO_INIT (CnnfiltLeakyRelu, cnnfilt_leaky_relu)
