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
 *
 * The CPU run is vectorised here, as silu's is (silu.c), and applied after
 * a linear's or conv2d's kernel rather than as oneDNN's gelu_erf post-op,
 * which costs more than the pass. The expression is the OpenCL kernel's
 * and, in double, the tests' reference.
 */
#include "layer.h"
#include "vector-exp.h"

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

/* With t = |x|/√2, x·(1 + erf(x/√2))/2 is x·erfc(t)/2 below 0 and
 * x·(1 − erfc(t)/2) above: no cancellation of 1 + erf on the negative
 * side. erfc(t) = z·e^(P(z) − t²), z = 1/(1 + t/2): Numerical Recipes'
 * erfcc, a Chebyshev fit within 1.2e-7 of erfc everywhere (1.04e-7 over
 * [0, 10] in double); in float the rounding of t² adds up to t²·6e-8 of
 * it, where the output is already small. In vectors for AVX-512 and AVX2,
 * multiply-adds fused; @y may be @x. */
__attribute__ ((target_clones ("avx512f", "avx2", "default"))) LAYER_FUSED_MULTIPLY_ADD
static void
gelu_values (const gfloat *x, gfloat *y, gsize count)
{
  for (gsize i = 0; i < count; i++)
    {
      const gfloat v = x[i];
      const gfloat t = fabsf (v) * 0.70710678118654752f;
      const gfloat z = 1.0f / (1.0f + 0.5f * t);
      gfloat p = 0.17087277f;
      p = p * z - 0.82215223f;
      p = p * z + 1.48851587f;
      p = p * z - 1.13520398f;
      p = p * z + 0.27886807f;
      p = p * z - 0.18628806f;
      p = p * z + 0.09678418f;
      p = p * z + 0.37409196f;
      p = p * z + 1.00002368f;
      p = p * z - 1.26551223f;
      const gfloat half_erfc = 0.5f * z * layer_exp_nonpositive (p - t * t);
      y[i] = v * (v < 0 ? half_erfc : 1.0f - half_erfc);
    }
}

LAYER_MAP_VALUES_RUN (cnnfilt_gelu_run_vector, gelu_values)

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
  op_class->run = cnnfilt_gelu_run_vector;
  layer_point_op_set_eltwise_after (klass, cnnfilt_gelu_eltwise);
}

LAYER_NO_INIT (CnnfiltGelu, cnnfilt_gelu)
