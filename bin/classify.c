/* classify.c: `cnnfilt classify -m MODEL.onnx IMAGE…`, top-k classes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each worker decodes and preprocesses its group of images with its own
 * preprocessing graph (rgb ! resize ! center-crop ! standardize by
 * default) into one batch tensor; the model, loaded once, runs one batch
 * at a time under a lock, with the threads of all cores. So decoding on
 * some cores overlaps the model on the others, and the weights are held
 * once whatever the number of workers.
 */
#include "cnnfilt-cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const gchar *model_path, *labels_path;
  CnnfiltGraph *model;
  GMutex model_lock;
  gchar *preprocess;     /* the pipeline text */
  CnnfiltShape image;    /* one preprocessed image: 1 × C × H × W */
  guint classes;
  gchar **labels;        /* NULL, or one per class */
  gboolean softmax;      /* the model gives logits, not probabilities */
  guint top;
  gboolean json;
  guint batch;           /* images per model run */
  gboolean fixed_batch;  /* the model declares its batch size: always that */
  BatchOptions *options;
  guint shrink_to;       /* images are decoded reduced towards this side (0: not) */
} Classify;

typedef struct {
  CnnfiltGraph *preprocess;
  CnnfiltTensor *image;
  CnnfiltTensor *batch;
  gfloat *scores;        /* batch × classes, copied out of the model */
} ClassifyWorker;

static gpointer
classify_worker_new (gpointer data)
{
  Classify *cls = data;
  ClassifyWorker *w = g_new0 (ClassifyWorker, 1);
  g_autoptr (GError) error = NULL;
  /* parsed once already in command_classify: cannot fail */
  w->preprocess = cnnfilt_graph_new_from_string (cls->preprocess, &error);
  g_assert_no_error (error);
  w->image = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  w->batch = cnnfilt_tensor_new (cls->batch, cls->image.c, cls->image.h, cls->image.w, &error);
  g_assert_no_error (error);
  cnnfilt_tensor_fill (w->batch, 0.0f);
  w->scores = g_new (gfloat, (gsize) cls->batch * cls->classes);
  return w;
}

static void
classify_worker_free (gpointer data)
{
  ClassifyWorker *w = data;
  g_object_unref (w->preprocess);
  g_object_unref (w->image);
  g_object_unref (w->batch);
  g_free (w->scores);
  g_free (w);
}

/* Loads and preprocesses @path into image @slot of the worker's batch. */
static gboolean
prepare_image (Classify *cls, ClassifyWorker *w, const gchar *path, guint slot, GError **error)
{
  if (!batch_load_image (cls->options, path, w->image, cls->shrink_to, error) ||
      !cnnfilt_graph_run (w->preprocess, &w->image, 1, error))
    return FALSE;
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_get_output (w->preprocess, 0);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (out, &shape);
  if (shape.n != 1 || shape.c != cls->image.c || shape.h != cls->image.h || shape.w != cls->image.w)
    {
      g_autofree gchar *got = cnnfilt_shape_to_string (&shape);
      g_autofree gchar *want = cnnfilt_shape_to_string (&cls->image);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "preprocessing gives %s; the model takes %s", got, want);
      return FALSE;
    }
  gsize size = (gsize) shape.c * shape.h * shape.w;
  memcpy (cnnfilt_tensor_get_plane (w->batch, slot, 0), cnnfilt_tensor_get_data (out, NULL),
          size * sizeof (gfloat));
  return TRUE;
}

/* Runs the shared model on the worker's batch and copies the scores of
 * its first @n images out, so the lock is held only while the model runs.
 * A short last group runs at the full batch size all the same (the spare
 * images are the previous group's, their scores unused): preparing the
 * model for another batch size costs more than a few images. */
static gboolean
run_model (Classify *cls, ClassifyWorker *w, guint n, GError **error)
{
  g_mutex_lock (&cls->model_lock);
  gboolean ok = cnnfilt_graph_run (cls->model, &w->batch, 1, error);
  if (ok)
    {
      g_autoptr (CnnfiltTensor) out = cnnfilt_graph_get_output (cls->model, 0);
      memcpy (w->scores, cnnfilt_tensor_get_data (out, NULL), (gsize) n * cls->classes * sizeof (gfloat));
    }
  g_mutex_unlock (&cls->model_lock);
  return ok;
}

typedef struct {
  guint index;
  gdouble probability;
} Ranked;

