/* linear.cl: fully connected layers (ONNX Gemm) on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * y(i, j) = alpha · Σk A(i, k) B(k, j) + beta · C(i, j), with A the input
 * (transposed with ta) and B the weights (out×in with tb). A work-item
 * computes a tile of IB rows × JB columns, so that each value it loads
 * serves several sums. The bias is read at i·bi + j·bj (strides of 0 for
 * a scalar, a row or a column). The sum is clamped to [lo, hi] last (a
 * fused relu or clip). */
#define IB 4
#define JB 4
__kernel void
linear (__global const float *a, __global const float *b, __global const float *bias,
        __global float *y, int m, int n, int k, int ta, int tb, float alpha, float beta,
        int has_bias, int bi, int bj, float lo, float hi)
{
  const int j0 = get_global_id (0) * JB, i0 = get_global_id (1) * IB;
  if (i0 >= m || j0 >= n)
    return;
  float acc[IB][JB];
  for (int r = 0; r < IB; r++)
    for (int s = 0; s < JB; s++)
      acc[r][s] = 0.0f;
  const int rows = min (IB, m - i0), cols = min (JB, n - j0);
  for (int kk = 0; kk < k; kk++)
    {
      float av[IB], bv[JB];
      for (int r = 0; r < IB; r++)
        av[r] = r < rows ? (ta ? a[(size_t) kk * m + i0 + r] : a[(size_t) (i0 + r) * k + kk]) : 0.0f;
      for (int s = 0; s < JB; s++)
        bv[s] = s < cols ? (tb ? b[(size_t) (j0 + s) * k + kk] : b[(size_t) kk * n + j0 + s]) : 0.0f;
      for (int r = 0; r < IB; r++)
        for (int s = 0; s < JB; s++)
          acc[r][s] = fma (av[r], bv[s], acc[r][s]);
    }
  for (int r = 0; r < rows; r++)
    for (int s = 0; s < cols; s++)
      {
        float v = alpha * acc[r][s];
        if (has_bias)
          v += beta * bias[(size_t) (i0 + r) * bi + (size_t) (j0 + s) * bj];
        y[(size_t) (i0 + r) * n + j0 + s] = clamp (v, lo, hi);
      }
}
