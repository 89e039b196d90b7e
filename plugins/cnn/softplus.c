/* softplus.c: Softplus: log(1 + exp(x))
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! softplus' -o out/ in/
 *
 * Written as x + log(1 + exp(−x)) for positive x, so that exp does not
 * overflow to infinity for large inputs (softplus(100) is 100).
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltSoftplus;

typedef CnnfiltPointOpClass CnnfiltSoftplusClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSoftplus, cnnfilt_softplus, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_softplus_run, CnnfiltSoftplus,
                     x > 0.0f ? x + log1pf (expf (-x)) : log1pf (expf (x)))

static void
cnnfilt_softplus_class_init (CnnfiltSoftplusClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "softplus";
  op_class->example = "conv2d weights=w.npy ! softplus";
  op_class->description = "Softplus: log(1 + exp(x)), a smooth ReLU";
  op_class->onnx_op_type = "Softplus";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_softplus_run);
}

LAYER_NO_INIT (CnnfiltSoftplus, cnnfilt_softplus)
