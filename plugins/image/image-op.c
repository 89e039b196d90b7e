/* image-op.c: what the image plugin's ops share
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-op.h"

gboolean
image_op_infer_same_shape (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                           CnnfiltShape *output, GError **error)
{
  *output = inputs[0];
  return TRUE;
}
