/* selu.c: Scaled ELU: gamma·x where x > 0, gamma·alpha·(exp(x) − 1) below
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! selu' -o out/ in/
 *
 * The defaults are ONNX's and PyTorch's: the constants that keep a
 * layer's mean 0 and variance 1.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat alpha;
  gfloat gamma;
} CnnfiltSelu;

typedef CnnfiltPointOpClass CnnfiltSeluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSelu, cnnfilt_selu, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp selu_props[] = {
  { "alpha", "Scale of the negative part (self-normalising default)", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltSelu, alpha), -G_MAXFLOAT, G_MAXFLOAT, 1.67326319217681884765625, NULL, { 0 } },
  { "gamma", "Scale of the whole (self-normalising default)", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltSelu, gamma), -G_MAXFLOAT, G_MAXFLOAT, 1.05070102214813232421875, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_selu_run, CnnfiltSelu,
                     x > 0.0f ? self->gamma * x : self->gamma * self->alpha * expm1f (x))

static void
cnnfilt_selu_class_init (CnnfiltSeluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "selu";
  op_class->example = "linear weights=w.npy ! selu";
  op_class->description = "Scaled exponential linear unit: gamma·x where x > 0, "
                          "gamma·alpha·(exp(x) − 1) below";
  op_class->onnx_op_type = "Selu";
  op_class->onnx_attributes = "alpha:alpha gamma:gamma";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_selu_run);
  cnnfilt_op_class_install_properties (op_class, selu_props, G_N_ELEMENTS (selu_props));
}

LAYER_NO_INIT (CnnfiltSelu, cnnfilt_selu)
