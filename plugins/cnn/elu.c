/* elu.c: Exponential linear unit: x where x >= 0, alpha·(exp(x) − 1) below
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! elu alpha=1' -o out/ in/
 *
 * expm1 keeps the digits of exp(x) − 1 for x near 0.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat alpha;
} CnnfiltElu;

typedef CnnfiltPointOpClass CnnfiltEluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltElu, cnnfilt_elu, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp elu_props[] = {
  { "alpha", "Scale of the negative part", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltElu, alpha), -G_MAXFLOAT, G_MAXFLOAT, 1.0, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_elu_run, CnnfiltElu,
                     x >= 0.0f ? x : self->alpha * expm1f (x))

static void
cnnfilt_elu_class_init (CnnfiltEluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "elu";
  op_class->example = "conv2d weights=w.npy ! elu alpha=1";
  op_class->description = "Exponential linear unit: x where x >= 0, alpha·(exp(x) − 1) below";
  op_class->onnx_op_type = "Elu";
  op_class->onnx_attributes = "alpha:alpha";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_elu_run);
  cnnfilt_op_class_install_properties (op_class, elu_props, G_N_ELEMENTS (elu_props));
}

LAYER_NO_INIT (CnnfiltElu, cnnfilt_elu)
