/* embed.c: `cnnfilt embed`, `cnnfilt search` and `cnnfilt index info`
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * embed: each worker prepares its group of photos into a batch with the
 * library's CnnfiltEmbedder, whose model, held once, runs one batch at a
 * time with every core (so decoding on one worker overlaps the model on
 * another, as in classify); the vectors go into a CnnfiltIndex (one SQLite
 * file), a transaction per group of images. A file whose path, size and time are
 * already indexed is not embedded again. search: the indexed images most
 * similar to a query, given as an indexed path or as a photo embedded the
 * way the index says it was made.
 */
#include "cnnfilt-cli.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  CnnfiltEmbedder *embedder;
  CnnfiltIndex *index;
  GMutex index_lock;
  guint batch;           /* images per model run */
  CnnfiltShape image;    /* one prepared image */
  gint unchanged;        /* atomic: files already indexed as they are */
} Embed;

/* A worker's batch: it prepares its group of images into it, then runs the
 * shared model on it. */
static gpointer
embed_worker_new (gpointer data)
{
  Embed *e = data;
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *batch = cnnfilt_tensor_new (e->batch, e->image.c, e->image.h, e->image.w, &error);
  g_assert_no_error (error); /* a few MB */
  cnnfilt_tensor_fill (batch, 0.0f);
  return batch;
}

static void
embed_worker_free (gpointer state)
{
  g_object_unref (state);
}

/* The index at @path, which must exist; NULL after saying why, with the
 * exit status in *@status: 2 for a missing file, 1 for one that is no index. */
static CnnfiltIndex *
open_existing (const gchar *command, const gchar *path, int *status)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      cli_error ("%s: %s: no such index (make it with 'cnnfilt embed')", command, path);
      *status = EXIT_USAGE;
      return NULL;
    }
  g_autoptr (GError) error = NULL;
  CnnfiltIndex *index = cnnfilt_index_open (path, &error);
  if (index == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      *status = EXIT_INPUT_FAILED;
    }
  return index;
}

/* Whether @job needs embedding: not indexed as it is now; ends the job
 * otherwise. */
static gboolean
needs_embedding (Embed *e, Batch *batch, BatchJob *job, GStatBuf *info)
{
  if (g_stat (job->input, info) != 0)
    {
      batch_job_failed (batch, job, g_strerror (errno));
      return FALSE;
    }
  g_mutex_lock (&e->index_lock);
  gboolean current = cnnfilt_index_is_current (e->index, job->input, info->st_size, info->st_mtime);
  g_mutex_unlock (&e->index_lock);
  if (current)
    {
      g_atomic_int_inc (&e->unchanged);
      batch_job_skipped (batch, job);
    }
  return !current;
}

/* Prepares the group's images into the worker's batch, runs the model once
 * on them (a short group at the full batch size all the same: preparing
 * the model for another size costs more than a few images) and adds them
 * to the index in one transaction: committed together, or not at all. */
static void
embed_process (Batch *batch, gpointer data, gpointer state, BatchJob **jobs, guint n)
{
  Embed *e = data;
  CnnfiltTensor *images = state;
  g_autofree GStatBuf *stats = g_new0 (GStatBuf, n);
  g_autofree guint *ready = g_new (guint, n);
  guint k = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      if (!needs_embedding (e, batch, jobs[i], &stats[i]))
        continue;
      if (cnnfilt_embedder_prepare_file (e->embedder, jobs[i]->input, images, k, &error))
        ready[k++] = i;
      else
        {
          batch_name_option (error);
          batch_job_failed (batch, jobs[i], error->message);
        }
    }
  if (k == 0)
    return;
  g_autoptr (GError) error = NULL;
  gsize n_values = 0;
  g_autofree gfloat *vectors = cnnfilt_embedder_run (e->embedder, images, &n_values, &error);
  guint dimension = cnnfilt_embedder_get_dimension (e->embedder);
  g_mutex_lock (&e->index_lock);
  gboolean ok = vectors != NULL && cnnfilt_index_begin (e->index, &error);
  for (guint r = 0; r < k && ok; r++)
    {
      guint i = ready[r];
      g_autoptr (GError) add_error = NULL;
      if (!cnnfilt_index_add (e->index, jobs[i]->input, stats[i].st_size, stats[i].st_mtime,
                              vectors + (gsize) r * dimension, dimension, &add_error))
        {
          batch_job_failed (batch, jobs[i], add_error->message);
          ready[r] = G_MAXUINT;
        }
    }
  ok = ok && cnnfilt_index_commit (e->index, &error);
  g_mutex_unlock (&e->index_lock);
  for (guint r = 0; r < k; r++)
    if (ready[r] == G_MAXUINT)
      continue;
    else if (ok)
      batch_job_done (batch, jobs[ready[r]]);
    else
      batch_job_failed (batch, jobs[ready[r]], error->message);
}

