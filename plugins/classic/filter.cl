/* filter.cl: the classic filters' correlation, on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One kernel serves every classic filter, as filter.c's loops do on the
 * CPU: cross-correlation of each plane with one kernel, or with two whose
 * responses combine as sqrt(a² + b²). Each work-item computes PX
 * neighbouring outputs of one row (PX from the device's preferred vector
 * width), so that the taps it loads serve several outputs: on a CPU OpenCL
 * runtime, one output per work-item costs eight times as much. Large
 * separable kernels run as a row pass and a column pass.
 *
 * Border: 0 zero, 1 replicate, 2 reflect (CnnfiltBorder).
 */

/* Unrolled, the PX accumulators stay in registers (PoCL keeps arrays in
 * memory otherwise). */
#define UNROLL _Pragma ("unroll")

/* PX outputs as one vector, for the stride-1 rows inside the image */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_ (a, b)
#define VT CAT (float, PX)
#define VLOAD CAT (vload, PX)
#define VSTORE CAT (vstore, PX)

/* Where coordinate i reads in a line of n, or -1 for a zero. */
inline int
border_source (int i, int n, int border)
{
  if (i >= 0 && i < n)
    return i;
  if (border == 1)
    return i < 0 ? 0 : n - 1;
  if (border == 2)
    {
      if (n == 1)
        return 0;
      int period = 2 * (n - 1);
      int m = i % period;
      if (m < 0)
        m += period;
      return m < n ? m : period - m;
    }
  return -1;
}

inline float
fetch (__global const float *plane, int y, int x, int h, int w, int border)
{
  int sy = border_source (y, h, border), sx = border_source (x, w, border);
  return sy < 0 || sx < 0 ? 0.0f : plane[sy * w + sx];
}

/* out(y, x) = Σ k(i, j) · in(y·s + i − top, x·s + j − left), and the same
 * with k1 where two is set, then sqrt(a² + b²); plus offset. */
__kernel void
correlate (__global const float *in, __global float *out, __global const float *k0,
           __global const float *k1, int kh, int kw, int h, int w, int oh, int ow, int stride,
           int top, int left, int border, int two, float offset)
{
  const int x0 = get_global_id (0) * PX, oy = get_global_id (1), plane = get_global_id (2);
  if (x0 >= ow || oy >= oh)
    return;
  __global const float *src = in + (size_t) plane * h * w;
  __global float *dst = out + (size_t) plane * oh * ow + (size_t) oy * ow;
  float a[PX], b[PX];
  UNROLL for (int p = 0; p < PX; p++)
    a[p] = b[p] = 0.0f;
  const int iy = oy * stride - top, ix = x0 * stride - left;
  const bool inside = iy >= 0 && iy + kh <= h && ix >= 0 && ix + (PX - 1) * stride + kw <= w;
  if (inside && stride == 1 && x0 + PX <= ow)
    {
      /* the common case, whole vectors: PX outputs per tap in one load */
      VT va = 0.0f, vb = 0.0f;
      for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
          {
            const float ta = k0[i * kw + j], tb = two ? k1[i * kw + j] : 0.0f;
            if (ta == 0.0f && tb == 0.0f)
              continue;
            const VT v = VLOAD (0, src + (iy + i) * w + ix + j);
            va = fma (v, (VT) ta, va);
            if (two)
              vb = fma (v, (VT) tb, vb);
          }
      VSTORE ((two ? sqrt (va * va + vb * vb) : va) + offset, 0, dst + x0);
      return;
    }
  for (int i = 0; i < kh; i++)
    for (int j = 0; j < kw; j++)
      {
        const float ta = k0[i * kw + j], tb = two ? k1[i * kw + j] : 0.0f;
        if (ta == 0.0f && tb == 0.0f)
          continue;
        UNROLL for (int p = 0; p < PX; p++)
          {
            const int x = ix + p * stride + j;
            const float v = inside ? src[(iy + i) * w + x] : fetch (src, iy + i, x, h, w, border);
            a[p] += ta * v;
            b[p] += tb * v;
          }
      }
  for (int p = 0; p < PX && x0 + p < ow; p++)
    dst[x0 + p] = (two ? sqrt (a[p] * a[p] + b[p] * b[p]) : a[p]) + offset;
}

/* Separable pass 1: each padded row py (from −top) through the row kernel,
 * at the output columns: tmp(py, x) = Σ row(j) · in(py − top, x·s + j − left). */
__kernel void
rows (__global const float *in, __global float *tmp, __global const float *row, int kw, int h,
      int w, int ph, int ow, int stride, int top, int left, int border)
{
  const int x0 = get_global_id (0) * PX, py = get_global_id (1), plane = get_global_id (2);
  if (x0 >= ow || py >= ph)
    return;
  __global const float *src = in + (size_t) plane * h * w;
  __global float *dst = tmp + (size_t) plane * ph * ow + (size_t) py * ow;
  const int sy = border_source (py - top, h, border);
  float a[PX];
  UNROLL for (int p = 0; p < PX; p++)
    a[p] = 0.0f;
  if (sy >= 0)
    {
      const int ix = x0 * stride - left;
      const bool inside = ix >= 0 && ix + (PX - 1) * stride + kw <= w;
      if (inside && stride == 1 && x0 + PX <= ow)
        {
          VT v = 0.0f;
          for (int j = 0; j < kw; j++)
            v = fma (VLOAD (0, src + sy * w + ix + j), (VT) row[j], v);
          VSTORE (v, 0, dst + x0);
          return;
        }
      for (int j = 0; j < kw; j++)
        {
          const float t = row[j];
          UNROLL for (int p = 0; p < PX; p++)
            {
              const int x = ix + p * stride + j;
              const float v = inside ? src[sy * w + x] : fetch (src, sy, x, h, w, border);
              a[p] += t * v;
            }
        }
    }
  for (int p = 0; p < PX && x0 + p < ow; p++)
    dst[x0 + p] = a[p];
}

/* Separable pass 2: out(y, x) = Σ column(i) · tmp(y·s + i, x) + offset. */
__kernel void
columns (__global const float *tmp, __global float *out, __global const float *column, int kh,
         int ph, int oh, int ow, int stride, float offset)
{
  const int x0 = get_global_id (0) * PX, oy = get_global_id (1), plane = get_global_id (2);
  if (x0 >= ow || oy >= oh)
    return;
  __global const float *src = tmp + (size_t) plane * ph * ow;
  __global float *dst = out + (size_t) plane * oh * ow + (size_t) oy * ow;
  float a[PX];
  UNROLL for (int p = 0; p < PX; p++)
    a[p] = 0.0f;
  const int n = min (PX, ow - x0);
  if (n == PX)
    {
      VT v = 0.0f;
      for (int i = 0; i < kh; i++)
        v = fma (VLOAD (0, src + (size_t) (oy * stride + i) * ow + x0), (VT) column[i], v);
      VSTORE (v + offset, 0, dst + x0);
      return;
    }
  for (int i = 0; i < kh; i++)
    {
      const float t = column[i];
      __global const float *line = src + (size_t) (oy * stride + i) * ow + x0;
      if (n == PX)
        UNROLL for (int p = 0; p < PX; p++)
          a[p] += t * line[p];
      else
        for (int p = 0; p < n; p++)
          a[p] += t * line[p];
    }
  for (int p = 0; p < n; p++)
    dst[x0 + p] = a[p] + offset;
}
