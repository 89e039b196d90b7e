/* instance-norm.cl: instance-norm on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A work-group per plane (one image's channel): its work-items sum strided
 * parts, the group folds them, for the mean and then for the squares about
 * it, in double where the device has it, as the CPU sums; each value is
 * then scaled and shifted by its channel's scale (params) and bias
 * (params + c), defaults filled in by the host. */
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif

static acc_t
group_sum (acc_t value, __local acc_t *part)
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
  const acc_t total = part[0];
  barrier (CLK_LOCAL_MEM_FENCE);
  return total;
}

__kernel void
instance_norm (__global const float *in, __global float *out, __global const float *params,
               int c, int plane, float epsilon, __local acc_t *part)
{
  const int t = get_local_id (0), size = get_local_size (0), p = get_group_id (0);
  const size_t base = (size_t) p * plane;
  acc_t sum = 0;
  for (int i = t; i < plane; i += size)
    sum += in[base + i];
  const acc_t mean = group_sum (sum, part) / plane;
  acc_t squares = 0;
  for (int i = t; i < plane; i += size)
    {
      const acc_t v = in[base + i] - mean;
      squares += v * v;
    }
  const acc_t inv = 1 / sqrt (group_sum (squares, part) / plane + epsilon);
  const float a = (float) (params[p % c] * inv), m = (float) mean, b = params[c + p % c];
  for (int i = t; i < plane; i += size)
    out[base + i] = (in[base + i] - m) * a + b;
}
