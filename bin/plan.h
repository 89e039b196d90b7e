/* plan.h: which files a batch reads and which it writes, decided before
 * anything is written
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *output_dir;  /* NULL: the command writes no files */
  const gchar *format;      /* output suffix, NULL for the input's own */
  gboolean no_follow;       /* leave symbolic links inside folders alone */
  gboolean keep_suffix;     /* photo.jpg.png: the input's suffix kept when the format changes */
  guint shard, shards;      /* take only the inputs whose path hashes to shard (of shards > 1) */
  FILE *list;               /* more input paths, read to the end, or NULL */
  const gchar *list_name;   /* its name, for messages */
  gchar list_end;           /* what ends each path in it: '\n' or '\0' */
} PlanOptions;

/* One input image and the file it will be written to (NULL when the
 * command writes none). */
typedef struct {
  gchar *input;
  gchar *relative;  /* its path under the folder named on the command line */
  gchar *output;
} PlanEntry;

typedef struct {
  GArray *entries;        /* PlanEntry, in input order */
  GPtrArray *notes;       /* "PATH: what was skipped and why": warnings */
  GPtrArray *failures;    /* "PATH: reason": inputs that cannot be read; exit status 1 */
  GPtrArray *conflicts;   /* outputs that would destroy an input or another result;
                           * nothing may be written: exit status 2 */
  GPtrArray *output_dirs; /* the folders the outputs go to, each once */
  guint64 elsewhere;      /* inputs left to the other shards */
} Plan;

/* Walks @inputs, then the paths of the list file (files and folders;
 * folders recursively in name order, hidden entries skipped, like `find -L`:
 * symbolic links followed unless no_follow, a folder already on the path or
 * already walked skipped with a note) and plans an output for every image
 * found. With shards > 1, only the images whose path hashes to shard are
 * planned (plan_shard_of()). A path of the list keeps its folders under the
 * output folder, as `rsync --files-from` does (a leading / dropped); one
 * that climbs out with .. fails. Never writes anything. */
Plan *plan_new  (const PlanOptions *options, gchar **inputs);
void  plan_free (Plan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)

/* The shard of @path among @shards: FNV-1a of its bytes as spelled, the
 * same on every machine. */
guint plan_shard_of (const gchar *path, guint shards);

/* The path @path will have once written, with every existing folder
 * resolved (symbolic links, "..") and the rest taken as spelled. */
gchar *plan_canonical_path (const gchar *path);

/* Whether writing @output would replace one of @inputs (however spelled:
 * relative, "..", links, hard links). Returns the input, or NULL. */
const gchar *plan_output_replaces (const gchar *output, const gchar *const *inputs);

/* The output whose temporary file @name would be, or NULL: the library
 * saves images as .NAME.XXXXXX.suffix and .npy files as NAME.XXXXXX. */
gchar *plan_temporary_target (const gchar *name);

/* Removes the temporary files of @outputs (paths) left in their folders by
 * a run that was killed, when last modified before @before (seconds since
 * the epoch). Returns how many were removed. */
guint plan_remove_temporaries (const gchar *const *outputs, guint n_outputs, gint64 before);

G_END_DECLS
