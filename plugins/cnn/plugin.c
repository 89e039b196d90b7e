/* plugin.c: the cnn plugin, the layers of convolutional networks
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#define OPS(X) X (conv2d) X (max_pool) X (avg_pool) X (global_avg_pool) X (global_max_pool) \
               X (relu) X (leaky_relu) X (sigmoid) X (tanh) X (clip) X (prelu)            \
               X (batchnorm) X (lrn) X (linear) X (flatten) X (softmax) X (add) X (mul)    \
               X (concat) X (dropout) X (identity) X (pad) X (reshape) \
               X (model)
#define DECLARE(name) void cnnfilt_##name##_register (GTypeModule *module);
#define REGISTER(name) cnnfilt_##name##_register (module);
OPS (DECLARE)

static void
register_cnn (GTypeModule *module)
{
  OPS (REGISTER)
}

CNNFILT_PLUGIN_DEFINE (register_cnn)
