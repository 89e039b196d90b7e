/* broadcast.cl: two-input elementwise ops on OpenCL devices (add, mul,
 * prelu, sub, div, pow), numpy broadcasting through strides of 0, clamped as they write
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OP_KIND, a build option, picks what OP(a, b) is (LayerBroadcastKind of
 * broadcast.h): function-like macros are not valid -D options everywhere
 * (PoCL refuses them). */
#if OP_KIND == 1
#define OP(a, b) ((a) + (b))
#elif OP_KIND == 2
#define OP(a, b) ((a) * (b))
#elif OP_KIND == 3
#define OP(a, b) ((a) >= 0.0f ? (a) : (b) * (a))
#elif OP_KIND == 4
#define OP(a, b) ((a) - (b))
#elif OP_KIND == 5
#define OP(a, b) ((a) / (b))
#elif OP_KIND == 6
#define OP(a, b) pow ((a), (b))
#else
#error "OP_KIND: 1 add, 2 mul, 3 prelu, 4 sub, 5 div, 6 pow"
#endif
__kernel void
broadcast (__global const float *a, __global const float *b, __global float *out, int c, int h,
           int w, int total, int an, int ac, int ah, int aw, int bn, int bc, int bh, int bw,
           float lo, float hi)
{
  const int i = get_global_id (0);
  if (i >= total)
    return;
  const int x = i % w, y = (i / w) % h, k = (i / w / h) % c, n = i / w / h / c;
  const float va = a[n * an + k * ac + y * ah + x * aw];
  const float vb = b[n * bn + k * bc + y * bh + x * bw];
  /* comparisons, not fmin/fmax, so that NaN (0/0, pow of a negative base)
   * stays NaN, as on the CPU */
  const float v = OP (va, vb);
  out[i] = v < lo ? lo : v > hi ? hi : v;
}
