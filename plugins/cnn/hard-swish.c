/* hard-swish.c: Hard swish: x · max(0, min(1, x/6 + 1/2))
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! hard-swish' -o out/ in/
 *
 * ONNX's HardSwish (opset 14): alpha 1/6 and beta 1/2 are fixed.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltHardSwish;

typedef CnnfiltPointOpClass CnnfiltHardSwishClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltHardSwish, cnnfilt_hard_swish, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_hard_swish_run, CnnfiltHardSwish,
                     x * fminf (fmaxf (x * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f))

LAYER_ELTWISE_FUNC (cnnfilt_hard_swish_eltwise, dnnl_eltwise_hardswish, 1.0f / 6.0f, 0.5f)

static void
cnnfilt_hard_swish_class_init (CnnfiltHardSwishClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "hard-swish";
  op_class->example = "conv2d weights=w.npy ! hard-swish";
  op_class->description = "Hard swish: x · max(0, min(1, x/6 + 1/2)), MobileNetV3's activation";
  op_class->onnx_op_type = "HardSwish";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_hard_swish_run);
  layer_point_op_set_eltwise (klass, cnnfilt_hard_swish_eltwise);
}

LAYER_NO_INIT (CnnfiltHardSwish, cnnfilt_hard_swish)
