/* layer-norm.cl: layer-norm on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A work-group per block (the dims from axis on): its work-items sum
 * strided parts, the group folds them, for the mean and then for the
 * variance about it; each position is then scaled and shifted by the
 * host's expanded scale (params) and bias (params + inner). */
static float
group_sum (float value, __local float *part)
{
  const int t = get_local_id (0), size = get_local_size (0);
  part[t] = value;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int step = size / 2; step > 0; step /= 2)
    {
      if (t < step)
        part[t] += part[t + step];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  const float total = part[0];
  barrier (CLK_LOCAL_MEM_FENCE);
  return total;
}

__kernel void
layer_norm (__global const float *in, __global float *out, __global const float *params,
            int inner, float epsilon, __local float *part)
{
  const int t = get_local_id (0), size = get_local_size (0);
  const size_t base = (size_t) get_group_id (0) * inner;
  float sum = 0.0f;
  for (int i = t; i < inner; i += size)
    sum += in[base + i];
  const float mean = group_sum (sum, part) / inner;
  float squares = 0.0f;
  for (int i = t; i < inner; i += size)
    {
      const float v = in[base + i] - mean;
      squares += v * v;
    }
  const float inv = rsqrt (group_sum (squares, part) / inner + epsilon);
  for (int i = t; i < inner; i += size)
    out[base + i] = (in[base + i] - mean) * inv * params[i] + params[inner + i];
}
