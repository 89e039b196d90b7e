/* cnnfilt-index-private.h: the arithmetic of index search (cnnfilt-index-vectors.c)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most a cosine of two unit vectors moves when one of them is rounded
 * to half floats (2^-11), plus float32 accumulation and half underflow:
 * a row whose half score is this far below the k-th best may still belong
 * in the top k. Twice that when both vectors are rounded. */
#define CNNFILT_HALF_MARGIN 1e-3f

void   _cnnfilt_half_from_float (const gfloat *in, guint16 *out, gsize n);
void   _cnnfilt_half_to_float   (const guint16 *in, gfloat *out, gsize n);
gfloat _cnnfilt_half_dot        (const guint16 *row, const gfloat *query, guint n);
gfloat _cnnfilt_dot             (const gfloat *a, const gfloat *b, guint n);

G_END_DECLS