/* Sizes the batch for the work at hand: enough groups for every worker,
 * none larger than 8. */
static guint
embed_start (gpointer data, guint n_jobs, guint n_workers)
{
  Embed *e = data;
  e->batch = MAX (1, MIN (8, (n_jobs + n_workers - 1) / n_workers));
  return e->batch;
}

int
command_embed (int argc, char **argv)
{
  BatchOptions options;
  batch_options_init (&options, FALSE, 0);
  g_autofree GOptionEntry *entries = batch_option_entries (&options);
  g_autofree gchar *model_path = NULL, *layer = NULL, *index_path = NULL;
  gboolean prune = FALSE;
  GOptionEntry own[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "The ONNX model (default: MobileNetV2 1.4 trained on ImageNet, 1,792 features; "
      "models/README.md)", "MODEL.onnx" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer,
      "The layer whose output is the embedding, pooled over its height and width (default: "
      "the model's output)", "NAME" },
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      "The index file, created when missing (required)", "FILE.db" },
    { "prune", 0, 0, G_OPTION_ARG_NONE, &prune, "Drop indexed files that are gone from disk", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("[-m MODEL.onnx] --index FILE.db INPUT… — embed images into an index");
  g_option_context_add_main_entries (context, own, NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Adds the embedding of each image to an index for 'cnnfilt search': the model's\n"
      "output at --layer for the image prepared as 'cnnfilt classify' prepares it,\n"
      "averaged over height and width. An image already indexed with its size and\n"
      "time is not embedded again, so an interrupted run resumes where it stopped.\n"
      "With --shard K/N, N machines share the photos; join their indexes with\n"
      "'cnnfilt index merge'.");
  int status = EXIT_USAGE;
  Embed e = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltDevice) device = NULL;
  if (!cli_parse (context, &argc, &argv, "embed"))
    goto out;
  if (index_path == NULL)
    {
      cli_error ("embed: give the index (--index FILE.db)");
      goto out;
    }
  if (!batch_check_options (&options) || (device = batch_device (&options)) == NULL)
    goto out;
  if ((e.embedder = cnnfilt_embedder_new (model_path, layer, &error)) == NULL)
    {
      /* the importer's messages mostly name the file already */
      if (model_path == NULL || strstr (error->message, model_path) != NULL)
        cli_error ("embed: %s", error->message);
      else
        fprintf (stderr, "%s: %s\n", model_path, error->message);
      goto out;
    }
  cnnfilt_embedder_set_device (e.embedder, device);
  g_object_set (e.embedder, "max-pixels", (guint64) options.max_pixels, "load-flags",
                options.no_autorotate ? CNNFILT_LOAD_NO_AUTOROTATE : CNNFILT_LOAD_DEFAULT, NULL);
  cnnfilt_embedder_get_input_shape (e.embedder, &e.image);
  if ((e.index = cnnfilt_index_open (index_path, &error)) == NULL ||
      !cnnfilt_embedder_attach (e.embedder, e.index, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      goto out;
    }
  g_mutex_init (&e.index_lock);
  const BatchHandler handler = {
    .verb = "embedded",
    .start = embed_start,
    .ops_threaded = TRUE,
    .device = device,
    .data = &e,
    .worker_new = embed_worker_new,
    .worker_free = embed_worker_free,
    .process = embed_process,
  };
  status = batch_process (&handler, &options, argv + 1);
  if (prune)
    {
      g_auto (GStrv) paths = cnnfilt_index_list_paths (e.index);
      guint pruned = 0;
      for (gchar **p = paths; *p != NULL; p++)
        if (!g_file_test (*p, G_FILE_TEST_EXISTS) && cnnfilt_index_remove (e.index, *p, NULL))
          pruned++;
      if (!options.quiet)
        fprintf (stderr, "cnnfilt: %u gone from disk, dropped from %s\n", pruned, index_path);
    }
  if (!options.quiet && e.unchanged > 0)
    fprintf (stderr, "cnnfilt: %d unchanged since indexed, not embedded again\n", e.unchanged);
  g_mutex_clear (&e.index_lock);
out:
  g_clear_object (&e.index);
  g_clear_object (&e.embedder);
  batch_options_clear (&options);
  return status;
}

