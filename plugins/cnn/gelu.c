/* gelu.c: GELU, the exact form: x · (1 + erf(x/√2)) / 2
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! gelu' -o out/ in/
 *
 * ConvNeXt's and the vision transformers' activation, x·Φ(x) with Φ the
 * normal distribution's CDF, through erf (PyTorch's approximate='none'),
 * not the tanh approximation. ONNX has no Gelu before opset 20: PyTorch
 * writes Div, Erf, Add, Mul, Mul, which the importer takes as this one op
 * (cnnfilt-onnx-patterns.c).
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltGelu;

typedef CnnfiltPointOpClass CnnfiltGeluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGelu, cnnfilt_gelu, CNNFILT_TYPE_POINT_OP)

/* 0.70710678f: 1/√2 */
CNNFILT_POINT_OP_RUN (cnnfilt_gelu_run, CnnfiltGelu,
                     0.5f * x * (1.0f + erff (x * 0.70710678118654752f)))

LAYER_ELTWISE_FUNC (cnnfilt_gelu_eltwise, dnnl_eltwise_gelu_erf, 0.0f, 0.0f)

static void
cnnfilt_gelu_class_init (CnnfiltGeluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "gelu";
  op_class->example = "linear weights=w.npy ! gelu";
  op_class->description = "GELU, exact: x · (1 + erf(x/√2)) / 2, the transformers' and "
                          "ConvNeXt's activation";
  op_class->flops_per_output = 5;
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_gelu_run);
  layer_point_op_set_eltwise (klass, cnnfilt_gelu_eltwise);
}

LAYER_NO_INIT (CnnfiltGelu, cnnfilt_gelu)
