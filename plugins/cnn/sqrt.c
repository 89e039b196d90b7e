/* sqrt.c: Square root: √x (NaN below 0)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'global-avg-pool ! sqrt' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltSqrt;

typedef CnnfiltPointOpClass CnnfiltSqrtClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSqrt, cnnfilt_sqrt, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_sqrt_run, CnnfiltSqrt,
                     sqrtf (x))

LAYER_ELTWISE_FUNC (cnnfilt_sqrt_eltwise, dnnl_eltwise_sqrt, 0.0f, 0.0f)

static void
cnnfilt_sqrt_class_init (CnnfiltSqrtClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "sqrt";
  op_class->example = "global-avg-pool ! sqrt";
  op_class->description = "Square root: √x (NaN below 0)";
  op_class->onnx_op_type = "Sqrt";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_sqrt_run);
  layer_point_op_set_eltwise (klass, cnnfilt_sqrt_eltwise);
}

LAYER_NO_INIT (CnnfiltSqrt, cnnfilt_sqrt)
