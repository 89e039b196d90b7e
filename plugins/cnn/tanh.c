/* tanh.c: Hyperbolic tangent
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! tanh' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltTanh;

typedef CnnfiltPointOpClass CnnfiltTanhClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltTanh, cnnfilt_tanh, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_tanh_run, CnnfiltTanh, tanhf (x))

LAYER_ELTWISE_FUNC (cnnfilt_tanh_eltwise, dnnl_eltwise_tanh, 0.0f, 0.0f)

static void
cnnfilt_tanh_class_init (CnnfiltTanhClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "tanh";
  op_class->example = "conv2d weights=w.npy ! tanh";
  op_class->description = "Hyperbolic tangent";
  op_class->onnx_op_type = "Tanh";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_tanh_run);
  layer_point_op_set_eltwise (klass, cnnfilt_tanh_eltwise);
}

LAYER_NO_INIT (CnnfiltTanh, cnnfilt_tanh)
