/* conv2d.cl: convolution on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Register tiling, as oneDNN's direct kernels block the CPU path: a
 * work-item of conv_oc computes VW output channels (one float vector, VW
 * from the device's preferred width and the group's channels) at PXB
 * neighbouring pixels of a row, so that every weight vector it loads
 * serves PXB pixels and every input value VW channels. Weights are packed
 * [O/VW][C/groups][KH][KW][VW] by the host once. conv_px, for depthwise and
 * other narrow groups, computes PXB pixels of one channel. Both add the
 * bias, the residual (a fused add) and clamp (a fused ReLU/ReLU6) as they
 * write, in the CPU path's order: ((conv + bias) + residual), clamped.
 * The window (KH, KW, SH, SW, DH, DW) is compiled in, so that the tap loops
 * unroll: one program per window shape, cached as any other.
 */

/* Without it PoCL leaves the accumulators in memory: half the speed. */
#define UNROLL _Pragma ("unroll")

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_ (a, b)
#if VW == 1
#define VTYPE float
#define VLOAD(p) (*(p))
#else
#define VTYPE CAT (float, VW)
#define VLOAD(p) CAT (vload, VW) (0, (p))
#endif

__kernel void
conv_oc (__global const float *in, __global const float *wpack, __global const float *bias,
         __global const float *res, __global float *out, int c, int h, int w, int oh, int ow,
         int o, int cg, int og, int pt, int pl, int has_bias, int has_res, float lo, float hi)
{
  const int nxb = (ow + PXB - 1) / PXB;
  const int oy = get_global_id (0) / nxb, x0 = (get_global_id (0) % nxb) * PXB;
  const int ob = get_global_id (1), n = get_global_id (2);
  if (oy >= oh)
    return;
  const int oc0 = ob * VW, ic0 = (oc0 / og) * cg;
  VTYPE acc[PXB];
  UNROLL for (int p = 0; p < PXB; p++)
    acc[p] = 0.0f;
  const int ix_base = x0 * SW - pl;
  const bool inside_x = ix_base >= 0 && ix_base + (PXB - 1) * SW + (KW - 1) * DW < w;
  for (int ic = 0; ic < cg; ic++)
    {
      __global const float *src = in + ((size_t) n * c + ic0 + ic) * h * w;
      __global const float *wk = wpack + ((size_t) ob * cg + ic) * KH * KW * VW;
      for (int i = 0; i < KH; i++)
        {
          const int iy = oy * SH - pt + i * DH;
          if (iy < 0 || iy >= h)
            continue;
          __global const float *line = src + (size_t) iy * w;
          UNROLL for (int j = 0; j < KW; j++)
            {
              const VTYPE wv = VLOAD (wk + (i * KW + j) * VW);
              const int ix0 = ix_base + j * DW;
              if (inside_x)
                UNROLL for (int p = 0; p < PXB; p++)
                  acc[p] = fma ((VTYPE) line[ix0 + p * SW], wv, acc[p]);
              else
                UNROLL for (int p = 0; p < PXB; p++)
                  {
                    const int ix = ix0 + p * SW;
                    const float v = ix >= 0 && ix < w ? line[ix] : 0.0f;
                    acc[p] = fma ((VTYPE) v, wv, acc[p]);
                  }
            }
        }
    }
  const VTYPE b = has_bias ? VLOAD (bias + oc0) : (VTYPE) 0.0f;
  for (int p = 0; p < PXB && x0 + p < ow; p++)
    {
      VTYPE v = acc[p] + b;
      const size_t at = (((size_t) n * o + oc0) * oh + oy) * ow + x0 + p;
      const size_t plane = (size_t) oh * ow;
#if VW == 1
      if (has_res)
        v += res[at];
      out[at] = fmin (fmax (v, lo), hi);
#else
      float vals[VW];
      CAT (vstore, VW) (v, 0, vals);
      for (int l = 0; l < VW; l++)
        {
          float r = vals[l];
          if (has_res)
            r += res[at + l * plane];
          out[at + l * plane] = fmin (fmax (r, lo), hi);
        }
#endif
    }
}

/* One output channel, PXB pixels of a row: depthwise and narrow groups. */
__kernel void
conv_px (__global const float *in, __global const float *weights, __global const float *bias,
         __global const float *res, __global float *out, int c, int h, int w, int oh, int ow,
         int o, int cg, int og, int pt, int pl, int has_bias, int has_res, float lo, float hi)
{
  const int nxb = (ow + PXB - 1) / PXB;
  const int oy = get_global_id (0) / nxb, x0 = (get_global_id (0) % nxb) * PXB;
  const int oc = get_global_id (1), n = get_global_id (2);
  if (oy >= oh)
    return;
  const int ic0 = (oc / og) * cg;
  float acc[PXB];
  UNROLL for (int p = 0; p < PXB; p++)
    acc[p] = 0.0f;
  const int ix_base = x0 * SW - pl;
  const bool inside_x = ix_base >= 0 && ix_base + (PXB - 1) * SW + (KW - 1) * DW < w;
  for (int ic = 0; ic < cg; ic++)
    {
      __global const float *src = in + ((size_t) n * c + ic0 + ic) * h * w;
      __global const float *wk = weights + ((size_t) oc * cg + ic) * KH * KW;
      for (int i = 0; i < KH; i++)
        {
          const int iy = oy * SH - pt + i * DH;
          if (iy < 0 || iy >= h)
            continue;
          __global const float *line = src + (size_t) iy * w;
          UNROLL for (int j = 0; j < KW; j++)
            {
              const float wv = wk[i * KW + j];
              const int ix0 = ix_base + j * DW;
              UNROLL for (int p = 0; p < PXB; p++)
                {
                  const int ix = ix0 + p * SW;
                  const float v = inside_x || (ix >= 0 && ix < w) ? line[ix] : 0.0f;
                  acc[p] = fma (v, wv, acc[p]);
                }
            }
        }
    }
  const float b = has_bias ? bias[oc] : 0.0f;
  for (int p = 0; p < PXB && x0 + p < ow; p++)
    {
      const size_t at = (((size_t) n * o + oc) * oh + oy) * ow + x0 + p;
      float v = acc[p] + b;
      if (has_res)
        v += res[at];
      out[at] = fmin (fmax (v, lo), hi);
    }
}
