/* broadcast.cl: two-input elementwise ops on OpenCL devices (add, mul,
 * prelu), numpy broadcasting through strides of 0, clamped as they write
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OP(a, b) comes from the op as a build option. */
__kernel void
broadcast (__global const float *a, __global const float *b, __global float *out, int c, int h,
           int w, int total, int an, int ac, int ah, int aw, int bn, int bc, int bh, int bw,
           float lo, float hi)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int x = i % w, y = (i / w) % h, k = (i / w / h) % c, n = i / w / h / c;
  const float va = a[n * an + k * ac + y * ah + x * aw];
  const float vb = b[n * bn + k * bc + y * bh + x * bw];
  out[i] = fmin (fmax (OP (va, vb), lo), hi);
}
