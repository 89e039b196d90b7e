/* norm.cl: layer-norm and instance-norm on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A work-group per block of values normalized together (layer-norm: the
 * dims from axis on; instance-norm: a plane, one image's channel): its
 * work-items sum strided parts, the group folds them, for the mean and
 * then for the squares about it; each value is then scaled and shifted.
 * The sums are in double where the device has it, as the CPU sums, but in
 * float with FLOAT_SUMS, a build option (layer-norm's). */
#if defined(cl_khr_fp64) && !defined(FLOAT_SUMS)
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

/* The mean of the @count values at @x, which the group shares, and their
 * variance about it, the population's. */
static acc_t
block_variance (__global const float *x, int count, __local acc_t *part, acc_t *mean)
{
  const int t = get_local_id (0), size = get_local_size (0);
  acc_t sum = 0;
  for (int i = t; i < count; i += size)
    sum += x[i];
  *mean = group_sum (sum, part) / count;
  acc_t squares = 0;
  for (int i = t; i < count; i += size)
    {
      const acc_t v = x[i] - *mean;
      squares += v * v;
    }
  return group_sum (squares, part) / count;
}

/* Blocks of @inner values; the host's expanded scale (params) and bias
 * (params + inner) per position of a block. */
__kernel void
layer_norm (__global const float *in, __global float *out, __global const float *params,
            int inner, float epsilon, __local acc_t *part)
{
  const int t = get_local_id (0), size = get_local_size (0);
  const size_t base = (size_t) get_group_id (0) * inner;
  acc_t mean;
  const acc_t variance = block_variance (in + base, inner, part, &mean);
  const float inv = rsqrt ((float) (variance + epsilon)), m = (float) mean;
  for (int i = t; i < inner; i += size)
    out[base + i] = (in[base + i] - m) * inv * params[i] + params[inner + i];
}

/* Planes of @plane values, @c channels; each channel's scale (params) and
 * bias (params + c), defaults filled in by the host. */
__kernel void
instance_norm (__global const float *in, __global float *out, __global const float *params,
               int c, int plane, float epsilon, __local acc_t *part)
{
  const int t = get_local_id (0), size = get_local_size (0), p = get_group_id (0);
  const size_t base = (size_t) p * plane;
  acc_t mean;
  const acc_t inv = 1 / sqrt (block_variance (in + base, plane, part, &mean) + epsilon);
  const float a = (float) (params[p % c] * inv), m = (float) mean, b = params[c + p % c];
  for (int i = t; i < plane; i += size)
    out[base + i] = (in[base + i] - m) * a + b;
}