static gint
by_probability (gconstpointer a, gconstpointer b)
{
  const Ranked *x = a, *y = b;
  if (x->probability != y->probability)
    return x->probability > y->probability ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The line printed for one image: its top classes and their probabilities. */
static gchar *
describe (Classify *cls, const gchar *path, const gfloat *scores)
{
  g_autofree Ranked *ranked = g_new (Ranked, cls->classes);
  gdouble max = -INFINITY, sum = 0;
  for (guint i = 0; i < cls->classes; i++)
    max = MAX (max, scores[i]);
  for (guint i = 0; i < cls->classes; i++)
    {
      /* softmax in double, shifted by the largest logit */
      ranked[i] = (Ranked) { i, cls->softmax ? exp ((gdouble) scores[i] - max) : scores[i] };
      sum += ranked[i].probability;
    }
  if (cls->softmax)
    for (guint i = 0; i < cls->classes; i++)
      ranked[i].probability /= sum;
  qsort (ranked, cls->classes, sizeof *ranked, (GCompareFunc) by_probability);

  GString *out = g_string_new (NULL);
  guint top = MIN (cls->top, cls->classes);
  if (cls->json)
    {
      g_string_append (out, "{\"file\": ");
      cli_json_string (out, path);
      g_string_append (out, ", \"top\": [");
      for (guint k = 0; k < top; k++)
        {
          g_string_append_printf (out, "%s{\"class\": %u", k ? ", " : "", ranked[k].index);
          if (cls->labels != NULL)
            {
              g_string_append (out, ", \"label\": ");
              cli_json_string (out, cls->labels[ranked[k].index]);
            }
          g_string_append_printf (out, ", \"probability\": %.6g}", ranked[k].probability);
        }
      g_string_append (out, "]}\n");
    }
  else
    {
      g_string_append_printf (out, "%s:", path);
      for (guint k = 0; k < top; k++)
        {
          if (cls->labels != NULL)
            g_string_append_printf (out, "%s %s", k ? "," : "", cls->labels[ranked[k].index]);
          else
            g_string_append_printf (out, "%s class %u", k ? "," : "", ranked[k].index);
          g_string_append_printf (out, " (%.1f%%)", 100 * ranked[k].probability);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
classify_process (Batch *batch, gpointer data, gpointer state, BatchJob **jobs, guint n)
{
  Classify *cls = data;
  ClassifyWorker *w = state;
  g_autofree BatchJob **ready = g_new (BatchJob *, n);
  guint k = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      if (prepare_image (cls, w, jobs[i]->input, k, &error))
        ready[k++] = jobs[i];
      else
        batch_job_failed (batch, jobs[i], error->message);
    }
  if (k == 0)
    return;
  g_autoptr (GError) error = NULL;
  if (!run_model (cls, w, k, &error))
    {
      for (guint i = 0; i < k; i++)
        batch_job_failed (batch, ready[i], error->message);
      return;
    }
  for (guint i = 0; i < k; i++)
    {
      ready[i]->text = describe (cls, ready[i]->input, w->scores + (gsize) i * cls->classes);
      batch_job_done (batch, ready[i]);
    }
}

/* Sizes the model's batch for the work at hand and checks the labels
 * against the classes it gives. */
static guint
classify_start (gpointer data, guint n_jobs, guint n_workers)
{
  Classify *cls = data;
  g_autoptr (GError) error = NULL;
  /* enough groups for every worker, none larger than --batch */
  if (!cls->fixed_batch)
    cls->batch = MAX (1, MIN (cls->batch, (n_jobs + n_workers - 1) / n_workers));
  CnnfiltShape shape = cls->image, output;
  shape.n = cls->batch;
  if (!cnnfilt_graph_prepare (cls->model, &shape, 1, &error) ||
      !cnnfilt_graph_get_output_shape (cls->model, 0, &output))
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&shape);
      fprintf (stderr, "%s: %s (with input %s)\n", cls->model_path,
               error ? error->message : "the model has no output", text);
      return 0;
    }
  if (output.h * output.w != 1)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&output);
      fprintf (stderr, "%s: its output is %s, not one score per class (a classifier's is Nx%ux1x1)\n",
               cls->model_path, text, output.c);
      return 0;
    }
  cls->classes = output.c;
  if (cls->labels != NULL && g_strv_length (cls->labels) != cls->classes)
    {
      cli_error ("classify: %s has %u labels, but the model gives %u classes", cls->labels_path,
                 g_strv_length (cls->labels), cls->classes);
      return 0;
    }
  return cls->batch;
}

/* One label per line; a final empty line is not a label. */
static gchar **
read_labels (const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  gchar **lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  if (n > 0 && lines[n - 1][0] == '\0')
    {
      g_free (lines[n - 1]);
      lines[n - 1] = NULL;
    }
  for (gchar **line = lines; *line != NULL; line++)
    g_strchomp (*line); /* \r of DOS files, trailing blanks */
  return lines;
}

