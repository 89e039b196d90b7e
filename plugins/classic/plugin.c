/* plugin.c: the classic plugin, convolution kernels for images
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gradient.h"
#include "../plugin.h"

static void
register_classic (GTypeModule *module)
{
  /* Abstract bases first: their subclasses need them registered. */
  cnnfilt_filter_register (module);
  cnnfilt_gradient_register (module);
  CNNFILT_PLUGIN_REGISTER_OPS (module)
}

CNNFILT_PLUGIN_DEFINE (register_classic)
