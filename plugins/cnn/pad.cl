/* pad.cl: padding on OpenCL devices: constant, reflect or edge
 * SPDX-License-Identifier: LGPL-2.1-or-later */
inline int
source_index (int i, int n, int mode)
{
  if (i >= 0 && i < n)
    return i;
  if (mode == 2) /* edge */
    return i < 0 ? 0 : n - 1;
  if (mode == 1) /* reflect, edge not repeated */
    {
      if (n == 1)
        return 0;
      const int period = 2 * (n - 1);
      int m = i % period;
      if (m < 0)
        m += period;
      return m < n ? m : period - m;
    }
  return -1;
}

__kernel void
pad (__global const float *in, __global float *out, int h, int w, int oh, int ow, int top,
     int left, int mode, float value)
{
  const int x = get_global_id (0), y = get_global_id (1), p = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  const int sy = source_index (y - top, h, mode), sx = source_index (x - left, w, mode);
  out[((size_t) p * oh + y) * ow + x] =
      sy >= 0 && sx >= 0 ? in[((size_t) p * h + sy) * w + sx] : value;
}
