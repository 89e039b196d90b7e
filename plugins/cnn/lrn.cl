/* lrn.cl: local response normalization across channels on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later */
__kernel void
lrn (__global const float *in, __global float *out, int c, int plane, int size, float alpha,
     float beta, float bias)
{
  const int i = get_global_id (0), p = get_global_id (1);
  if (i >= plane)
    return;
  const int n = p / c, k = p % c;
  const int before = (size - 1) / 2, after = size / 2;
  const int c0 = max (k - before, 0), c1 = min (k + after, c - 1);
  float sum = 0.0f;
  for (int j = c0; j <= c1; j++)
    {
      const float v = in[((size_t) n * c + j) * plane + i];
      sum += v * v;
    }
  const size_t at = (size_t) p * plane + i;
  out[at] = in[at] / pow (bias + alpha / size * sum, beta);
}
