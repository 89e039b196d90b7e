/* matmul.cl: matmul on OpenCL devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One work-item per output value: a row of a's matrix by a column of b's,
 * the batch index (i, j) read as 0 in an input that broadcasts along it
 * (a_i, a_j, b_i, b_j say which do not). */
__kernel void
matmul (__global const float *a, __global const float *b, __global float *out, int m, int k,
        int n, int batch_j, int a_i, int a_j, int a_batch_j, int b_i, int b_j, int b_batch_j,
        int total)
{
  const int o = get_global_id (0);
  if (o >= total)
    return;
  const int col = o % n, row = (o / n) % m, batch = o / n / m;
  const int i = batch / batch_j, j = batch % batch_j;
  __global const float *ra = a + ((size_t) ((a_i ? i : 0) * a_batch_j + (a_j ? j : 0)) * m + row) * k;
  __global const float *cb = b + (size_t) ((b_i ? i : 0) * b_batch_j + (b_j ? j : 0)) * k * n + col;
  float sum = 0.0f;
  for (int t = 0; t < k; t++)
    sum = fma (ra[t], cb[(size_t) t * n], sum);
  out[o] = sum;
}
