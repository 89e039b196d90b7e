/* leaky-relu.c: Leaky ReLU: x where x >= 0, alpha·x below
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! leaky-relu alpha=0.1' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat alpha;
} CnnfiltLeakyRelu;

typedef CnnfiltPointOpClass CnnfiltLeakyReluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLeakyRelu, cnnfilt_leaky_relu, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp leaky_relu_props[] = {
  { "alpha", "Slope for negative inputs", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltLeakyRelu, alpha),
    -G_MAXFLOAT, G_MAXFLOAT, 0.01, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_leaky_relu_run, CnnfiltLeakyRelu, x >= 0.0f ? x : self->alpha * x)

static void
cnnfilt_leaky_relu_class_init (CnnfiltLeakyReluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "leaky-relu";
  op_class->example = "conv2d weights=w.npy ! leaky-relu alpha=0.1";
  op_class->description = "Leaky ReLU: x where x >= 0, alpha·x below";
  op_class->onnx_op_type = "LeakyRelu";
  op_class->onnx_attributes = "alpha:alpha";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_leaky_relu_run);
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), leaky_relu_props, G_N_ELEMENTS (leaky_relu_props));
}

LAYER_NO_INIT (CnnfiltLeakyRelu, cnnfilt_leaky_relu)
