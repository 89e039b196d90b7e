/* plan.c: which files a batch reads and which it writes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The whole job is planned before any file is written, so that a result
 * can never land on a photo: every regular file met in the walked folders
 * and every input named on the command line is remembered by device and
 * inode and by its resolved path, and an output that is one of them, or
 * that two inputs would both write, is a conflict. Folders are walked as
 * `find -L` does, remembering the folders on the current path and the
 * ones already walked, so that symbolic link loops and link mazes end.
 */
#include "plan.h"

#include <cnnfilt.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  dev_t dev;
  ino_t ino;
} FileId;

static guint
file_id_hash (gconstpointer key)
{
  const FileId *id = key;
  return g_int64_hash (&(gint64) { (gint64) id->ino }) ^ (guint) id->dev;
}

static gboolean
file_id_equal (gconstpointer a, gconstpointer b)
{
  const FileId *x = a, *y = b;
  return x->dev == y->dev && x->ino == y->ino;
}

static FileId *
file_id_new (const GStatBuf *st)
{
  FileId *id = g_new (FileId, 1);
  id->dev = st->st_dev;
  id->ino = st->st_ino;
  return id;
}

typedef struct {
  const PlanOptions *options;
  Plan *plan;
  GHashTable *files;       /* FileId -> path: every regular file met */
  GHashTable *inputs;      /* resolved input path -> input as spelled, to take each once */
  GHashTable *walked;      /* FileId of a folder -> its path as first walked */
  GPtrArray *path;         /* FileIds of the folders on the current path */
  FileId output_dir;       /* the output folder, skipped inside inputs */
  gboolean have_output_dir;
} Walk;

static void
entry_clear (gpointer data)
{
  PlanEntry *entry = data;
  g_free (entry->input);
  g_free (entry->relative);
  g_free (entry->output);
}

