/* plugin.c: the classic plugin, convolution kernels for images
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gradient.h"

#define OPS(X) X (sobel) X (scharr) X (prewitt) X (laplacian) X (emboss) \
               X (sharpen) X (gaussian_blur) X (box_blur) X (kernel)
#define DECLARE(name) void cnnfilt_##name##_register (GTypeModule *module);
#define REGISTER(name) cnnfilt_##name##_register (module);
OPS (DECLARE)

static void
register_classic (GTypeModule *module)
{
  /* Abstract bases first: their subclasses need them registered. */
  cnnfilt_filter_register (module);
  cnnfilt_gradient_register (module);
  OPS (REGISTER)
}

CNNFILT_PLUGIN_DEFINE (register_classic)
