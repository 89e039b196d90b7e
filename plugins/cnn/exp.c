/* exp.c: Exponential: exp(x)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! exp' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltExp;

typedef CnnfiltPointOpClass CnnfiltExpClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltExp, cnnfilt_exp, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_exp_run, CnnfiltExp,
                     expf (x))

LAYER_ELTWISE_FUNC (cnnfilt_exp_eltwise, dnnl_eltwise_exp, 0.0f, 0.0f)

static void
cnnfilt_exp_class_init (CnnfiltExpClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "exp";
  op_class->example = "linear weights=w.npy ! exp";
  op_class->description = "Exponential: exp(x)";
  op_class->onnx_op_type = "Exp";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_exp_run);
  layer_point_op_set_eltwise (klass, cnnfilt_exp_eltwise);
}

LAYER_NO_INIT (CnnfiltExp, cnnfilt_exp)