/* The embedding of @query: its stored one when indexed, else the photo
 * embedded as the index's were made. */
static gfloat *
query_vector (CnnfiltIndex *index, CnnfiltEmbedder **embedder, const gchar *query, gsize *n,
              GError **error)
{
  gfloat *stored = cnnfilt_index_get_embedding (index, query, n);
  if (stored != NULL)
    return stored;
  if (*embedder == NULL && (*embedder = cnnfilt_embedder_new_for_index (index, error)) == NULL)
    return NULL;
  return cnnfilt_embedder_embed_file (*embedder, query, n, error);
}

int
command_search (int argc, char **argv)
{
  g_autofree gchar *index_path = NULL;
  g_autofree gchar *html = NULL;
  gint k = 10;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "The index (required)", "FILE.db" },
    { "top", 'k', 0, G_OPTION_ARG_INT, &k, "Results per query (default 10)", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "One JSON object per query: {\"query\": PATH, \"results\": [{\"path\": PATH, \"score\": COSINE}]}", NULL },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &html,
      "Also write one self-contained page showing each query and its matches, thumbnails embedded",
      "REPORT.html" },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("--index FILE.db QUERY… — the most similar indexed images");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "A QUERY is an indexed path, or any photo, embedded as the index's were. Results\n"
      "are ranked by cosine similarity, paths as indexed.");
  if (!cli_parse (context, &argc, &argv, "search"))
    return EXIT_USAGE;
  if (index_path == NULL || argc < 2 || k < 1)
    {
      cli_error ("search: give the index (--index FILE.db), a query, and -k of 1 or more");
      return EXIT_USAGE;
    }
  if (html != NULL && !report_check_path ("search", html))
    return EXIT_USAGE;
  g_autoptr (GError) error = NULL;
  int status = EXIT_OK;
  g_autoptr (CnnfiltIndex) index = open_existing ("search", index_path, &status);
  if (index == NULL)
    return status;
  g_autoptr (CnnfiltEmbedder) embedder = NULL;
  Report *report = NULL;
  if (html != NULL)
    {
      g_autofree gchar *subtitle = g_strdup_printf ("%d quer%s in %s, %d best by cosine similarity",
                                                    argc - 1, argc == 2 ? "y" : "ies", index_path, k);
      report = report_new ("cnnfilt search", subtitle);
    }
  for (int q = 1; q < argc; q++)
    {
      gsize n = 0, n_scores = 0;
      g_autofree gfloat *vector = query_vector (index, &embedder, argv[q], &n, &error);
      g_autofree gfloat *scores = NULL;
      g_auto (GStrv) paths = vector ? cnnfilt_index_search (index, vector, n, (guint) k, &scores,
                                                            &n_scores, &error)
                                    : NULL;
      if (paths == NULL)
        {
          fprintf (stderr, "%s: %s\n", argv[q], error->message);
          g_clear_error (&error);
          status = EXIT_INPUT_FAILED;
          continue;
        }
      g_autoptr (GString) out = g_string_new (NULL);
      if (json)
        {
          g_string_append (out, "{\"query\": ");
          cli_json_string (out, argv[q]);
          g_string_append (out, ", \"results\": [");
          for (gsize i = 0; i < n_scores; i++)
            {
              g_string_append (out, i ? ", {\"path\": " : "{\"path\": ");
              cli_json_string (out, paths[i]);
              g_string_append_printf (out, ", \"score\": %.6f}", scores[i]);
            }
          g_string_append (out, "]}\n");
        }
      else
        {
          g_string_append_printf (out, "%s:\n", argv[q]);
          for (gsize i = 0; i < n_scores; i++)
            g_string_append_printf (out, "  %.4f  %s\n", scores[i], paths[i]);
        }
      fputs (out->str, stdout);
      if (report != NULL)
        {
          report_begin_group (report, argv[q]);
          report_add_image (report, argv[q], 0, TRUE);
          for (gsize i = 0; i < n_scores; i++)
            report_add_image (report, paths[i], scores[i], FALSE);
          report_end_group (report);
        }
    }
  if (report != NULL && !report_finish (report, html, FALSE))
    status = EXIT_INPUT_FAILED;
  return status;
}

