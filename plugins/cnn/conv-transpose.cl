/* conv-transpose.cl: conv-transpose on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value, which gathers the input values that
 * reach it: output row y is full-output row y + pad_top, which input row
 * i reaches through kernel row k where i·sh + k·dh is that row. The sum
 * runs in the order of conv-transpose.c's plain loops. Weights are
 * C_in × C_out/groups × kh × kw. */
__kernel void
conv_transpose (__global const float *in, __global const float *weights,
                __global const float *bias, __global float *out, int c, int h, int w, int o,
                int oh, int ow, int cg, int og, int kh, int kw, int sh, int sw, int dh, int dw,
                int pad_top, int pad_left, int has_bias)
{
  const int x = get_global_id (0), y = get_global_id (1), plane = get_global_id (2);
  if (x >= ow || y >= oh)
    return;
  const int img = plane / o, oc = plane % o, g = oc / og, ocg = oc % og;
  float sum = has_bias ? bias[oc] : 0.0f;
  for (int icg = 0; icg < cg; icg++)
    {
      const int ic = g * cg + icg;
      __global const float *src = in + ((size_t) img * c + ic) * h * w;
      __global const float *k = weights + ((size_t) ic * og + ocg) * kh * kw;
      for (int ky = 0; ky < kh; ky++)
        {
          const int fy = y + pad_top - ky * dh;
          if (fy < 0 || fy % sh != 0 || fy / sh >= h)
            continue;
          __global const float *row = src + (size_t) (fy / sh) * w;
          for (int kx = 0; kx < kw; kx++)
            {
              const int fx = x + pad_left - kx * dw;
              if (fx < 0 || fx % sw != 0 || fx / sw >= w)
                continue;
              sum += row[fx / sw] * k[ky * kw + kx];
            }
        }
    }
  out[((size_t) plane * oh + y) * ow + x] = sum;
}
