/* normalize.cl: min–max stretch, on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-group per segment (an image, or one channel of it) finds its
 * range; then every value is stretched. Min and max are exact, so the
 * order of the reduction does not change the result. */
__kernel void
range (__global const float *in, __global float *ranges, int count, __local float *lo,
       __local float *hi)
{
  const int segment = get_group_id (0), t = get_local_id (0), size = get_local_size (0);
  __global const float *src = in + (size_t) segment * count;
  float a = INFINITY, b = -INFINITY;
  for (int i = t; i < count; i += size)
    {
      a = fmin (a, src[i]);
      b = fmax (b, src[i]);
    }
  lo[t] = a;
  hi[t] = b;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int step = size / 2; step > 0; step /= 2)
    {
      if (t < step)
        {
          lo[t] = fmin (lo[t], lo[t + step]);
          hi[t] = fmax (hi[t], hi[t + step]);
        }
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  if (t == 0)
    {
      ranges[2 * segment] = lo[0];
      ranges[2 * segment + 1] = hi[0];
    }
}

__kernel void
stretch (__global const float *in, __global float *out, __global const float *ranges, int count)
{
  const int i = get_global_id (0), segment = get_global_id (1);
  if (i >= count)
    return;
  const float lo = ranges[2 * segment], hi = ranges[2 * segment + 1];
  const float span = hi - lo;
  const float scale = span > 0.0f && isfinite (span) ? 1.0f / span : 0.0f;
  const size_t at = (size_t) segment * count + i;
  out[at] = (in[at] - lo) * scale;
}
