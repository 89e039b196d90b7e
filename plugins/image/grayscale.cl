/* grayscale.cl: colour to luma, on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later */
__kernel void
grayscale (__global const float *in, __global float *out, int c, int plane, float kr, float kg,
           float kb)
{
  const int i = get_global_id (0), n = get_global_id (1);
  if (i >= plane)
    return;
  __global const float *src = in + (size_t) n * c * plane;
  out[(size_t) n * plane + i] =
      c < 3 ? src[i] : kr * src[i] + kg * src[plane + i] + kb * src[2 * plane + i];
}
