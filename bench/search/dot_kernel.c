/* dot_kernel.c: CnnfiltIndex's dot product (libcnnfilt/cnnfilt-index.c,
 * copied as it is) against a plain two-accumulator AVX2 + FMA loop, on one
 * thread: over a matrix of 100,000 × 1,792 floats (memory-bound) and over 32
 * rows that stay in the L2 cache (compute-bound).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   gcc -O3 -o /tmp/dot_kernel bench/search/dot_kernel.c && /tmp/dot_kernel
 *
 * (-O3 as libcnnfilt is built; -O2 gives the same picture.) Prints GB/s of
 * matrix read for each, best of 5. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef float gfloat;
typedef unsigned guint;

/* libcnnfilt/cnnfilt-index.c, unchanged */
__attribute__ ((target_clones ("avx2", "default"))) static gfloat
dot (const gfloat *restrict a, const gfloat *restrict b, guint n)
{
  gfloat part[16] = { 0 };
  guint i = 0;
  for (; i + 16 <= n; i += 16)
    for (guint k = 0; k < 16; k++)
      part[k] += a[i + k] * b[i + k];
  gfloat sum = 0;
  for (guint k = 0; k < 16; k++)
    sum += part[k];
  for (; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}

/* two 8-wide accumulators, fused multiply-add */
__attribute__ ((target ("avx2,fma"))) static gfloat
dot_fma (const gfloat *restrict a, const gfloat *restrict b, guint n)
{
  __m256 s0 = _mm256_setzero_ps (), s1 = _mm256_setzero_ps ();
  guint i = 0;
  for (; i + 16 <= n; i += 16)
    {
      s0 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i), s0);
      s1 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 8), _mm256_loadu_ps (b + i + 8), s1);
    }
  float t[8];
  _mm256_storeu_ps (t, _mm256_add_ps (s0, s1));
  gfloat sum = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
  for (; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main (void)
{
  const guint n = 100000, d = 1792, small = 32, reps = 20000;
  float *m = aligned_alloc (64, (size_t) n * d * sizeof (float));
  float *q = aligned_alloc (64, d * sizeof (float));
  float *s = malloc (n * sizeof (float));
  if (m == NULL || q == NULL || s == NULL)
    return 1;
  for (size_t i = 0; i < (size_t) n * d; i++)
    m[i] = (float) (i % 97) * 0.01f;
  for (guint i = 0; i < d; i++)
    q[i] = 1.0f / (i + 1);
  const char *names[] = { "cnnfilt's dot (target_clones avx2)", "2 accumulators, AVX2 + FMA" };
  for (int v = 0; v < 2; v++)
    {
      double best = 0, best_l2 = 0;
      volatile float sink = 0;
      for (int rep = 0; rep < 5; rep++)
        {
          double t = now ();
          for (guint r = 0; r < n; r++)
            s[r] = v == 0 ? dot (m + (size_t) r * d, q, d) : dot_fma (m + (size_t) r * d, q, d);
          double gbs = (double) n * d * sizeof (float) / (now () - t) / 1e9;
          best = gbs > best ? gbs : best;
          sink += s[rep];
        }
      for (int rep = 0; rep < 5; rep++)
        {
          double t = now ();
          float acc = 0;
          for (guint k = 0; k < reps / 5; k++)
            for (guint r = 0; r < small; r++)
              acc += v == 0 ? dot (m + (size_t) r * d, q, d) : dot_fma (m + (size_t) r * d, q, d);
          double gbs = (double) reps / 5 * small * d * sizeof (float) / (now () - t) / 1e9;
          best_l2 = gbs > best_l2 ? gbs : best_l2;
          sink += acc;
        }
      printf ("%-36s %6.1f GB/s from memory, %6.1f GB/s from L2 (%g)\n", names[v], best, best_l2,
              (double) sink);
    }
  return 0;
}