guint
plan_shard_of (const gchar *path, guint shards)
{
  guint32 h = 2166136261u;
  for (const guchar *p = (const guchar *) path; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h % shards;
}

/* Whether @path is another shard's. */
static gboolean
elsewhere (Walk *walk, const gchar *path)
{
  const PlanOptions *o = walk->options;
  if (o->shards <= 1 || plan_shard_of (path, o->shards) == o->shard)
    return FALSE;
  walk->plan->elsewhere++;
  return TRUE;
}

static void
add_input (Walk *walk, const gchar *path, const gchar *relative, const GStatBuf *st)
{
  /* every file met is remembered, other shards' too: no output may replace it */
  g_hash_table_insert (walk->files, file_id_new (st), g_strdup (path));
  if (elsewhere (walk, path))
    return;
  gchar *resolved = plan_canonical_path (path);
  if (g_hash_table_contains (walk->inputs, resolved))
    {
      g_free (resolved); /* named twice, or reached again through a link: done once */
      return;
    }
  g_hash_table_insert (walk->inputs, resolved, g_strdup (path));
  PlanEntry entry = { g_strdup (path), g_strdup (relative), NULL };
  g_array_append_val (walk->plan->entries, entry);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static void
walk_dir (Walk *walk, const gchar *dir, const gchar *relative, const GStatBuf *dir_st);

static gboolean
on_path (Walk *walk, const GStatBuf *st, guint *depth)
{
  FileId id = { st->st_dev, st->st_ino };
  for (guint i = 0; i < walk->path->len; i++)
    if (file_id_equal (walk->path->pdata[i], &id))
      {
        *depth = i;
        return TRUE;
      }
  return FALSE;
}

/* A folder entry: an image, a folder to walk, or something to leave. */
static void
walk_entry (Walk *walk, const gchar *path, const gchar *relative, const gchar *name)
{
  GStatBuf lst, st;
  if (g_lstat (path, &lst) != 0)
    {
      g_ptr_array_add (walk->plan->failures, g_strdup_printf ("%s: %s", path, g_strerror (errno)));
      return;
    }
  gboolean link = S_ISLNK (lst.st_mode);
  if (link && walk->options->no_follow)
    return;
  if (link && g_stat (path, &st) != 0)
    {
      int saved = errno;
      if (cnnfilt_image_format_is_known (name))
        g_ptr_array_add (walk->plan->failures,
                         g_strdup_printf ("%s: broken symbolic link (%s)", path, g_strerror (saved)));
      else if (saved == ELOOP)
        g_ptr_array_add (walk->plan->notes,
                         g_strdup_printf ("%s: symbolic link to itself; skipped", path));
      return;
    }
  if (!link)
    st = lst;

  if (S_ISDIR (st.st_mode))
    walk_dir (walk, path, relative, &st);
  else if (S_ISREG (st.st_mode))
    {
      if (cnnfilt_image_format_is_known (name))
        add_input (walk, path, relative, &st);
      else
        g_hash_table_insert (walk->files, file_id_new (&st), g_strdup (path));
    }
  else if (cnnfilt_image_format_is_known (name))
    g_ptr_array_add (walk->plan->failures, g_strdup_printf ("%s: not a regular file", path));
}

static void
walk_dir (Walk *walk, const gchar *dir, const gchar *relative, const GStatBuf *dir_st)
{
  guint depth;
  if (on_path (walk, dir_st, &depth))
    {
      g_ptr_array_add (walk->plan->notes,
                       g_strdup_printf ("%s: symbolic link loop (the same folder as %s); skipped",
                                        dir, (const gchar *) g_hash_table_lookup (
                                                 walk->walked, walk->path->pdata[depth])));
      return;
    }
  FileId id = { dir_st->st_dev, dir_st->st_ino };
  const gchar *first = g_hash_table_lookup (walk->walked, &id);
  if (first != NULL)
    {
      g_ptr_array_add (walk->plan->notes,
                       g_strdup_printf ("%s: the same folder as %s, walked already; skipped", dir, first));
      return;
    }
  /* our own results, when -o is a folder inside an input folder */
  if (walk->path->len > 0 && walk->have_output_dir && file_id_equal (&id, &walk->output_dir))
    return;

  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) handle = g_dir_open (dir, 0, &error);
  if (handle == NULL)
    {
      g_ptr_array_add (walk->plan->failures, g_strdup_printf ("%s: %s", dir, error->message));
      return;
    }
  FileId *key = file_id_new (dir_st);
  g_hash_table_insert (walk->walked, key, g_strdup (dir));
  g_ptr_array_add (walk->path, key);

  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  while ((name = g_dir_read_name (handle)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree gchar *rel = relative ? g_build_filename (relative, names->pdata[i], NULL)
                                       : g_strdup (names->pdata[i]);
      walk_entry (walk, path, rel, names->pdata[i]);
    }
  g_ptr_array_remove_index (walk->path, walk->path->len - 1);
}

/* An input named on the command line: a folder's images go straight under
 * the output folder, a file by its name. */
static void
walk_input (Walk *walk, const gchar *path)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    g_ptr_array_add (walk->plan->failures, g_strdup_printf ("%s: %s", path, g_strerror (errno)));
  else if (S_ISDIR (st.st_mode))
    walk_dir (walk, path, NULL, &st);
  else if (S_ISREG (st.st_mode))
    {
      g_autofree gchar *base = g_path_get_basename (path);
      add_input (walk, path, base, &st);
    }
  else
    g_ptr_array_add (walk->plan->failures, g_strdup_printf ("%s: not a regular file", path));
}

/* @path as a place under the output folder: without a leading /, ./ or
 * empty parts; NULL when it climbs out with "..". */
static gchar *
list_relative (const gchar *path)
{
  g_auto (GStrv) parts = g_strsplit (path, G_DIR_SEPARATOR_S, -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  for (gchar **part = parts; *part != NULL; part++)
    {
      if (g_str_equal (*part, ".."))
        return NULL;
      if (**part != '\0' && !g_str_equal (*part, "."))
        g_ptr_array_add (kept, *part);
    }
  g_ptr_array_add (kept, NULL);
  return g_strjoinv (G_DIR_SEPARATOR_S, (gchar **) kept->pdata);
}

/* The paths of the list file, one by one (it may name millions), each
 * taken as an entry of a walked folder is: images by their names, other
 * files left alone, folders walked. Where the command writes nothing, an
 * image of another shard is counted by its name alone, without a look at
 * the disk, so that N machines sharing a list of a large tree each touch
 * only their own files. */
static void
walk_list (Walk *walk)
{
  const PlanOptions *o = walk->options;
  g_autofree gchar *line = NULL;
  size_t capacity = 0;
  ssize_t n;
  while ((n = getdelim (&line, &capacity, o->list_end, o->list)) > 0)
    {
      if (line[n - 1] == o->list_end)
        line[--n] = '\0';
      if (o->list_end == '\n' && n > 0 && line[n - 1] == '\r')
        line[--n] = '\0'; /* a list written on Windows */
      if (n == 0)
        continue;
      if (strlen (line) != (size_t) n)
        {
          g_ptr_array_add (walk->plan->failures,
                           g_strdup_printf ("%s: a path holds a NUL byte; give --null for a list "
                                            "that find -print0 wrote", o->list_name));
          return;
        }
      if (o->output_dir == NULL)
        {
          if (!(cnnfilt_image_format_is_known (line) && elsewhere (walk, line)))
            walk_entry (walk, line, line, line);
          continue;
        }
      g_autofree gchar *relative = list_relative (line);
      if (relative == NULL)
        g_ptr_array_add (walk->plan->failures,
                         g_strdup_printf ("%s: a listed path that climbs out with .. has no place "
                                          "under the output folder; list it from a folder above",
                                          line));
      else
        walk_entry (walk, line, *relative != '\0' ? relative : NULL, line);
    }
  if (ferror (o->list))
    g_ptr_array_add (walk->plan->failures,
                     g_strdup_printf ("%s: %s", o->list_name, g_strerror (errno)));
}

/* The output of an input found at @relative under the folder named on the
 * command line: its folders under the output folder, its name with the
 * output suffix. */
static gchar *
output_path (const PlanOptions *options, const gchar *relative)
{
  const gchar *dot = strrchr (relative, '.');
  const gchar *slash = strrchr (relative, G_DIR_SEPARATOR);
  gboolean has_suffix = dot != NULL && dot != relative && (slash == NULL || dot > slash + 1);
  const gchar *suffix = options->format ? options->format : has_suffix ? dot + 1 : "png";
  g_autofree gchar *file = NULL;
  if (!has_suffix)
    file = g_strdup_printf ("%s.%s", relative, suffix);
  else if (options->keep_suffix && g_ascii_strcasecmp (dot + 1, suffix) != 0)
    file = g_strdup_printf ("%s.%s", relative, suffix); /* photo.jpg.png beside photo.png */
  else
    file = g_strdup_printf ("%.*s.%s", (int) (dot - relative), relative, suffix);
  return g_build_filename (options->output_dir, file, NULL);
}

gchar *
plan_canonical_path (const gchar *path)
{
  g_autofree gchar *cwd = NULL;
  g_autofree gchar *absolute = g_path_is_absolute (path)
                                   ? g_strdup (path)
                                   : g_build_filename (cwd = g_get_current_dir (), path, NULL);
  char *real = realpath (absolute, NULL);
  if (real != NULL)
    {
      gchar *copy = g_strdup (real);
      free (real);
      return copy;
    }
  g_autofree gchar *dir = g_path_get_dirname (absolute);
  g_autofree gchar *base = g_path_get_basename (absolute);
  if (g_str_equal (dir, absolute))
    return g_strdup (absolute); /* the root */
  g_autofree gchar *parent = plan_canonical_path (dir);
  if (g_str_equal (base, "."))
    return g_steal_pointer (&parent);
  if (g_str_equal (base, ".."))
    return g_path_get_dirname (parent);
  return g_build_filename (parent, base, NULL);
}

/* Plans the outputs: each existing output checked against every file met,
 * each output against the others. */
static void
plan_outputs (Walk *walk)
{
  Plan *plan = walk->plan;
  g_autoptr (GHashTable) outputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) dirs = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < plan->entries->len; i++)
    {
      PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      entry->output = output_path (walk->options, entry->relative);
      gchar *resolved = plan_canonical_path (entry->output);

      GStatBuf st;
      const gchar *victim = NULL;
      if (g_stat (entry->output, &st) == 0)
        victim = g_hash_table_lookup (walk->files, &(FileId) { st.st_dev, st.st_ino });
      if (victim == NULL)
        victim = g_hash_table_lookup (walk->inputs, resolved);
      const PlanEntry *other = g_hash_table_lookup (outputs, resolved);
      if (victim != NULL && g_str_equal (victim, entry->input))
        g_ptr_array_add (plan->conflicts,
                         g_strdup_printf ("%s: the output would overwrite this input; choose "
                                          "another --output or --format", entry->input));
      else if (victim != NULL)
        g_ptr_array_add (plan->conflicts,
                         g_strdup_printf ("%s: its output %s would overwrite the input %s; choose "
                                          "another --output or --format",
                                          entry->input, entry->output, victim));
      else if (other != NULL)
        g_ptr_array_add (plan->conflicts,
                         g_strdup_printf ("%s: its output %s would also be written from %s; give "
                                          "--keep-suffix or separate the inputs",
                                          entry->input, entry->output, other->input));
      if (other == NULL)
        g_hash_table_insert (outputs, resolved, entry);
      else
        g_free (resolved);

      g_autofree gchar *dir = g_path_get_dirname (entry->output);
      if (!g_hash_table_contains (dirs, dir))
        {
          gchar *copy = g_strdup (dir);
          g_hash_table_add (dirs, copy);
          g_ptr_array_add (plan->output_dirs, copy);
        }
    }
}

