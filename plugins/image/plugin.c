/* plugin.c: the image plugin, helpers around the filters
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "../plugin.h"

static void
register_image (GTypeModule *module)
{
  CNNFILT_PLUGIN_REGISTER_OPS (module)
}

CNNFILT_PLUGIN_DEFINE (register_image)
