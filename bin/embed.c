/* embed.c: `cnnfilt embed`, `cnnfilt search` and `cnnfilt index info`
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * embed: each worker prepares a photo as classify does and runs the model
 * cut at --layer, pooled to one vector where the layer has a spatial
 * extent; the vectors go into a CnnfiltIndex (one SQLite file), a
 * transaction per group of images. A file whose path, size and time are
 * already indexed is not embedded again. search: the indexed images most
 * similar to a query, given as an indexed path or as a photo embedded the
 * way the index says it was made.
 */
#include "cnnfilt-cli.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  CnnfiltIndex *index;
  GMutex index_lock;
  gchar *pipeline;       /* preprocessing ! model ! pooling */
  BatchOptions *options;
  guint shrink_to;
  gint unchanged;        /* atomic: files already indexed as they are */
  guint shard, shards;   /* this run embeds the paths whose hash % shards == shard */
  gint elsewhere;        /* atomic: files of other shards */
} Embed;

typedef struct {
  CnnfiltGraph *graph;
  CnnfiltTensor *image;
} EmbedWorker;

#define DEFAULT_MODEL "mobilenet_v2_140.onnx"

/* The default embedding model (models/README.md): in CNNFILT_MODELDIR
 * when set, else the installed data folder, else the source tree's
 * models/; NULL after saying how to make it. */
static gchar *
default_model (void)
{
  const gchar *dirs[] = { g_getenv ("CNNFILT_MODELDIR"), CNNFILT_MODELDIR, CNNFILT_SOURCE_MODELDIR };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (dirs[i] != NULL)
      {
        gchar *path = g_build_filename (dirs[i], DEFAULT_MODEL, NULL);
        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          return path;
        g_free (path);
      }
  cli_error ("no default model (%s): make it with models/fetch-default-model.sh (npm and "
             "python3-onnx), or give one with -m MODEL.onnx", DEFAULT_MODEL);
  return NULL;
}

/* The SHA-256 of the model file's first 16 MiB and its size: enough to
 * tell models apart without reading a large one twice. */
static gchar *
model_identity (const gchar *path, GError **error)
{
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return NULL;
  gsize length = g_mapped_file_get_length (file);
  g_autofree gchar *sum = g_compute_checksum_for_data (
      G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (file), MIN (length, 16u << 20));
  g_autofree gchar *base = g_path_get_basename (path);
  return g_strdup_printf ("%s %" G_GSIZE_FORMAT " bytes sha256:%.16s", base, length, sum);
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

/* A pipeline value for @text, quoted with whichever quote it does not
 * hold; NULL after saying so when it holds both. */
static gchar *
quote_value (const gchar *what, const gchar *text, GError **error)
{
  if (strchr (text, '\'') == NULL)
    return g_strdup_printf ("'%s'", text);
  if (strchr (text, '"') == NULL)
    return g_strdup_printf ("\"%s\"", text);
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
               "%s %s holds both kinds of quote, which a pipeline cannot carry: rename it", what,
               text);
  return NULL;
}

/* The pipeline that embeds a photo: the model's preparation, the model cut
 * at @layer, and a global average pool unless the layer is one vector. */
static gchar *
embedding_pipeline (const gchar *model_path, const gchar *layer, guint *dimension, guint *shrink_to,
                    GError **error)
{
  g_autoptr (CnnfiltGraph) model = cnnfilt_graph_new_from_onnx_file (model_path, error);
  if (model == NULL)
    return NULL;
  CnnfiltShape input;
  cli_model_input_shape (model, &input);
  g_autofree gchar *prepare = cnnfilt_imagenet_pipeline (&input, 0, NULL, NULL);
  *shrink_to = cnnfilt_imagenet_resize (&input, 0);
  g_autofree gchar *file = quote_value ("the model file", model_path, error);
  g_autofree gchar *output = layer ? quote_value ("the layer", layer, error) : g_strdup ("");
  if (file == NULL || output == NULL)
    return NULL;
  g_autofree gchar *text = g_strdup_printf ("%s ! model file=%s%s%s", prepare, file,
                                            layer ? " output=" : "", output);
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (text, error);
  if (graph == NULL)
    return NULL;
  CnnfiltShape one = { 1, input.c, input.h + 32, input.w + 32 }, out;
  if (!cnnfilt_graph_prepare (graph, &one, 1, error) || !cnnfilt_graph_get_output_shape (graph, 0, &out))
    return NULL;
  gboolean pool = out.h * out.w > 1;
  *dimension = out.c * (pool ? 1 : out.h * out.w);
  return pool ? g_strconcat (text, " ! global-avg-pool", NULL) : g_steal_pointer (&text);
}

static gpointer
embed_worker_new (gpointer data)
{
  Embed *e = data;
  EmbedWorker *w = g_new0 (EmbedWorker, 1);
  g_autoptr (GError) error = NULL;
  w->graph = cnnfilt_graph_new_from_string (e->pipeline, &error);
  g_assert_no_error (error); /* parsed once already */
  w->image = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  return w;
}