Plan *
plan_new (const PlanOptions *options, gchar **inputs)
{
  Plan *plan = g_new0 (Plan, 1);
  plan->entries = g_array_new (FALSE, FALSE, sizeof (PlanEntry));
  g_array_set_clear_func (plan->entries, entry_clear);
  plan->notes = g_ptr_array_new_with_free_func (g_free);
  plan->failures = g_ptr_array_new_with_free_func (g_free);
  plan->conflicts = g_ptr_array_new_with_free_func (g_free);
  plan->output_dirs = g_ptr_array_new_with_free_func (g_free);

  Walk walk = {
    .options = options,
    .plan = plan,
    .files = g_hash_table_new_full (file_id_hash, file_id_equal, g_free, g_free),
    .inputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .walked = g_hash_table_new_full (file_id_hash, file_id_equal, g_free, g_free),
    .path = g_ptr_array_new (),
  };
  GStatBuf st;
  if (options->output_dir != NULL && g_stat (options->output_dir, &st) == 0)
    {
      walk.output_dir = (FileId) { st.st_dev, st.st_ino };
      walk.have_output_dir = TRUE;
    }

  for (gchar **input = inputs; input != NULL && *input != NULL; input++)
    walk_input (&walk, *input);
  if (options->list != NULL)
    walk_list (&walk);
  if (options->output_dir != NULL)
    plan_outputs (&walk);

  g_hash_table_unref (walk.files);
  g_hash_table_unref (walk.inputs);
  g_hash_table_unref (walk.walked);
  g_ptr_array_unref (walk.path);
  return plan;
}

