/* standardize.cl: per-channel (x − mean) / std, on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later */
__kernel void
standardize (__global const float *in, __global float *out, __global const float *mean_std,
             int c, int plane)
{
  const int i = get_global_id (0), p = get_global_id (1);
  if (i >= plane)
    return;
  const int k = p % c;
  const size_t at = (size_t) p * plane + i;
  out[at] = (in[at] - mean_std[k]) / mean_std[c + k];
}