/* The last node of @graph runs softmax: the model gives probabilities. */
static gboolean
ends_in_softmax (CnnfiltGraph *graph)
{
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  guint n = g_strv_length (names);
  CnnfiltOp *op = n > 0 ? cnnfilt_graph_get_op (graph, names[n - 1]) : NULL;
  return op != NULL && g_str_equal (cnnfilt_op_get_name (op), "softmax");
}

/* The shape @pipeline makes of any image, found by preparing it for two
 * colour photos of different sizes. FALSE with @error set when it cannot
 * be prepared for them; FALSE alone when the shapes differ (the pipeline
 * keeps the image's size). */
static gboolean
pipeline_output_shape (CnnfiltGraph *pipeline, CnnfiltShape *shape, GError **error)
{
  const CnnfiltShape photos[2] = { { 1, 3, 480, 640 }, { 1, 3, 375, 500 } };
  CnnfiltShape out[2];
  for (guint i = 0; i < 2; i++)
    if (!cnnfilt_graph_prepare (pipeline, &photos[i], 1, error))
      return FALSE;
    else if (!cnnfilt_graph_get_output_shape (pipeline, 0, &out[i]))
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT, "it has no output");
        return FALSE;
      }
  if (memcmp (&out[0], &out[1], sizeof out[0]) != 0)
    return FALSE;
  *shape = out[0];
  return TRUE;
}

