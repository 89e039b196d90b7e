/* resample.cl: interpolate and upsample on OpenCL devices, from the host's tables
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * resample.c makes, per output row and per output column, `taps` input
 * indices (held as floats, exact below 2^24) followed by their `taps`
 * weights. Each work-item makes one output value, summing each row of taps
 * first, in the order the CPU sums. */
__kernel void
resample (__global const float *in, __global float *out, __global const float *rows,
          __global const float *columns, int taps, int h, int w, int oh, int ow)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  __global const float *src = in + (size_t) plane * h * w;
  __global const float *row = rows + y * 2 * taps;
  __global const float *column = columns + x * 2 * taps;
  float sum = 0.0f;
  for (int a = 0; a < taps; a++)
    {
      __global const float *line = src + (size_t) row[a] * w;
      float part = 0.0f;
      for (int b = 0; b < taps; b++)
        part += column[taps + b] * line[(int) column[b]];
      sum += row[taps + a] * part;
    }
  out[((size_t) plane * oh + y) * ow + x] = sum;
}
