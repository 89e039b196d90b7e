/* pointwise.h: the run function of ops that map each value on its own,
 * shared by the cnn and image plugins
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

/* Defines `static gboolean FUNC (op, inputs, n_inputs, output, error)`
 * writing out[i] = EXPR for each x = in[i], where `self` is the op as
 * Type. The count is read by value: one whose address escaped would be
 * reloaded after every store, and the loop would not vectorise. */
#define POINTWISE_RUN(func, Type, expr)                                                  \
  static gboolean func (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs, \
                        guint n_inputs, CnnfiltTensor *output, GError **error)         \
  {                                                                                      \
    const Type *self G_GNUC_UNUSED = (const Type *) op;                                  \
    const gsize count = cnnfilt_tensor_get_size (inputs[0]);                             \
    const gfloat *restrict in = cnnfilt_tensor_get_data (inputs[0], NULL);                \
    gfloat *restrict out = cnnfilt_tensor_get_data (output, NULL);                       \
    for (gsize i = 0; i < count; i++)                                                    \
      {                                                                                  \
        const gfloat x = in[i];                                                          \
        out[i] = (expr);                                                                 \
      }                                                                                  \
    return TRUE;                                                                         \
  }