int
command_classify (int argc, char **argv)
{
  BatchOptions options;
  batch_options_init (&options, FALSE, 0);
  g_autofree GOptionEntry *entries = batch_option_entries (&options);
  g_autofree gchar *model_path = NULL, *labels_path = NULL, *preprocess = NULL;
  g_autofree gchar *mean = NULL, *std = NULL;
  gint top = 5, size = 0, resize = 0, batch_size = G_MININT; /* G_MININT: not given */
  gboolean json = FALSE, full_decode = FALSE;
  GOptionEntry own[] = {
    { "full-decode", 0, 0, G_OPTION_ARG_NONE, &full_decode,
      "Decode large photos at full resolution before resizing, as torchvision does "
      "(slower; memory as the whole image)", NULL },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "The ONNX model (required)", "MODEL.onnx" },
    { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &labels_path,
      "Class names, one per line in class order", "FILE" },
    { "top", 'k', 0, G_OPTION_ARG_INT, &top, "Classes shown per image (default 5)", "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per image and line, for scripts", NULL },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      "Side of the square centre crop the model sees (default: the model's input size, "
      "224 where it leaves the size free)", "N" },
    { "resize", 'r', 0, G_OPTION_ARG_INT, &resize,
      "Shorter side after resizing, before the crop (default: size × 256/224)", "N" },
    { "mean", 0, 0, G_OPTION_ARG_STRING, &mean,
      "Subtracted per channel (default ImageNet's 0.485,0.456,0.406)", "M,M,M" },
    { "std", 0, 0, G_OPTION_ARG_STRING, &std,
      "Divided by per channel (default ImageNet's 0.229,0.224,0.225)", "S,S,S" },
    { "preprocess", 'p', 0, G_OPTION_ARG_STRING, &preprocess,
      "A pipeline replacing the default preprocessing", "PIPELINE" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch_size,
      "Images per model run (default 8, or the batch size the model fixes)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("-m MODEL.onnx INPUT… — classify images");
  g_option_context_add_main_entries (context, own, NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Prints the top classes of each image, one line per image in input order:\n"
      "  photos/cat.jpg: LABEL (P%), LABEL (P%), …\n"
      "INPUT is image files and folders; folders are walked recursively.");
  g_option_context_set_description (
      context,
      "Preprocessing, as torchvision's evaluation transform: colour (or grey, for a\n"
      "one-channel model), resize the shorter side to --resize, crop the centre\n"
      "--size × --size (the model's declared input size by default, 224 where the\n"
      "model leaves it free), standardize with --mean and --std. --preprocess replaces\n"
      "all of it with any pipeline whose output has the model's input shape, such as\n"
      "  'grayscale ! resize width=32 height=32'\n"
      "(for a model of free size, the size that pipeline makes).\n"
      "Probabilities are the softmax of the model's output, unless the model ends in\n"
      "a softmax itself.\n"
      "\n"
      "A file that fails is reported as 'PATH: reason' on stderr and the others go on;\n"
      "the exit status is then 1. A model that cannot be read or used, or a wrong\n"
      "option, exits with 2 before any image is read.");

  int status = EXIT_USAGE;
  Classify cls = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltDevice) device = NULL;
  g_autoptr (CnnfiltGraph) check = NULL;
  if (!cli_parse (context, &argc, &argv, "classify"))
    goto out;
  if (model_path == NULL)
    {
      cli_error ("classify: give the model with -m MODEL.onnx (see 'cnnfilt classify --help')");
      goto out;
    }
  const struct {
    const gchar *option;
    gint value, least;
    const gchar *expected;
  } numbers[] = {
    { "top", top, 1, "1 or more classes" },
    { "batch", batch_size == G_MININT ? 8 : batch_size, 1, "1 or more images" },
    { "size", size, 0, "a side in pixels (0: the model's input size)" },
    { "resize", resize, 0, "a side in pixels (0: size × 256/224)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (numbers[i].value < numbers[i].least)
      {
        cli_error ("classify: --%s %d: expected %s", numbers[i].option, numbers[i].value,
                   numbers[i].expected);
        goto out;
      }
  if (!batch_check_options (&options))
    goto out;
  if ((device = batch_device (&options)) == NULL)
    goto out;
  if ((cls.model = cli_load_model (model_path)) == NULL)
    goto out;
  cnnfilt_graph_set_device (cls.model, device);
  if (options.trace)
    g_object_set (cls.model, "trace", TRUE, NULL);
  /* The model's own dimensions; the free ones from --size, the
   * --preprocess pipeline's output, or assumed. */
  CnnfiltShape declared = { 0 };
  cnnfilt_graph_get_input_shape (cls.model, 0, &declared);
  if (declared.n > 0 && batch_size > 0 && (guint) batch_size != declared.n)
    {
      cli_error ("classify: --batch %d: the model's batch size is fixed at %u", batch_size,
                 declared.n);
      goto out;
    }
  cli_model_input_shape (cls.model, &cls.image);
  if (size > 0)
    cls.image.h = cls.image.w = (guint) size;
  cls.preprocess = preprocess ? g_strdup (preprocess)
                              : cnnfilt_imagenet_pipeline (&cls.image, (guint) resize, mean, std);
  /* the default pipeline resizes first, so a large photo can be decoded
   * reduced; a custom one may crop first, at full resolution */
  cls.shrink_to = preprocess || full_decode ? 0 : cnnfilt_imagenet_resize (&cls.image, (guint) resize);
  cls.options = &options;
  if ((check = cnnfilt_graph_new_from_string (cls.preprocess, &error)) == NULL)
    {
      cli_error ("classify: preprocessing '%s': %s", cls.preprocess, error->message);
      goto out;
    }
  CnnfiltShape made;
  gboolean free_size = size == 0 && (declared.h == 0 || declared.w == 0);
  if (preprocess != NULL && free_size)
    {
      if (!pipeline_output_shape (check, &made, &error))
        {
          if (error != NULL)
            cli_error ("classify: --preprocess '%s': %s; the model leaves its input size free, "
                       "so give --size", preprocess, error->message);
          else
            cli_error ("classify: --preprocess '%s' keeps each image's size, and the model leaves "
                       "its input size free: end the pipeline with resize or center-crop, or give "
                       "--size", preprocess);
          goto out;
        }
      cls.image.c = declared.c ? declared.c : made.c;
      cls.image.h = declared.h ? declared.h : made.h;
      cls.image.w = declared.w ? declared.w : made.w;
    }
  else if (free_size && !options.quiet)
    fprintf (stderr, "%s: input height and width are free; assumed %u×%u (give --size)\n",
             model_path, cls.image.h, cls.image.w);
  if (labels_path != NULL && (cls.labels = read_labels (labels_path, &error)) == NULL)
    {
      cli_error ("classify: --labels %s", error->message);
      goto out;
    }
  cls.softmax = !ends_in_softmax (cls.model);
  cls.top = (guint) top;
  cls.json = json;
  cls.fixed_batch = declared.n > 0;
  cls.batch = declared.n > 0 ? declared.n : batch_size > 0 ? (guint) batch_size : 8;
  g_mutex_init (&cls.model_lock);
  cls.model_path = model_path;
  cls.labels_path = labels_path;
  const BatchHandler handler = {
    .verb = "classified",
    .start = classify_start,
    .ops_threaded = TRUE,
    .device = device,
    .data = &cls,
    .worker_new = classify_worker_new,
    .worker_free = classify_worker_free,
    .process = classify_process,
  };
  status = batch_process (&handler, &options, argv + 1);
  g_mutex_clear (&cls.model_lock);

out:
  g_clear_object (&cls.model);
  g_free (cls.preprocess);
  g_strfreev (cls.labels);
  batch_options_clear (&options);
  return status;
}
