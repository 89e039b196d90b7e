/* softmax.h: what softmax and log-softmax share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both normalize lines along one dim the same way: the line's max taken
 * off, then the sum of exp(x − max). softmax.c holds the one loop and
 * softmax.cl the one kernel (LOG_SOFTMAX, a build option, for the log);
 * the two ops differ in what they make of the sum: softmax scales each
 * exp by 1/sum, log-softmax subtracts max + log(sum) from each value.
 */
#pragma once

#include "layer.h"

G_BEGIN_DECLS

/* Softmax (or with @log_of, log-softmax) of @input along @axis into
 * @output, the lines on @n_threads where the tensor is large. */
void     softmax_run    (gint axis, gboolean log_of, CnnfiltTensor *input, CnnfiltTensor *output,
                         guint n_threads);
gboolean softmax_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gint axis, gboolean log_of,
                         CnnfiltTensor *input, CnnfiltTensor *output, GError **error);

G_END_DECLS
