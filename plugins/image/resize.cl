/* resize.cl: resampling on OpenCL devices, from the host's tables
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * resize.c makes, per output column and row, `taps` source indices (held as
 * floats, exact below 2^24) and weights; the rows pass resamples each input
 * row to the output width, the columns pass the result to the output
 * height, summing in the order the CPU sums. */
__kernel void
resize_rows (__global const float *in, __global float *pass, __global const float *index,
             __global const float *weight, int taps, int h, int w, int ow)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= h)
    return;
  __global const float *row = in + ((size_t) plane * h + y) * w;
  float sum = 0.0f;
  for (int k = 0; k < taps; k++)
    sum += weight[x * taps + k] * row[(int) index[x * taps + k]];
  pass[((size_t) plane * h + y) * ow + x] = sum;
}

__kernel void
resize_columns (__global const float *pass, __global float *out, __global const float *index,
                __global const float *weight, int taps, int h, int oh, int ow)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  __global const float *src = pass + (size_t) plane * h * ow;
  float sum = 0.0f;
  for (int k = 0; k < taps; k++)
    sum += weight[y * taps + k] * src[(size_t) index[y * taps + k] * ow + x];
  out[((size_t) plane * oh + y) * ow + x] = sum;
}
