/* pool.cl: max-pool and avg-pool on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One output value per work-item, computed as pool.c's loops compute it:
 * padding never wins a max; the mean divides by the input cells, or with
 * count_include_pad by the window clipped to the padded input. */
__kernel void
max_pool (__global const float *in, __global float *out, int h, int w, int oh, int ow, int kh,
          int kw, int sh, int sw, int dh, int dw, int pt, int pl)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  __global const float *src = in + (size_t) plane * h * w;
  float best = -INFINITY;
  for (int i = 0; i < kh; i++)
    {
      const int iy = y * sh - pt + i * dh;
      if (iy < 0 || iy >= h)
        continue;
      for (int j = 0; j < kw; j++)
        {
          const int ix = x * sw - pl + j * dw;
          if (ix >= 0 && ix < w && src[iy * w + ix] > best)
            best = src[iy * w + ix];
        }
    }
  out[((size_t) plane * oh + y) * ow + x] = best;
}

__kernel void
avg_pool (__global const float *in, __global float *out, int h, int w, int oh, int ow, int kh,
          int kw, int sh, int sw, int pt, int pl, int pb, int pr, int include_pad)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  __global const float *src = in + (size_t) plane * h * w;
  const int y0 = y * sh - pt, y1 = min (y0 + kh, h + pb);
  const int x0 = x * sw - pl, x1 = min (x0 + kw, w + pr);
  const int iy0 = max (y0, 0), iy1 = min (y1, h), ix0 = max (x0, 0), ix1 = min (x1, w);
  float sum = 0.0f;
  for (int iy = iy0; iy < iy1; iy++)
    for (int ix = ix0; ix < ix1; ix++)
      sum += src[iy * w + ix];
  const int count = include_pad ? (y1 - y0) * (x1 - x0) : (iy1 - iy0) * (ix1 - ix0);
  out[((size_t) plane * oh + y) * ow + x] = count > 0 ? sum / count : 0.0f;
}
