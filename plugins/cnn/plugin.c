/* plugin.c: the cnn plugin, the layers of convolutional networks
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#include "../plugin.h"

static void
register_cnn (GTypeModule *module)
{
  CNNFILT_PLUGIN_REGISTER_OPS (module)
}

CNNFILT_PLUGIN_DEFINE (register_cnn)
