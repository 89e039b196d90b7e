/* cnnfilt-registry.c: operators by name, plugin discovery
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include "cnnfilt-registry.h"
#include "cnnfilt-error.h"

#include <dlfcn.h>
#include <string.h>

/* A loaded plugin. The module stays resident: op classes point into it. */
#define CNNFILT_TYPE_PLUGIN_MODULE (cnnfilt_plugin_module_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltPluginModule, cnnfilt_plugin_module, CNNFILT, PLUGIN_MODULE, GTypeModule)

struct _CnnfiltPluginModule {
  GTypeModule parent_instance;
  GModule *module;
  void (*init) (GTypeModule *module);
};

G_DEFINE_TYPE (CnnfiltPluginModule, cnnfilt_plugin_module, G_TYPE_TYPE_MODULE)

static gboolean
cnnfilt_plugin_module_load (GTypeModule *type_module)
{
  CnnfiltPluginModule *self = CNNFILT_PLUGIN_MODULE (type_module);
  self->init (type_module);
  return TRUE;
}

static void
cnnfilt_plugin_module_unload (GTypeModule *type_module)
{
  /* Never reached: every plugin is used for the life of the process. */
}

static void
cnnfilt_plugin_module_class_init (CnnfiltPluginModuleClass *klass)
{
  G_TYPE_MODULE_CLASS (klass)->load = cnnfilt_plugin_module_load;
  G_TYPE_MODULE_CLASS (klass)->unload = cnnfilt_plugin_module_unload;
}

static void
cnnfilt_plugin_module_init (CnnfiltPluginModule *self)
{
}

G_LOCK_DEFINE_STATIC (registry);
static GHashTable *ops_by_name;     /* name -> GType */
static GHashTable *ops_by_onnx;     /* ONNX op_type -> GType */
static GHashTable *plugins_by_file; /* basename -> path, so a plugin loads once */

static void
register_op_types (GType parent)
{
  g_autofree GType *children = g_type_children (parent, NULL);
  for (GType *child = children; *child != 0; child++)
    {
      register_op_types (*child);
      if (G_TYPE_IS_ABSTRACT (*child))
        continue;
      CnnfiltOpClass *klass = g_type_class_ref (*child);
      if (klass->name == NULL)
        g_warning ("op type %s has no name; ignored", g_type_name (*child));
      else if (!g_hash_table_contains (ops_by_name, klass->name))
        g_hash_table_insert (ops_by_name, (gpointer) klass->name, GSIZE_TO_POINTER (*child));
      if (klass->onnx_op_type != NULL && !g_hash_table_contains (ops_by_onnx, klass->onnx_op_type))
        g_hash_table_insert (ops_by_onnx, (gpointer) klass->onnx_op_type, GSIZE_TO_POINTER (*child));
    }
}

static void
refresh_ops (void)
{
  g_hash_table_remove_all (ops_by_name);
  g_hash_table_remove_all (ops_by_onnx);
  register_op_types (CNNFILT_TYPE_OP);
}

static gboolean
load_plugin_locked (const gchar *path, GError **error)
{
  g_autofree gchar *base = g_path_get_basename (path);
  if (g_hash_table_contains (plugins_by_file, base))
    {
      g_debug ("plugin %s: already loaded from %s", path,
               (const gchar *) g_hash_table_lookup (plugins_by_file, base));
      return TRUE;
    }

  GModule *module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_PLUGIN,
                   "%s: not a loadable module: %s", path, g_module_error ());
      return FALSE;
    }
  gpointer abi = NULL, init = NULL;
  if (!g_module_symbol (module, "cnnfilt_plugin_abi_version", &abi) ||
      !g_module_symbol (module, "cnnfilt_plugin_init", &init) || abi == NULL || init == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_PLUGIN,
                   "%s: not a cnnfilt plugin (no cnnfilt_plugin_init)", path);
      g_module_close (module);
      return FALSE;
    }
  if (*(const guint *) abi != CNNFILT_PLUGIN_ABI_VERSION)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_PLUGIN,
                   "%s: built for plugin ABI %u, this libcnnfilt has ABI %u",
                   path, *(const guint *) abi, CNNFILT_PLUGIN_ABI_VERSION);
      g_module_close (module);
      return FALSE;
    }

  g_module_make_resident (module);
  CnnfiltPluginModule *plugin = g_object_new (CNNFILT_TYPE_PLUGIN_MODULE, NULL);
  plugin->module = module;
  plugin->init = init;
  g_type_module_set_name (G_TYPE_MODULE (plugin), base);
  /* Used once and never released: the plugin lives as long as the process. */
  if (!g_type_module_use (G_TYPE_MODULE (plugin)))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_PLUGIN, "%s: initialisation failed", path);
      return FALSE;
    }
  g_hash_table_insert (plugins_by_file, g_steal_pointer (&base), g_strdup (path));
  g_debug ("plugin %s loaded", path);
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* Loads every `*.so` in @dir and, one level down, in its folders (the build
 * tree keeps each plugin in a folder of its own). */
static void
load_plugin_dir (const gchar *dir, guint depth)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  if (handle == NULL)
    return;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, names->pdata[i], NULL);
      if (depth > 0 && g_file_test (path, G_FILE_TEST_IS_DIR))
        load_plugin_dir (path, depth - 1);
      else if (g_str_has_suffix (names->pdata[i], "." G_MODULE_SUFFIX))
        {
          g_autoptr (GError) error = NULL;
          if (!load_plugin_locked (path, &error))
            g_warning ("skipping plugin %s", error->message);
        }
    }
}

