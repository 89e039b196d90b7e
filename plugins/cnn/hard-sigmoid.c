/* hard-sigmoid.c: Hard sigmoid: max(0, min(1, alpha·x + beta))
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! hard-sigmoid alpha=0.1666667' -o out/ in/
 *
 * The gate of MobileNetV3's squeeze-and-excitation blocks, and half of
 * its hard-swish where a model is exported before opset 14
 * (x · HardSigmoid(x) with alpha 1/6).
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat alpha;
  gfloat beta;
} CnnfiltHardSigmoid;

typedef CnnfiltPointOpClass CnnfiltHardSigmoidClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltHardSigmoid, cnnfilt_hard_sigmoid, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp hard_sigmoid_props[] = {
  { "alpha", "Slope of the linear part (PyTorch's hardsigmoid: 1/6)", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltHardSigmoid, alpha), -G_MAXFLOAT, G_MAXFLOAT, 0.2, NULL, { 0 } },
  { "beta", "Value at x = 0", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltHardSigmoid, beta), -G_MAXFLOAT, G_MAXFLOAT, 0.5, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_hard_sigmoid_run, CnnfiltHardSigmoid,
                     fminf (fmaxf (self->alpha * x + self->beta, 0.0f), 1.0f))

static void
cnnfilt_hard_sigmoid_class_init (CnnfiltHardSigmoidClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "hard-sigmoid";
  op_class->example = "conv2d weights=w.npy ! hard-sigmoid alpha=0.1666667";
  op_class->description = "Hard sigmoid: max(0, min(1, alpha·x + beta)), a piecewise-linear "
                          "sigmoid";
  op_class->onnx_op_type = "HardSigmoid";
  op_class->onnx_attributes = "alpha:alpha beta:beta";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_hard_sigmoid_run);
  cnnfilt_op_class_install_properties (op_class, hard_sigmoid_props, G_N_ELEMENTS (hard_sigmoid_props));
}

LAYER_NO_INIT (CnnfiltHardSigmoid, cnnfilt_hard_sigmoid)
