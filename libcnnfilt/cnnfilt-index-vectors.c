/* cnnfilt-index-vectors.c: the arithmetic of index search
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A search streams every vector of the index once, so its speed is the
 * memory's: the vectors are held in memory as IEEE half floats, half the
 * bytes of float32, and scanned with the F16C conversion where the CPU has
 * it. A half has 11 significant bits, so a cosine of two unit vectors
 * computed from one rounded vector is within 2^-11 of the exact one (the
 * rounding error of each product is at most 2^-11 of |a_i·q_i|, and those
 * sum to at most |a|·|q| = 1): the caller keeps every row within that
 * margin of the k-th best and scores those again from the float32 rows
 * stored in the file, so results are the exact ones.
 */
#include "cnnfilt-index-private.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* IEEE 754 binary16 from binary32, rounding to nearest even. */
static guint16
half_from_float (gfloat value)
{
  guint32 bits;
  memcpy (&bits, &value, 4);
  guint32 sign = (bits >> 16) & 0x8000u;
  guint32 magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) /* inf or NaN */
    return (guint16) (sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0));
  if (magnitude >= 0x477ff000u) /* rounds to 65520 or more: inf */
    return (guint16) (sign | 0x7c00u);
  if (magnitude < 0x38800000u) /* below 2^-14: subnormal or zero */
    {
      if (magnitude < 0x33000000u) /* below 2^-25: rounds to 0 */
        return (guint16) sign;
      guint32 exponent = magnitude >> 23, mantissa = (magnitude & 0x7fffffu) | 0x800000u;
      guint32 shift = 126 - exponent; /* 14 to 24 */
      guint32 result = mantissa >> shift;
      guint32 rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
      if (rest > halfway || (rest == halfway && (result & 1)))
        result++;
      return (guint16) (sign | result);
    }
  guint32 result = ((magnitude - 0x38000000u) >> 13);
  guint32 rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (result & 1)))
    result++;
  return (guint16) (sign | result);
}

static gfloat
half_to_float (guint16 half)
{
  guint32 sign = (guint32) (half & 0x8000u) << 16;
  guint32 exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
  guint32 bits;
  if (exponent == 0x1f)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else if (exponent != 0)
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  else if (mantissa == 0)
    bits = sign;
  else
    {
      gfloat value = ldexpf ((gfloat) mantissa, -24);
      return sign ? -value : value;
    }
  gfloat value;
  memcpy (&value, &bits, 4);
  return value;
}

#ifdef HAVE_X86
static gboolean
have_f16c (void)
{
  static gint answer = -1;
  if (answer < 0)
    {
      /* F16C from CPUID itself: clang 14's __builtin_cpu_supports lacks it */
      guint eax, ebx, ecx = 0, edx;
      gboolean f16c = __get_cpuid (1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
      answer = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma") && f16c;
    }
  return answer;
}

__attribute__ ((target ("avx2,fma,f16c"))) static gfloat
half_dot_f16c (const guint16 *row, const gfloat *query, guint n)
{
  __m256 sum[4] = { _mm256_setzero_ps (), _mm256_setzero_ps (), _mm256_setzero_ps (),
                    _mm256_setzero_ps () };
  guint i = 0;
  for (; i + 32 <= n; i += 32)
    for (guint k = 0; k < 4; k++)
      {
        __m256 a = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (row + i + 8 * k)));
        sum[k] = _mm256_fmadd_ps (a, _mm256_loadu_ps (query + i + 8 * k), sum[k]);
      }
  __m256 total = _mm256_add_ps (_mm256_add_ps (sum[0], sum[1]), _mm256_add_ps (sum[2], sum[3]));
  __m128 quad = _mm_add_ps (_mm256_castps256_ps128 (total), _mm256_extractf128_ps (total, 1));
  quad = _mm_add_ps (quad, _mm_movehl_ps (quad, quad));
  quad = _mm_add_ss (quad, _mm_shuffle_ps (quad, quad, 1));
  gfloat result = _mm_cvtss_f32 (quad);
  for (; i < n; i++)
    result += _cvtsh_ss (row[i]) * query[i];
  return result;
}

__attribute__ ((target ("avx2,f16c"))) static void
half_from_float_f16c (const gfloat *in, guint16 *out, gsize n)
{
  gsize i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (out + i),
                      _mm256_cvtps_ph (_mm256_loadu_ps (in + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++)
    out[i] = half_from_float (in[i]);
}

__attribute__ ((target ("avx2,f16c"))) static void
half_to_float_f16c (const guint16 *in, gfloat *out, gsize n)
{
  gsize i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (out + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (in + i))));
  for (; i < n; i++)
    out[i] = half_to_float (in[i]);
}
#endif

void
_cnnfilt_half_from_float (const gfloat *in, guint16 *out, gsize n)
{
#ifdef HAVE_X86
  if (have_f16c ())
    {
      half_from_float_f16c (in, out, n);
      return;
    }
#endif
  for (gsize i = 0; i < n; i++)
    out[i] = half_from_float (in[i]);
}

void
_cnnfilt_half_to_float (const guint16 *in, gfloat *out, gsize n)
{
#ifdef HAVE_X86
  if (have_f16c ())
    {
      half_to_float_f16c (in, out, n);
      return;
    }
#endif
  for (gsize i = 0; i < n; i++)
    out[i] = half_to_float (in[i]);
}

gfloat
_cnnfilt_half_dot (const guint16 *row, const gfloat *query, guint n)
{
#ifdef HAVE_X86
  if (have_f16c ())
    return half_dot_f16c (row, query, n);
#endif
  gfloat part[8] = { 0 };
  guint i = 0;
  for (; i + 8 <= n; i += 8)
    for (guint k = 0; k < 8; k++)
      part[k] += half_to_float (row[i + k]) * query[i + k];
  gfloat sum = 0;
  for (guint k = 0; k < 8; k++)
    sum += part[k];
  for (; i < n; i++)
    sum += half_to_float (row[i]) * query[i];
  return sum;
}

/* Sixteen partial sums, so that the compiler keeps them in one vector
 * register (the order of a plain sum would forbid it). */
__attribute__ ((target_clones ("avx2", "default"))) gfloat
_cnnfilt_dot (const gfloat *restrict a, const gfloat *restrict b, guint n)
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
