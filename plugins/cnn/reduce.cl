/* reduce.cl: reduce-sum, reduce-mean and reduce-max on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value, which folds the block of the NCHW input
 * it reduces (r0 × r1 × r2 × r3 values, 1 along the dims kept). Sums are
 * taken in float, within 1e-6 of the CPU's double sums for the sizes of
 * CNNs. REDUCE_KIND, a build option, is ReduceKind of reduce.h. */
#if REDUCE_KIND == 3
#define FOLD(acc, v) (isnan (acc) || (v) > (acc) || isnan (v) ? (isnan (acc) ? (acc) : (v)) : (acc))
#define START (-INFINITY)
#else
#define FOLD(acc, v) ((acc) + (v))
#define START 0.0f
#endif
__kernel void
reduce (__global const float *in, __global float *out, int c, int h, int w, int kc, int kh,
        int kw, int r0, int r1, int r2, int r3, int total)
{
  const int o = get_global_id (0);
  if (o >= total)
    return;
  const int x = o % kw, y = (o / kw) % kh, k = (o / kw / kh) % kc, n = o / kw / kh / kc;
  float acc = START;
  for (int i0 = 0; i0 < r0; i0++)
    for (int i1 = 0; i1 < r1; i1++)
      for (int i2 = 0; i2 < r2; i2++)
        {
          __global const float *row = in + (((size_t) (n + i0) * c + (k + i1)) * h + (y + i2)) * w + x;
          for (int i3 = 0; i3 < r3; i3++)
            acc = FOLD (acc, row[i3]);
        }
#if REDUCE_KIND == 2
  acc /= (float) r0 * r1 * r2 * r3;
#endif
  out[o] = acc;
}
