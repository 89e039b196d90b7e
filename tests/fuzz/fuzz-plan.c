/* fuzz-plan.c: libFuzzer target for the folder walker and output planning
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The bytes describe a random tree: folders, image files with colliding
 * stems and suffixes, symbolic links (to the folder itself, its parent,
 * siblings, missing targets), hard links and FIFOs, and a batch over it:
 * the output folder (a new one, the input folder, one inside it, a link to
 * it), a format, --keep-suffix and --no-follow. The walk must end, and
 * when the plan has no conflict, writing every planned output as the
 * library does (temporary name, rename) must leave every file of the tree
 * as it was: the invariant `cnnfilt` promises for its batches.
 */
#include "plan.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct {
  const guint8 *data;
  size_t size, at;
} Reader;

static guint
next (Reader *r, guint n)
{
  return r->at < r->size ? r->data[r->at++] % n : 0;
}

static const gchar *const stems[] = { "a", "photo", "b", "x.y", "IMG", "-rf", "new\nline", "\xff\xfe" };
static const gchar *const suffixes[] = { "png", "jpg", "PNG", "tif", "npy", "txt", "jpeg", "" };

/* Every regular file under @dir (links not followed), with its contents,
 * but for the folder @skip: an output folder inside an input folder holds
 * results, which a batch walks past and may replace. */
static void
snapshot (const gchar *dir, const GStatBuf *skip, GHashTable *files)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode) && !(skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino))
        snapshot (path, skip, files);
      else if (S_ISREG (st.st_mode))
        {
          gchar *contents = NULL;
          if (g_file_get_contents (path, &contents, NULL, NULL))
            g_hash_table_insert (files, g_steal_pointer (&path), contents);
        }
    }
}

static void
remove_tree (const gchar *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* Writes @path as the library does: a temporary beside it, renamed. */
static void
write_result (const gchar *path)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0755);
  g_autofree gchar *temp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp (temp);
  if (fd < 0)
    return;
  g_assert (write (fd, "result", 6) == 6);
  close (fd);
  if (g_rename (temp, path) != 0)
    g_unlink (temp);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Reader r = { data, size, 0 };
  /* links reach at most two folders up from in/: keep that inside the sandbox */
  g_autofree gchar *sandbox = g_dir_make_tmp ("fuzz-plan-XXXXXX", NULL);
  g_assert (sandbox != NULL);
  g_autofree gchar *root = g_build_filename (sandbox, "root", NULL);
  g_mkdir (root, 0755);
  g_autofree gchar *in = g_build_filename (root, "in", NULL);
  g_mkdir (in, 0755);

  /* the tree: up to 6 folders, each entry made in one of them */
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (dirs, g_strdup (in));
  guint n_entries = next (&r, 24);
  for (guint i = 0; i < n_entries; i++)
    {
      const gchar *dir = dirs->pdata[next (&r, dirs->len)];
      guint kind = next (&r, 7);
      g_autofree gchar *name = g_strdup_printf ("%s%s%s", stems[next (&r, G_N_ELEMENTS (stems))],
                                                next (&r, 5) == 0 ? "" : ".",
                                                suffixes[next (&r, G_N_ELEMENTS (suffixes))]);
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      if (kind == 0 && dirs->len < 6)
        {
          g_autofree gchar *sub = g_build_filename (dir, stems[next (&r, G_N_ELEMENTS (stems))], NULL);
          if (g_mkdir (sub, 0755) == 0)
            g_ptr_array_add (dirs, g_steal_pointer (&sub));
        }
      else if (kind <= 2)
        g_file_set_contents (path, name, -1, NULL);
      else if (kind == 3)
        {
          const gchar *targets[] = { ".", "..", "../..", "missing.png", "a.png", "photo.jpg", root };
          if (symlink (targets[next (&r, G_N_ELEMENTS (targets))], path) != 0)
            continue;
        }
      else if (kind == 4)
        {
          const gchar *target = dirs->pdata[next (&r, dirs->len)];
          if (symlink (target, path) != 0)
            continue;
        }
      else if (kind == 5)
        {
          /* a hard link of a file made before, under another name */
          g_autofree gchar *source = g_build_filename (in, "a.png", NULL);
          if (link (source, path) != 0)
            continue;
        }
      else
        mkfifo (path, 0644);
    }

  const gchar *outputs[] = { "out", "in", "in/out", "alias", "in/../in", "in/photo" };
  guint out_choice = next (&r, G_N_ELEMENTS (outputs));
  g_autofree gchar *alias = g_build_filename (root, "alias", NULL);
  if (symlink (in, alias) != 0)
    g_assert_not_reached ();
  g_autofree gchar *output_dir = g_build_filename (root, outputs[out_choice], NULL);
  const gchar *formats[] = { NULL, "png", "jpg", "npy" };
  PlanOptions options = {
    output_dir, formats[next (&r, G_N_ELEMENTS (formats))], next (&r, 2), next (&r, 2),
  };
  g_autofree gchar *second = g_build_filename (dirs->pdata[next (&r, dirs->len)], "a.png", NULL);
  gchar *inputs[] = { in, next (&r, 2) ? second : NULL, NULL };

  GStatBuf out_st, in_st;
  gboolean skip = g_stat (output_dir, &out_st) == 0 && g_stat (in, &in_st) == 0 &&
                  !(out_st.st_dev == in_st.st_dev && out_st.st_ino == in_st.st_ino);
  g_autoptr (GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  snapshot (root, skip ? &out_st : NULL, before);

  g_autoptr (Plan) plan = plan_new (&options, inputs);
  for (guint i = 0; i < plan->entries->len; i++)
    {
      PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      GStatBuf st;
      g_assert (g_stat (entry->input, &st) == 0 && S_ISREG (st.st_mode));
      g_assert (entry->output != NULL);
    }
  if (plan->conflicts->len == 0)
    {
      for (guint i = 0; i < plan->entries->len; i++)
        write_result (g_array_index (plan->entries, PlanEntry, i).output);
      /* every file that was there is still there, unchanged */
      g_autoptr (GHashTable) after = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      snapshot (root, skip ? &out_st : NULL, after);
      GHashTableIter iter;
      gpointer path, contents;
      g_hash_table_iter_init (&iter, before);
      while (g_hash_table_iter_next (&iter, &path, &contents))
        {
          const gchar *now = g_hash_table_lookup (after, path);
          if (now == NULL || !g_str_equal (now, contents))
            {
              fprintf (stderr, "fuzz-plan: %s was %s by the planned outputs\n", (gchar *) path,
                       now ? "changed" : "removed");
              abort ();
            }
        }
    }
  remove_tree (sandbox);
  return 0;
}
