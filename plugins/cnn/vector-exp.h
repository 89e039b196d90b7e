/* vector-exp.h: e^x in C that compilers vectorise
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For the loops of softmax and silu, which libm's scalar expf would keep
 * one value at a time. Always inlined, so that it is compiled for the
 * vector unit of the target_clones function that calls it.
 */
#pragma once

#include <glib.h>
#include <string.h>

/* Multiply-adds fused within a function, where the plugins are built
 * without contraction: the exp's polynomial runs at twice the speed (silu,
 * gelu). GCC's attribute; clang (the fuzzing build) goes without, warning
 * of an attribute it does not know otherwise. */
#if defined(__GNUC__) && !defined(__clang__)
#define LAYER_FUSED_MULTIPLY_ADD __attribute__ ((optimize ("fp-contract=fast")))
#else
#define LAYER_FUSED_MULTIPLY_ADD
#endif

/* ln FLT_MIN: below it, e^x is subnormal */
#define LAYER_MIN_EXPONENT -87.33654f

/* e^d for d ≤ 0, branch-free so that the loops calling it are vectorized:
 * Cephes' expf (d = n ln 2 + r with ln 2 in two parts, so that n ln 2 is
 * exact, and a degree-5 polynomial for e^r), within 1 ulp of e^d (0.98 at
 * worst over every 7th float of [ln FLT_MIN, 0]). 2^n is
 * made in the exponent bits: n is rounded by adding 1.5 · 2^23, whose low
 * mantissa bits then hold it. 0 below ln FLT_MIN, never subnormal: those
 * cost a microcode assist in every product that reads them (Swin's
 * attention masked with −100: softmax and the matmul after it ran twice
 * as long) even where the device does not flush them. */
static inline __attribute__ ((always_inline)) gfloat
layer_exp_nonpositive (gfloat d)
{
  const gfloat shifter = 12582912.0f;
  const gfloat t = d * 1.44269504088896341f + shifter;
  const gfloat n = t - shifter;
  const gfloat r = d - n * 0.693359375f - n * -2.12194440e-4f;
  gfloat p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  guint32 bits; /* unsigned: out of range (masked below) it wraps, defined */
  memcpy (&bits, &t, sizeof bits);
  const guint32 scale_bits = (bits - 0x4B400000u + 127u) << 23;
  gfloat scale;
  memcpy (&scale, &scale_bits, sizeof scale);
  /* 0 below ln FLT_MIN (−∞ included, where p is NaN) by a mask, not a
   * branch, which the compiler would not vectorise; NaN stays NaN */
  const gfloat value = p * scale;
  guint32 value_bits;
  memcpy (&value_bits, &value, sizeof value_bits);
  value_bits &= d < LAYER_MIN_EXPONENT ? 0u : ~0u;
  gfloat result;
  memcpy (&result, &value_bits, sizeof result);
  return result;
}
