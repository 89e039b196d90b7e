/* batchnorm.cl: batch normalization at inference on OpenCL devices, as a
 * per-channel scale and shift made by the host, clamped as it writes
 * SPDX-License-Identifier: LGPL-2.1-or-later */
__kernel void
batchnorm (__global const float *in, __global float *out, __global const float *scale_shift,
           int c, int plane, float lo, float hi)
{
  const int i = get_global_id (0), p = get_global_id (1);
  if (i >= plane)
    return;
  const int k = p % c;
  const size_t at = (size_t) p * plane + i;
  out[at] = clamp (in[at] * scale_shift[k] + scale_shift[c + k], lo, hi);
}
