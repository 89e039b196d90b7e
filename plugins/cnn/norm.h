/* norm.h: what layer-norm and instance-norm share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both normalize blocks of values (layer-norm: the dims from axis on;
 * instance-norm: a plane) with the block's own mean and variance, taken
 * in double in two passes (the mean, then the squares about it), then
 * scale and shift each value; they differ in how the scale and bias
 * reach each value. layer-norm.c holds the statistics and the work-group
 * size, and norm.cl the kernels of both.
 */
#pragma once

#include "layer.h"

G_BEGIN_DECLS

/* The @size values at @x: their mean and the inverse of their standard
 * deviation (the population's, @epsilon added to the variance). */
void  norm_statistics (const gfloat *x, gsize size, gfloat epsilon, gdouble *mean, gdouble *inv);

/* The work-group size of norm.cl's kernels for blocks of @size values: a
 * power of two, at most 64 and the device's limit, at most @size. */
gsize norm_group_size (const CnnfiltRunContext *ctx, gsize size);

G_END_DECLS