static void
embed_worker_free (gpointer data)
{
  EmbedWorker *w = data;
  g_object_unref (w->graph);
  g_object_unref (w->image);
  g_free (w);
}

/* The shard of @path: FNV-1a of its bytes, the same on every machine. */
static guint
shard_of (const gchar *path, guint shards)
{
  guint32 h = 2166136261u;
  for (const guchar *p = (const guchar *) path; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h % shards;
}

static void
embed_process (Batch *batch, gpointer data, gpointer state, BatchJob **jobs, guint n)
{
  Embed *e = data;
  EmbedWorker *w = state;
  g_autoptr (GPtrArray) vectors = g_ptr_array_new_with_free_func (g_free);
  g_autofree GStatBuf *stats = g_new0 (GStatBuf, n);
  g_autofree gboolean *todo = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_ptr_array_add (vectors, NULL);
      if (e->shards > 1 && shard_of (jobs[i]->input, e->shards) != e->shard)
        {
          g_atomic_int_inc (&e->elsewhere);
          batch_job_done (batch, jobs[i]);
          continue;
        }
      if (g_stat (jobs[i]->input, &stats[i]) != 0)
        {
          batch_job_failed (batch, jobs[i], g_strerror (errno));
          continue;
        }
      g_mutex_lock (&e->index_lock);
      gboolean current = cnnfilt_index_is_current (e->index, jobs[i]->input, stats[i].st_size,
                                                   stats[i].st_mtime);
      g_mutex_unlock (&e->index_lock);
      if (current)
        {
          g_atomic_int_inc (&e->unchanged);
          batch_job_done (batch, jobs[i]);
          continue;
        }
      if (!batch_load_image (e->options, jobs[i]->input, w->image, e->shrink_to, &error) ||
          !cnnfilt_graph_run (w->graph, &w->image, 1, &error))
        {
          batch_job_failed (batch, jobs[i], error->message);
          continue;
        }
      g_autoptr (CnnfiltTensor) out = cnnfilt_graph_get_output (w->graph, 0);
      gsize count = 0;
      vectors->pdata[i] = cnnfilt_tensor_get_values (out, &count);
      todo[i] = TRUE;
    }
  /* one transaction for the group: committed together, or not at all */
  g_autoptr (GError) error = NULL;
  g_mutex_lock (&e->index_lock);
  gboolean ok = cnnfilt_index_begin (e->index, &error);
  guint dimension = cnnfilt_index_get_dimension (e->index);
  for (guint i = 0; i < n && ok; i++)
    if (todo[i] && !cnnfilt_index_add (e->index, jobs[i]->input, stats[i].st_size,
                                       stats[i].st_mtime, vectors->pdata[i], dimension, &error))
      {
        batch_job_failed (batch, jobs[i], error->message);
        g_clear_error (&error);
        todo[i] = FALSE;
      }
  ok = ok && cnnfilt_index_commit (e->index, &error);
  g_mutex_unlock (&e->index_lock);
  for (guint i = 0; i < n; i++)
    if (todo[i])
      {
        if (ok)
          batch_job_done (batch, jobs[i]);
        else
          batch_job_failed (batch, jobs[i], error->message);
      }
}

int
command_embed (int argc, char **argv)
{
  BatchOptions options;
  batch_options_init (&options, FALSE, 0);
  g_autofree GOptionEntry *entries = batch_option_entries (&options);
  g_autofree gchar *model_path = NULL, *layer = NULL, *index_path = NULL;
  g_autofree gchar *identity = NULL, *model_id = NULL, *absolute = NULL;
  gboolean prune = FALSE;
  g_autofree gchar *shard = NULL;
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
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard,
      "Embed only shard K of N (0 <= K < N), by a hash of each path, so that N machines share "
      "a folder; join their indexes with 'cnnfilt index merge'", "K/N" },
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
      "time is not embedded again, so an interrupted run resumes where it stopped.");
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
  if (model_path == NULL && (model_path = default_model ()) == NULL)
    goto out;
  e.shards = 1;
  if (shard != NULL)
    {
      gchar *end = NULL;
      guint64 k = g_ascii_strtoull (shard, &end, 10), count = 0;
      if (end != NULL && *end == '/')
        count = g_ascii_strtoull (end + 1, &end, 10);
      if (end == NULL || *end != '\0' || count < 1 || count > 65536 || k >= count)
        {
          cli_error ("embed: --shard %s: expected K/N with 0 <= K < N", shard);
          goto out;
        }
      e.shard = (guint) k;
      e.shards = (guint) count;
    }
  if (!batch_check_options (&options) || (device = batch_device (&options)) == NULL)
    goto out;
  guint dimension = 0;
  identity = model_identity (model_path, &error);
  if (identity == NULL ||
      (e.pipeline = embedding_pipeline (model_path, layer, &dimension, &e.shrink_to, &error)) == NULL)
    {
      /* the importer's messages mostly name the file already */
      if (strstr (error->message, model_path) != NULL)
        fprintf (stderr, "%s\n", error->message);
      else
        fprintf (stderr, "%s: %s\n", model_path, error->message);
      goto out;
    }
  model_id = g_strdup_printf ("%s layer %s", identity, layer ? layer : "(output)");
  absolute = g_canonicalize_filename (model_path, NULL);
  if ((e.index = cnnfilt_index_open (index_path, &error)) == NULL ||
      !cnnfilt_index_set_model (e.index, model_id, dimension, &error) ||
      !cnnfilt_index_set_info (e.index, "model-path", absolute, &error) ||
      !cnnfilt_index_set_info (e.index, "layer", layer ? layer : "", &error))
    {
      fprintf (stderr, "%s\n", error->message);
      goto out;
    }
  e.options = &options;
  g_mutex_init (&e.index_lock);
  const BatchHandler handler = {
    .verb = "embedded",
    .group = 8,
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
  if (!options.quiet && e.elsewhere > 0)
    fprintf (stderr, "cnnfilt: %d left to the other shards\n", e.elsewhere);
  if (!options.quiet && e.unchanged > 0)
    fprintf (stderr, "cnnfilt: %d unchanged since indexed, not embedded again\n", e.unchanged);
  g_mutex_clear (&e.index_lock);
out:
  g_clear_object (&e.index);
  g_free (e.pipeline);
  batch_options_clear (&options);
  return status;
}

