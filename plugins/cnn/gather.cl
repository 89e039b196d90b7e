/* gather.cl: a strided view of a tensor copied out, on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What slice, transpose and expand compute: one work-item per output
 * value, read from the input at base plus, per output dim, its index times
 * that dim's step (negative where a slice steps backwards, 0 where expand
 * repeats a dim), as the host planned them (layer_gather_strided_cl). */
__kernel void
gather (__global const float *in, __global float *out, int c, int h, int w, int base, int s0,
        int s1, int s2, int s3, int total)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int x = i % w, y = (i / w) % h, k = (i / w / h) % c, n = i / w / h / c;
  out[i] = in[(long) base + (long) n * s0 + (long) k * s1 + (long) y * s2 + (long) x * s3];
}
