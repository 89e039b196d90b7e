/* transpose.cl: transpose on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value, read from the input through the stride
 * of the input dim each output dim is (s0 … s3). */
__kernel void
transpose (__global const float *in, __global float *out, int c, int h, int w, int s0, int s1,
           int s2, int s3, int total)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int x = i % w, y = (i / w) % h, k = (i / w / h) % c, n = i / w / h / c;
  out[i] = in[(size_t) n * s0 + (size_t) k * s1 + (size_t) y * s2 + (size_t) x * s3];
}
