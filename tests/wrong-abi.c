/* wrong-abi.c: a module with the plugin symbols but another plugin ABI
 * version, for test-registry: it must be skipped without calling its init.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib-object.h>
#include <gmodule.h>
#include <stdlib.h>

G_MODULE_EXPORT extern const guint cnnfilt_plugin_abi_version;
G_MODULE_EXPORT const guint cnnfilt_plugin_abi_version = 999;

G_MODULE_EXPORT void cnnfilt_plugin_init (GTypeModule *module);

G_MODULE_EXPORT void
cnnfilt_plugin_init (GTypeModule *module)
{
  /* never reached when the loader checks the version first */
  abort ();
}
