/* plugin.h: the registration function of a plugin, from its op list
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each op file defines cnnfilt_NAME_register with CNNFILT_DEFINE_OP_TYPE;
 * the plugin's meson.build lists the ops (plugin-ops.h is made from that
 * list), and plugin.c calls CNNFILT_PLUGIN_REGISTER_OPS (module) after
 * registering any abstract base of its own. Adding an op is adding its
 * file and its name in meson.build.
 */
#pragma once

#include <cnnfilt.h>

#include "plugin-ops.h"

#define CNNFILT_PLUGIN_DECLARE_OP_(name) void cnnfilt_##name##_register (GTypeModule *module);
#define CNNFILT_PLUGIN_REGISTER_OP_(name) cnnfilt_##name##_register (module);
CNNFILT_PLUGIN_OPS (CNNFILT_PLUGIN_DECLARE_OP_)

/* Registers every op of the plugin's list with @module. */
#define CNNFILT_PLUGIN_REGISTER_OPS(module) CNNFILT_PLUGIN_OPS (CNNFILT_PLUGIN_REGISTER_OP_)
