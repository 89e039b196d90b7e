/* slice.cl: a strided block of a tensor on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value: its input lies at base plus, per dim,
 * its index times that dim's stride (negative where the slice steps
 * backwards), as the host planned them. */
__kernel void
slice (__global const float *in, __global float *out, int c, int h, int w, int base, int s0,
       int s1, int s2, int s3, int total)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int e = i % w, row = i / w, k = row % h, plane = row / h;
  out[i] = in[base + plane / c * s0 + plane % c * s1 + k * s2 + e * s3];
}
