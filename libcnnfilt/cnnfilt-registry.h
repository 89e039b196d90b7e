/* cnnfilt-registry.h: operators by name, plugin discovery
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <gmodule.h>
#include "cnnfilt-op.h"

G_BEGIN_DECLS

/**
 * CNNFILT_PLUGIN_ABI_VERSION:
 *
 * Bumped whenever #CnnfiltOpClass or another structure a plugin compiles
 * against changes layout. Plugins built for another version are skipped.
 */
#define CNNFILT_PLUGIN_ABI_VERSION 5

/**
 * CNNFILT_PLUGIN_DEFINE:
 * @register_func: a `void (*) (GTypeModule *)` that registers the plugin's
 *   op types with G_DEFINE_DYNAMIC_TYPE()'s `_register_type` functions
 *
 * Declares a plugin: its ABI version and its entry point. Use once per
 * plugin, in `plugin.c`.
 */
#define CNNFILT_PLUGIN_DEFINE(register_func)                                   \
  G_MODULE_EXPORT extern const guint cnnfilt_plugin_abi_version;               \
  G_MODULE_EXPORT const guint cnnfilt_plugin_abi_version = CNNFILT_PLUGIN_ABI_VERSION; \
  G_MODULE_EXPORT void cnnfilt_plugin_init (GTypeModule *module);              \
  G_MODULE_EXPORT void cnnfilt_plugin_init (GTypeModule *module)               \
  {                                                                            \
    register_func (module);                                                    \
  }

/**
 * CNNFILT_DEFINE_OP_TYPE:
 * @TypeName: the op's type name, `CnnfiltSobel`
 * @type_name: its function prefix, `cnnfilt_sobel`
 * @PARENT_TYPE: the parent type, #CNNFILT_TYPE_OP or an abstract op type
 *
 * G_DEFINE_DYNAMIC_TYPE() for an op in a plugin, plus a
 * `type_name_register (GTypeModule *)` function for the plugin's
 * registration function to call. The file must also define
 * `type_name_class_finalize`.
 */
#define CNNFILT_DEFINE_OP_TYPE(TypeName, type_name, PARENT_TYPE)              \
  GType type_name##_get_type (void);                                           \
  G_DEFINE_DYNAMIC_TYPE (TypeName, type_name, PARENT_TYPE)                     \
  void type_name##_register (GTypeModule *module);                             \
  void type_name##_register (GTypeModule *module)                              \
  {                                                                            \
    type_name##_register_type (module);                                        \
  }

gboolean    cnnfilt_init                (GError **error);
gboolean    cnnfilt_registry_load_plugin (const gchar *path, GError **error);
GType       cnnfilt_registry_lookup     (const gchar *name);
GType       cnnfilt_registry_lookup_onnx (const gchar *op_type);
gchar     **cnnfilt_registry_list_ops   (void);
const gchar *cnnfilt_closest_name        (const gchar *name, const gchar *const *candidates);

G_END_DECLS
