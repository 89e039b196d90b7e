/* channel-shuffle.cl: channel-shuffle on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value (NCHW): output channel o = b·groups + a
 * reads input channel a·(c/groups) + b at the same place. */
__kernel void
channel_shuffle (__global const float *in, __global float *out, int c, int plane, int groups,
                 int total)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int p = i % plane, o = (i / plane) % c, n = i / plane / c;
  const int a = o % groups, b = o / groups;
  out[i] = in[((size_t) n * c + a * (c / groups) + b) * plane + p];
}