int
command_index (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "As one JSON object", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      "info FILE.db | merge INTO.db FROM.db… | export FILE.db OUT.npy PATHS.txt — embedding indexes");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "info: counts, model identity and dimension.\n"
      "merge: every image of the FROM indexes into INTO (created when missing), as the\n"
      "indexes of 'cnnfilt embed --shard K/N' on several machines become one; the\n"
      "same model throughout.\n"
      "export: the normalised embeddings as an N x D float32 .npy and the paths, one\n"
      "per line, in the same order.");
  if (!cli_parse (context, &argc, &argv, "index"))
    return EXIT_USAGE;
  const gchar *action = argc > 1 ? argv[1] : "";
  gboolean shape_ok = (g_str_equal (action, "info") && argc == 3) ||
                      (g_str_equal (action, "merge") && argc >= 4) ||
                      (g_str_equal (action, "export") && argc == 5);
  if (!shape_ok)
    {
      cli_error ("index: expected 'info FILE.db', 'merge INTO.db FROM.db…' or "
                 "'export FILE.db OUT.npy PATHS.txt'");
      return EXIT_USAGE;
    }
  /* merge creates its target; the other actions read an existing index */
  gboolean merge = g_str_equal (action, "merge");
  for (int i = 3; merge && i < argc; i++)
    if (!g_file_test (argv[i], G_FILE_TEST_IS_REGULAR))
      {
        cli_error ("index: %s: no such index", argv[i]);
        return EXIT_USAGE;
      }
  g_autoptr (GError) error = NULL;
  int status = EXIT_OK;
  g_autoptr (CnnfiltIndex) index = merge ? cnnfilt_index_open (argv[2], &error)
                                         : open_existing ("index", argv[2], &status);
  if (index == NULL)
    {
      if (error != NULL)
        fprintf (stderr, "%s\n", error->message);
      return error != NULL ? EXIT_INPUT_FAILED : status;
    }
  if (g_str_equal (action, "merge"))
    {
      for (int i = 3; i < argc; i++)
        {
          guint64 added = 0;
          if (!cnnfilt_index_merge (index, argv[i], &added, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              return EXIT_INPUT_FAILED;
            }
          fprintf (stderr, "cnnfilt: %" G_GUINT64_FORMAT " images from %s\n", added, argv[i]);
        }
      fprintf (stderr, "cnnfilt: %s holds %" G_GUINT64_FORMAT " images\n", argv[2],
               cnnfilt_index_get_count (index));
      return EXIT_OK;
    }
  if (g_str_equal (action, "export"))
    {
      if (!cnnfilt_index_export (index, argv[3], argv[4], &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return EXIT_INPUT_FAILED;
        }
      return EXIT_OK;
    }
  const gchar *model = cnnfilt_index_get_model (index);
  g_autofree gchar *path = cnnfilt_index_get_info (index, "model-path");
  if (json)
    {
      g_autoptr (GString) out = g_string_new ("{\"index\": ");
      cli_json_string (out, argv[2]);
      g_string_append_printf (out, ", \"images\": %" G_GUINT64_FORMAT ", \"dimension\": %u, \"model\": ",
                              cnnfilt_index_get_count (index), cnnfilt_index_get_dimension (index));
      cli_json_string (out, model ? model : "");
      g_string_append (out, ", \"model_path\": ");
      cli_json_string (out, path ? path : "");
      g_string_append (out, "}\n");
      fputs (out->str, stdout);
    }
  else
    printf ("%s: %" G_GUINT64_FORMAT " images, %u values each\nmodel: %s\nmodel file: %s\n", argv[2],
            cnnfilt_index_get_count (index), cnnfilt_index_get_dimension (index),
            model ? model : "(none yet)", path ? path : "(unknown)");
  return EXIT_OK;
}

int
command_dedup (int argc, char **argv)
{
  g_autofree gchar *index_path = NULL;
  g_autofree gchar *html = NULL;
  gdouble threshold = 0.92;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "The index (required)", "FILE.db" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold,
      "Cosine similarity from which two images are duplicates (default 0.92)", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "One JSON object: {FILE: [DUPLICATES], ...}, FILE the first of each group", NULL },
    { "html", 0, 0, G_OPTION_ARG_FILENAME, &html,
      "Also write one self-contained page showing each group, thumbnails embedded, with each "
      "image's similarity to the group's first", "REPORT.html" },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("--index FILE.db — groups of near-duplicate images");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Prints each group of images whose embeddings are at least --threshold similar\n"
      "(or linked through such pairs), one group per paragraph, the first path first.");
  if (!cli_parse (context, &argc, &argv, "dedup"))
    return EXIT_USAGE;
  if (index_path == NULL || argc != 1 || threshold < -1 || threshold > 1)
    {
      cli_error ("dedup: give the index (--index FILE.db) and a --threshold from -1 to 1");
      return EXIT_USAGE;
    }
  if (html != NULL && !report_check_path ("dedup", html))
    return EXIT_USAGE;
  g_autoptr (GError) error = NULL;
  int status = EXIT_OK;
  g_autoptr (CnnfiltIndex) index = open_existing ("dedup", index_path, &status);
  if (index == NULL)
    return status;
  gsize n = 0;
  g_autofree guint *group = cnnfilt_index_group_duplicates (index, (gfloat) threshold, &n, &error);
  if (group == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return EXIT_INPUT_FAILED;
    }
  g_auto (GStrv) paths = cnnfilt_index_list_paths (index);
  /* the members of each group after its first, in index order: one pass */
  g_autofree guint *next = g_new (guint, MAX (n, 1));
  g_autofree guint *last = g_new (guint, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    next[i] = last[i] = G_MAXUINT;
  for (gsize i = 0; i < n; i++)
    if (group[i] != i)
      {
        guint first = group[i];
        if (last[first] == G_MAXUINT)
          next[first] = (guint) i;
        else
          next[last[first]] = (guint) i;
        last[first] = (guint) i;
      }
  Report *report = NULL;
  if (html != NULL)
    {
      g_autofree gchar *subtitle = g_strdup_printf (
          "Groups of near-duplicates in %s (%" G_GSIZE_FORMAT " images), cosine similarity from %.2f; "
          "each score is the similarity to the group's first image", index_path, n, threshold);
      report = report_new ("cnnfilt dedup", subtitle);
    }
  g_autoptr (GString) out = g_string_new (json ? "{" : "");
  guint groups = 0;
  for (gsize g = 0; g < n; g++)
    {
      if (group[g] != g || next[g] == G_MAXUINT)
        continue;
      if (json)
        {
          g_string_append (out, groups > 0 ? ", " : "");
          cli_json_string (out, paths[g]);
          g_string_append (out, ": [");
        }
      else
        g_string_append_printf (out, "%s%s\n", groups > 0 ? "\n" : "", paths[g]);
      gsize dimension = 0;
      g_autofree gfloat *first = report ? cnnfilt_index_get_embedding (index, paths[g], &dimension) : NULL;
      if (report != NULL)
        {
          g_autofree gchar *heading = g_strdup_printf ("Group %u", groups + 1);
          report_begin_group (report, heading);
          report_add_image (report, paths[g], 1.0, FALSE);
        }
      for (guint i = next[g]; i != G_MAXUINT; i = next[i])
        {
          if (json)
            {
              g_string_append (out, i == next[g] ? "" : ", ");
              cli_json_string (out, paths[i]);
            }
          else
            g_string_append_printf (out, "  %s\n", paths[i]);
          if (report != NULL)
            {
              gsize length = 0;
              g_autofree gfloat *other = cnnfilt_index_get_embedding (index, paths[i], &length);
              gdouble dot = 0;
              for (gsize j = 0; first && other && j < MIN (length, dimension); j++)
                dot += (gdouble) first[j] * other[j];
              report_add_image (report, paths[i], dot, FALSE);
            }
        }
      if (json)
        g_string_append (out, "]");
      if (report != NULL)
        report_end_group (report);
      groups++;
    }
  if (json)
    g_string_append (out, "}\n");
  fputs (out->str, stdout);
  if (report != NULL && !report_finish (report, html, FALSE))
    return EXIT_INPUT_FAILED;
  return EXIT_OK;
}