void
plan_free (Plan *plan)
{
  g_array_unref (plan->entries);
  g_ptr_array_unref (plan->notes);
  g_ptr_array_unref (plan->failures);
  g_ptr_array_unref (plan->conflicts);
  g_ptr_array_unref (plan->output_dirs);
  g_free (plan);
}

const gchar *
plan_output_replaces (const gchar *output, const gchar *const *inputs)
{
  g_autofree gchar *resolved = plan_canonical_path (output);
  GStatBuf out_st, in_st;
  gboolean exists = g_stat (output, &out_st) == 0;
  for (const gchar *const *input = inputs; *input != NULL; input++)
    {
      g_autofree gchar *in_resolved = plan_canonical_path (*input);
      if (g_str_equal (resolved, in_resolved) ||
          (exists && g_stat (*input, &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
           in_st.st_ino == out_st.st_ino))
        return *input;
    }
  return NULL;
}

static gboolean
is_mkstemp_part (const gchar *text, gsize n)
{
  if (n != 6)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (text[i]))
      return FALSE;
  return TRUE;
}

gchar *
plan_temporary_target (const gchar *name)
{
  gsize n = strlen (name);
  /* GLib's g_file_set_contents (.npy): NAME.XXXXXX */
  if (n > 7 && name[n - 7] == '.' && is_mkstemp_part (name + n - 6, 6) && name[0] != '.')
    return g_strndup (name, n - 7);
  /* the library's image saver: .NAME.XXXXXX.suffix, NAME ending in .suffix */
  const gchar *dot = strrchr (name, '.');
  if (name[0] != '.' || dot == NULL || dot == name)
    return NULL;
  gsize suffix_len = n - (gsize) (dot - name); /* with its dot */
  if (n < 1 + 7 + suffix_len + suffix_len + 1)
    return NULL;
  const gchar *random = dot - 6;
  if (random[-1] != '.' || !is_mkstemp_part (random, 6))
    return NULL;
  gsize target_len = (gsize) (random - 1 - (name + 1));
  if (target_len <= suffix_len ||
      g_ascii_strncasecmp (name + 1 + target_len - suffix_len, dot, suffix_len) != 0)
    return NULL;
  return g_strndup (name + 1, target_len);
}

guint
plan_remove_temporaries (const gchar *const *outputs, guint n_outputs, gint64 before)
{
  g_autoptr (GHashTable) targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n_outputs; i++)
    {
      g_hash_table_add (targets, g_strdup (outputs[i]));
      g_hash_table_add (dirs, g_path_get_dirname (outputs[i]));
    }
  guint removed = 0;
  GHashTableIter iter;
  gpointer dir;
  g_hash_table_iter_init (&iter, dirs);
  while (g_hash_table_iter_next (&iter, &dir, NULL))
    {
      g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
      const gchar *name;
      while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
        {
          g_autofree gchar *target = plan_temporary_target (name);
          if (target == NULL)
            continue;
          g_autofree gchar *target_path = g_build_filename (dir, target, NULL);
          g_autofree gchar *path = g_build_filename (dir, name, NULL);
          GStatBuf st;
          if (g_hash_table_contains (targets, target_path) && g_lstat (path, &st) == 0 &&
              S_ISREG (st.st_mode) && (gint64) st.st_mtime < before && g_unlink (path) == 0)
            removed++;
        }
    }
  return removed;
}
