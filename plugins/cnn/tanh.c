/* tanh.c: Hyperbolic tangent
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! tanh' -o out/ in/
 */
#include "layer.h"
#include "../pointwise.h"

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltTanh;

typedef CnnfiltOpClass CnnfiltTanhClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltTanh, cnnfilt_tanh, CNNFILT_TYPE_OP)

POINTWISE_RUN (cnnfilt_tanh_run, CnnfiltTanh, tanhf (x))

static void
cnnfilt_tanh_class_init (CnnfiltTanhClass *klass)
{
  CNNFILT_OP_CLASS (klass)->flops_per_output = 1;
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "tanh";
  op_class->example = "conv2d weights=w.npy ! tanh";
  op_class->description = "Hyperbolic tangent";
  op_class->onnx_op_type = "Tanh";
  op_class->n_inputs = 1;
  op_class->infer = layer_infer_same_shape;
  op_class->run = cnnfilt_tanh_run;
  op_class->layouts = layer_layouts_elementwise;
}

LAYER_NO_INIT (CnnfiltTanh, cnnfilt_tanh)
