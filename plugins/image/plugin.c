/* plugin.c: the image plugin, helpers around the filters
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <cnnfilt.h>

#define OPS(X) X (abs) X (grayscale) X (normalize) X (threshold) X (invert) X (resize) \
               X (center_crop) X (standardize) X (rgb)
#define DECLARE(name) void cnnfilt_##name##_register (GTypeModule *module);
#define REGISTER(name) cnnfilt_##name##_register (module);
OPS (DECLARE)

static void
register_image (GTypeModule *module)
{
  OPS (REGISTER)
}

CNNFILT_PLUGIN_DEFINE (register_image)
