/* softmax.cl: softmax and log-softmax along one axis on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per line along the axis (outer × inner of them): the
 * line's max, then the sum of exp(x − max) in double where the device has
 * it, as the CPU sums. Softmax scales each exp by 1/sum; with LOG_SOFTMAX,
 * a build option, each value is x − max − log(sum) instead. */
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif
__kernel void
softmax (__global const float *in, __global float *out, int len, int inner, int lines)
{
  const int line = get_global_id (0);
  if (line >= lines)
    return;
  const size_t base = (size_t) (line / inner) * len * inner + line % inner;
  __global const float *x = in + base;
  __global float *y = out + base;
  float top = -INFINITY;
  for (int k = 0; k < len; k++)
    top = fmax (top, x[k * inner]);
  acc_t sum = 0;
#ifdef LOG_SOFTMAX
  for (int k = 0; k < len; k++)
    sum += exp ((acc_t) x[k * inner] - top);
  const acc_t offset = top + log (sum);
  for (int k = 0; k < len; k++)
    y[k * inner] = (float) (x[k * inner] - offset);
#else
  for (int k = 0; k < len; k++)
    {
      /* below FLT_MIN: 0, as on the CPU (softmax.c) */
      const float d = x[k * inner] - top;
      const float e = d < -87.33654f ? 0.0f : exp (d);
      y[k * inner] = e;
      sum += e;
    }
  const float scale = (float) (1.0 / sum);
  for (int k = 0; k < len; k++)
    y[k * inner] *= scale;
#endif
}
