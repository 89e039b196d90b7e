/* silu.c: SiLU (swish): x · sigmoid(x)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! silu' -o out/ in/
 *
 * EfficientNet's and RegNet's activation. ONNX has no such op: PyTorch
 * writes Mul(x, Sigmoid(x)), which the importer takes as this one op
 * (cnnfilt-onnx-patterns.c). x / (1 + exp(−x)) is exact at both ends:
 * 0 (−0) far below zero, where exp underflows, and x far above.
 *
 * The CPU run is vectorised here rather than oneDNN's swish, which runs
 * at half its speed on this project's machine, and much slower still as
 * a convolution's post-op: a convolution followed by silu applies it
 * after its kernel (layer_point_op_set_eltwise_after), over an output
 * still in the cache. The expression is the OpenCL kernel's and, in
 * double, the tests' reference.
 */
#include "layer.h"
#include "vector-exp.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltSilu;

typedef CnnfiltPointOpClass CnnfiltSiluClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSilu, cnnfilt_silu, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_silu_run, CnnfiltSilu, x / (1.0f + expf (-x)))

LAYER_ELTWISE_FUNC (cnnfilt_silu_eltwise, dnnl_eltwise_swish, 1.0f, 0.0f)

/* x / (1 + e^−x) as x·e / (1 + e) below 0 and x / (1 + e) above, with
 * e = e^−|x| ≤ 1, which never overflows: within 2 ulp. In vectors for
 * AVX-512 and AVX2, with fused multiply-adds where the unit has them
 * (the plugin is built without contraction; the exp's polynomial runs
 * at twice the speed with it). @y may be @x. */
__attribute__ ((target_clones ("avx512f", "avx2", "default"))) LAYER_FUSED_MULTIPLY_ADD
static void
silu_values (const gfloat *x, gfloat *y, gsize count)
{
  for (gsize i = 0; i < count; i++)
    {
      const gfloat v = x[i];
      const gfloat e = layer_exp_nonpositive (-fabsf (v));
      y[i] = (v < 0 ? v * e : v) / (1.0f + e);
    }
}

LAYER_MAP_VALUES_RUN (cnnfilt_silu_run_vector, silu_values)

static void
cnnfilt_silu_class_init (CnnfiltSiluClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "silu";
  op_class->example = "conv2d weights=w.npy ! silu";
  op_class->description = "SiLU (swish): x · sigmoid(x), EfficientNet's activation";
  op_class->flops_per_output = 3;
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_silu_run);
  op_class->run = cnnfilt_silu_run_vector;
  layer_point_op_set_eltwise_after (klass, cnnfilt_silu_eltwise);
}

LAYER_NO_INIT (CnnfiltSilu, cnnfilt_silu)
