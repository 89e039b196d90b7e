/* silu.c: SiLU (swish): x · sigmoid(x)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! silu' -o out/ in/
 *
 * EfficientNet's and RegNet's activation. ONNX has no such op: PyTorch
 * writes Mul(x, Sigmoid(x)), which the importer takes as this one op
 * (cnnfilt-onnx-patterns.c). x / (1 + exp(−x)) is exact at both ends:
 * 0 (−0) far below zero, where exp overflows to infinity, and x far above.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltSilu;

typedef CnnfiltPointOpClass CnnfiltSiluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSilu, cnnfilt_silu, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_silu_run, CnnfiltSilu, x / (1.0f + expf (-x)))

LAYER_ELTWISE_FUNC (cnnfilt_silu_eltwise, dnnl_eltwise_swish, 1.0f, 0.0f)

static void
cnnfilt_silu_class_init (CnnfiltSiluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "silu";
  op_class->example = "conv2d weights=w.npy ! silu";
  op_class->description = "SiLU (swish): x · sigmoid(x), EfficientNet's activation";
  op_class->flops_per_output = 3;
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_silu_run);
  layer_point_op_set_eltwise (klass, cnnfilt_silu_eltwise);
}

LAYER_NO_INIT (CnnfiltSilu, cnnfilt_silu)
