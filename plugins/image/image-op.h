/* image-op.h: what the image plugin's ops share
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* infer for ops whose output has the shape of their input */
gboolean image_op_infer_same_shape (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                    CnnfiltShape *output, GError **error);

G_END_DECLS