/* The embedding of @query: its stored one when indexed, else the photo
 * embedded as the index's were made. */
static gfloat *
query_vector (CnnfiltIndex *index, CnnfiltGraph **embedder, const gchar *query, gsize *n,
              GError **error)
{
  gfloat *stored = cnnfilt_index_get_embedding (index, query, n);
  if (stored != NULL)
    return stored;
  if (*embedder == NULL)
    {
      g_autofree gchar *model = cnnfilt_index_get_info (index, "model-path");
      g_autofree gchar *layer = cnnfilt_index_get_info (index, "layer");
      guint dimension = 0, shrink = 0;
      g_autofree gchar *text = model ? embedding_pipeline (model, layer && *layer ? layer : NULL,
                                                           &dimension, &shrink, error)
                                     : NULL;
      if (model == NULL)
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                     "not indexed, and the index does not say which model made it");
      if (text == NULL || (*embedder = cnnfilt_graph_new_from_string (text, error)) == NULL)
        return NULL;
    }
  g_autoptr (CnnfiltTensor) image = cnnfilt_image_load (query, error);
  g_autoptr (CnnfiltTensor) out = image ? cnnfilt_graph_process (*embedder, image, error) : NULL;
  return out ? cnnfilt_tensor_get_values (out, n) : NULL;
}

int
command_search (int argc, char **argv)
{
  g_autofree gchar *index_path = NULL;
  gint k = 10;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "The index (required)", "FILE.db" },
    { "top", 'k', 0, G_OPTION_ARG_INT, &k, "Results per query (default 10)", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "One JSON object per query: {\"query\": PATH, \"results\": [{\"path\": PATH, \"score\": COSINE}]}", NULL },
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
  g_autoptr (GError) error = NULL;
  int status = EXIT_OK;
  g_autoptr (CnnfiltIndex) index = open_existing ("search", index_path, &status);
  if (index == NULL)
    return status;
  g_autoptr (CnnfiltGraph) embedder = NULL;
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
    }
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
  gdouble threshold = 0.92;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path, "The index (required)", "FILE.db" },
    { "threshold", 't', 0, G_OPTION_ARG_DOUBLE, &threshold,
      "Cosine similarity from which two images are duplicates (default 0.92)", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "One JSON object: {FILE: [DUPLICATES], ...}, FILE the first of each group", NULL },
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
  g_autoptr (GString) out = g_string_new (json ? "{" : "");
  guint groups = 0;
  for (gsize g = 0; g < n; g++)
    {
      gboolean first = TRUE;
      for (gsize i = g + 1; i < n; i++)
        {
          if (group[i] != g)
            continue;
          if (first)
            {
              if (json)
                {
                  if (groups > 0)
                    g_string_append (out, ", ");
                  cli_json_string (out, paths[g]);
                  g_string_append (out, ": [");
                }
              else
                g_string_append_printf (out, "%s%s\n", groups > 0 ? "\n" : "", paths[g]);
              groups++;
            }
          else if (json)
            g_string_append (out, ", ");
          if (json)
            cli_json_string (out, paths[i]);
          else
            g_string_append_printf (out, "  %s\n", paths[i]);
          first = FALSE;
        }
      if (!first && json)
        g_string_append (out, "]");
    }
  if (json)
    g_string_append (out, "}\n");
  fputs (out->str, stdout);
  return EXIT_OK;
}