/* The build tree's plugin folder when this library runs uninstalled, so the
 * program, the tests and the bindings work straight from the build folder. */
static const gchar *
uninstalled_plugin_dir (void)
{
  Dl_info info;
  if (dladdr ((gpointer) cnnfilt_init, &info) == 0 || info.dli_fname == NULL)
    return NULL;
  g_autofree gchar *lib_dir = g_path_get_dirname (info.dli_fname);
  g_autofree gchar *real = realpath (lib_dir, NULL);
  if (real != NULL && g_str_equal (real, CNNFILT_BUILD_LIBDIR))
    return CNNFILT_BUILD_PLUGINDIR;
  return NULL;
}

static gpointer
init_once (gpointer data)
{
  ops_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  ops_by_onnx = g_hash_table_new (g_str_hash, g_str_equal);
  plugins_by_file = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  G_LOCK (registry);
  const gchar *env = g_getenv ("CNNFILT_PLUGIN_PATH");
  if (env != NULL)
    {
      g_auto (GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (gchar **dir = dirs; *dir != NULL; dir++)
        if (**dir != '\0')
          load_plugin_dir (*dir, 1);
    }
  const gchar *build_dir = uninstalled_plugin_dir ();
  if (build_dir != NULL)
    load_plugin_dir (build_dir, 1);
  load_plugin_dir (CNNFILT_PLUGINDIR, 0);
  refresh_ops ();
  G_UNLOCK (registry);
  return NULL;
}

/**
 * cnnfilt_init:
 * @error: return location for a #GError
 *
 * Loads the plugins, once per process; later calls do nothing. Plugins are
 * searched in the folders of `CNNFILT_PLUGIN_PATH` (colon-separated), then,
 * when libcnnfilt runs from its build folder, in the build tree, then in
 * `<libdir>/cnnfilt-1.0/plugins`. A file that is not a loadable cnnfilt
 * plugin is skipped with a warning naming it. The first plugin of a given
 * file name wins.
 *
 * Returns: %TRUE
 */
gboolean
cnnfilt_init (GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_once, NULL);
  return TRUE;
}

/**
 * cnnfilt_registry_load_plugin:
 * @path: the path of a plugin module
 * @error: return location for a #GError
 *
 * Loads one plugin outside the search path and registers its ops.
 *
 * Returns: %TRUE if the plugin is loaded (now or before)
 */
gboolean
cnnfilt_registry_load_plugin (const gchar *path, GError **error)
{
  cnnfilt_init (NULL);
  G_LOCK (registry);
  gboolean ok = load_plugin_locked (path, error);
  if (ok)
    refresh_ops ();
  G_UNLOCK (registry);
  return ok;
}

/**
 * cnnfilt_registry_lookup:
 * @name: an op name ("sobel")
 *
 * Returns: the op's type, or %G_TYPE_INVALID
 */
GType
cnnfilt_registry_lookup (const gchar *name)
{
  cnnfilt_init (NULL);
  G_LOCK (registry);
  GType type = GPOINTER_TO_SIZE (g_hash_table_lookup (ops_by_name, name));
  G_UNLOCK (registry);
  return type;
}

/**
 * cnnfilt_registry_lookup_onnx:
 * @op_type: an ONNX op_type ("Conv")
 *
 * Returns: the type of the op implementing it, or %G_TYPE_INVALID
 */
GType
cnnfilt_registry_lookup_onnx (const gchar *op_type)
{
  cnnfilt_init (NULL);
  G_LOCK (registry);
  GType type = GPOINTER_TO_SIZE (g_hash_table_lookup (ops_by_onnx, op_type));
  G_UNLOCK (registry);
  return type;
}

/**
 * cnnfilt_registry_list_ops:
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of all ops,
 *   sorted
 */
gchar **
cnnfilt_registry_list_ops (void)
{
  cnnfilt_init (NULL);
  G_LOCK (registry);
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (ops_by_name, NULL);
  GStrv names = g_strdupv ((gchar **) keys);
  G_UNLOCK (registry);
  qsort (names, g_strv_length (names), sizeof (gchar *), compare_names);
  return names;
}

/* Levenshtein distance: the fewest characters inserted, deleted or
 * replaced to make @b of @a (one row of the table at a time). */
static guint
edit_distance (const gchar *a, const gchar *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);
  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0]; /* row i-1, column j-1 */
      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint replace = diagonal + (a[i - 1] != b[j - 1]);
          diagonal = row[j];
          row[j] = MIN (replace, MIN (row[j], row[j - 1]) + 1);
        }
    }
  return row[lb];
}

/**
 * cnnfilt_closest_name:
 * @name: a name that matched none of @candidates
 * @candidates: (array zero-terminated=1): the names there are
 *
 * The candidate @name is most likely a typo of, for "did you mean"
 * messages: at most two edits away (case aside), and fewer edits than
 * @name has characters, so that "x" is no typo of "ops".
 *
 * Returns: (transfer none) (nullable): one of @candidates, or %NULL
 */
const gchar *
cnnfilt_closest_name (const gchar *name, const gchar *const *candidates)
{
  g_return_val_if_fail (name != NULL && candidates != NULL, NULL);
  g_autofree gchar *lower = g_ascii_strdown (name, -1);
  const gchar *best = NULL;
  guint best_distance = MIN (3, strlen (name));
  for (const gchar *const *candidate = candidates; *candidate != NULL; candidate++)
    {
      g_autofree gchar *other = g_ascii_strdown (*candidate, -1);
      guint d = edit_distance (lower, other);
      if (d < best_distance)
        best_distance = d, best = *candidate;
    }
  return best;
}

