/* onnx-node-tests.c: the ONNX backend node tests, through the importer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: onnx-node-tests NODE_DIR UNSUPPORTED_LIST [PATTERN...]
 *
 * NODE_DIR holds ONNX's test_* folders (Debian libonnx-testdata:
 * /usr/share/libonnx-testdata/data/node), each a model.onnx and
 * test_data_set_N/ folders of input_K.pb and output_K.pb TensorProtos.
 * For every folder whose name matches the patterns below (or those given on
 * the command line), and every data set in it:
 *
 *  - inputs that the node's op takes as constants (an entry of the op
 *    class's onnx_inputs other than `-`: Conv's weights, Reshape's shape)
 *    are written into the model as initializers, as an exporter would;
 *  - the model is imported with cnnfilt_graph_new_from_onnx_bytes() and
 *    run on the other inputs;
 *  - every output is checked against output_K.pb: the shape (with trailing
 *    1s up to four dims) and the values with ONNX's backend tolerance,
 *    numpy.allclose (|got - want| <= atol + rtol·|want|, rtol 1e-3,
 *    atol 1e-7).
 *
 * UNSUPPORTED_LIST (tests/onnx/unsupported.txt) names the tests this
 * library deliberately does not support, `test_name<TAB>reason`. Those must
 * fail cleanly, with a GError from the importer or the graph, and are then
 * reported as skipped with the reason; one that imports and runs is a
 * failure (the list is stale, or the importer accepted what it should have
 * refused). Every other matched test must pass.
 *
 * Prints TAP: `ok N - test_name`, `not ok N - test_name: reason`,
 * `ok N - test_name # SKIP reason`; a test with several data sets is
 * counted once per set, as `test_name/test_data_set_K`. Ends with
 * `# N passed, N failed, N skipped`.
 */
#include <cnnfilt.h>
#include "onnx.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL 1e-3
#define ATOL 1e-7

/* The tests of the ops this library implements (tests/onnx/README.md). */
static const gchar *const default_patterns[] = {
  "test_conv_*", "test_maxpool_*", "test_averagepool_*", "test_globalaveragepool*",
  "test_globalmaxpool*", "test_batchnorm_example*", "test_batchnorm_epsilon*", "test_relu",
  "test_leakyrelu*", "test_sigmoid*", "test_tanh*", "test_clip*", "test_prelu*", "test_lrn*",
  "test_gemm_*", "test_flatten_*", "test_softmax_*", "test_add*", "test_mul*", "test_concat_*",
  "test_dropout_default*", "test_identity*", "test_constant_pad", "test_edge_pad",
  "test_reflect_pad", "test_reshape_*", "test_hardsigmoid*", "test_hardswish*", "test_elu*",
  "test_selu*", "test_softplus*", "test_exp", "test_exp_example", "test_neg*", "test_sqrt*",
  "test_erf", "test_celu_expanded", "test_sub*", "test_div*", "test_pow*", "test_reduce_mean_*",
  "test_reduce_max_*", "test_reduce_sum_default_*", "test_reduce_sum_do_not_keepdims_*",
  "test_reduce_sum_keepdims_*", "test_reduce_sum_negative_axes_*", "test_reduce_sum_empty_axes_*",
  "test_log", "test_log_example", "test_logsoftmax_*", "test_transpose_*", "test_matmul_*",
  "test_layer_normalization_?d_axis?", "test_layer_normalization_?d_axis?_epsilon",
  "test_layer_normalization_?d_axis_negative_?", "test_layer_normalization_?d_axis_negative_?_epsilon",
  "test_layer_normalization_default_axis",
  "test_instancenorm_*", "test_slice*", "test_split_*",
  "test_convtranspose*", "test_resize_*", "test_upsample_*", "test_squeeze*",
  "test_unsqueeze*", "test_gather_0", "test_gather_1", "test_gather_2d_indices",
  "test_gather_negative_indices", "test_expand_*",
  NULL,
};

typedef struct {
  guint number;
  guint passed, failed, skipped;
} Tally;

typedef struct {
  const gchar *name;       /* the TAP description */
  const gchar *unsupported; /* the listed reason, or NULL */
} Case;

static void G_GNUC_PRINTF (3, 4)
report (Tally *tally, const Case *test, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *reason = format ? g_strdup_vprintf (format, args) : NULL;
  va_end (args);
  tally->number++;
  if (reason == NULL)
    {
      printf ("ok %u - %s\n", tally->number, test->name);
      tally->passed++;
    }
  else
    {
      /* one line: TAP reads the description up to the newline */
      g_strdelimit (reason, "\n#", ' ');
      printf ("not ok %u - %s: %s\n", tally->number, test->name, reason);
      tally->failed++;
    }
  fflush (stdout);
}

/* A test that fails as a listed unsupported test must: skipped. */
static void
report_refused (Tally *tally, const Case *test, const GError *error)
{
  tally->number++;
  tally->skipped++;
  g_autofree gchar *reason = g_strdup (test->unsupported);
  g_strdelimit (reason, "\n#", ' ');
  printf ("ok %u - %s # SKIP %s\n", tally->number, test->name, reason);
  if (error != NULL)
    {
      g_autofree gchar *message = g_strdup (error->message);
      g_strdelimit (message, "\n", ' ');
      printf ("#   refused with: %s\n", message);
    }
  fflush (stdout);
}

/* tests/onnx/unsupported.txt: test name -> reason. */
static GHashTable *
read_unsupported (const gchar *path, GError **error)
{
  g_autofree gchar *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strstrip (lines[i]);
      if (*line == '\0' || *line == '#')
        continue;
      gchar *tab = strchr (line, '\t');
      if (tab == NULL)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s:%u: expected test_name<TAB>reason", path, i + 1);
          g_hash_table_unref (table);
          return NULL;
        }
      *tab = '\0';
      g_hash_table_insert (table, g_strdup (g_strstrip (line)), g_strdup (g_strstrip (tab + 1)));
    }
  return table;
}

static Onnx__TensorProto *
read_tensor (const gchar *path, GError **error)
{
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  Onnx__TensorProto *tensor = onnx__tensor_proto__unpack (NULL, length, (const guint8 *) contents);
  if (tensor == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a TensorProto", path);
  return tensor;
}

static void
tensor_proto_free (Onnx__TensorProto *tensor)
{
  if (tensor)
    onnx__tensor_proto__free_unpacked (tensor, NULL);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Onnx__TensorProto, tensor_proto_free)

static gchar *
format_dims (const Onnx__TensorProto *tensor)
{
  GString *text = g_string_new ("(");
  for (gsize i = 0; i < tensor->n_dims; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i ? "," : "", tensor->dims[i]);
  g_string_append (text, ")");
  return g_string_free (text, FALSE);
}

/* A float32 TensorProto's values, with its dims padded to four with
 * trailing 1s. */
static gfloat *
tensor_values (const Onnx__TensorProto *tensor, guint dims[4], gsize *n, GError **error)
{
  if (tensor->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || tensor->n_dims > 4)
    {
      g_autofree gchar *shape = format_dims (tensor);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "data type %d, dims %s: the runner reads float32 tensors of rank 4 at most",
                   tensor->data_type, shape);
      return NULL;
    }
  *n = 1;
  for (guint i = 0; i < 4; i++)
    {
      dims[i] = i < tensor->n_dims ? tensor->dims[i] : 1;
      *n *= dims[i];
    }
  if (*n == 0)
    return g_new0 (gfloat, 1); /* empty: the caller's tensor refuses it */
  if (tensor->has_raw_data && tensor->raw_data.len > 0)
    {
      if (tensor->raw_data.len != *n * sizeof (gfloat))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "raw_data size mismatch");
          return NULL;
        }
      gfloat *values = g_new (gfloat, *n);
      for (gsize i = 0; i < *n; i++)
        {
          guint32 bits;
          memcpy (&bits, tensor->raw_data.data + 4 * i, 4);
          bits = GUINT32_FROM_LE (bits);
          memcpy (values + i, &bits, 4);
        }
      return values;
    }
  if (tensor->n_float_data != *n)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "float_data size mismatch");
      return NULL;
    }
  return g_memdup2 (tensor->float_data, *n * sizeof (gfloat));
}

/* Whether graph input @name holds integers (INT64 or INT32). */
static gboolean
is_integer_input (const Onnx__GraphProto *graph, const gchar *name)
{
  for (gsize i = 0; i < graph->n_input; i++)
    {
      const Onnx__TypeProto *type = graph->input[i]->type;
      if (g_strcmp0 (graph->input[i]->name, name) == 0 && type != NULL &&
          type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && type->tensor_type != NULL)
        return type->tensor_type->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
               type->tensor_type->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    }
  return FALSE;
}

/* Whether input @name of the model is one its node takes as a constant:
 * the op class's onnx_inputs says so for that position; a node that no op
 * class implements, which the importer writes itself (Split, one slice per
 * output), takes its integer inputs after the first (Split's sizes) as
 * constants. */
static gboolean
is_constant_input (const Onnx__GraphProto *graph, const gchar *name)
{
  for (gsize i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *node = graph->node[i];
      for (gsize j = 0; j < node->n_input; j++)
        {
          if (!g_str_equal (node->input[j], name))
            continue;
          GType type = cnnfilt_registry_lookup_onnx (node->op_type ? node->op_type : "");
          if (type == G_TYPE_INVALID && j > 0 && is_integer_input (graph, name))
            return TRUE;
          if (type == G_TYPE_INVALID)
            continue;
          CnnfiltOpClass *klass = g_type_class_ref (type);
          gboolean constant = FALSE;
          if (klass->onnx_inputs != NULL)
            {
              g_auto (GStrv) entries = g_strsplit_set (klass->onnx_inputs, " \t\n", -1);
              guint k = 0;
              for (guint e = 0; entries[e] != NULL; e++)
                if (*entries[e] != '\0' && k++ == j)
                  constant = !g_str_equal (entries[e], "-");
            }
          g_type_class_unref (klass);
          if (constant)
            return TRUE;
        }
    }
  return FALSE;
}

static void
model_free (Onnx__ModelProto *model)
{
  if (model)
    onnx__model_proto__free_unpacked (model, NULL);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Onnx__ModelProto, model_free)

/* The devices every case runs on: the CPU, and the OpenCL device
 * CNNFILT_TEST_OPENCL names (default "opencl", "0" for none) where one
 * exists. */
static CnnfiltDevice *run_devices[3];

static void
find_devices (void)
{
  run_devices[0] = cnnfilt_device_new_from_string ("cpu", NULL);
  const gchar *spec = g_getenv ("CNNFILT_TEST_OPENCL");
  if (g_strcmp0 (spec, "0") != 0)
    run_devices[1] = cnnfilt_device_new_from_string (spec != NULL && *spec ? spec : "opencl", NULL);
}

/* Runs @cnn_graph on the inputs and compares every output with the case's;
 * NULL when all match, else what is wrong. */
static gchar *
run_and_compare (CnnfiltGraph *cnn_graph, Onnx__GraphProto *graph, const gchar *dir,
                 const gchar *set, GPtrArray *data_inputs, gboolean *refused,
                 GError **library_error)
{
  g_autoptr (GError) error = NULL;
  if (!cnnfilt_graph_run (cnn_graph, (CnnfiltTensor **) data_inputs->pdata, data_inputs->len,
                          &error))
    {
      *refused = TRUE;
      g_propagate_error (library_error, g_steal_pointer (&error));
      return g_strdup_printf ("run: %s", (*library_error)->message);
    }
  if (cnnfilt_graph_get_n_outputs (cnn_graph) != graph->n_output)
    return g_strdup_printf ("%u outputs, %" G_GSIZE_FORMAT " expected",
                            cnnfilt_graph_get_n_outputs (cnn_graph), graph->n_output);

  for (gsize k = 0; k < graph->n_output; k++)
    {
      g_autofree gchar *file = g_strdup_printf ("output_%" G_GSIZE_FORMAT ".pb", k);
      g_autofree gchar *path = g_build_filename (dir, set, file, NULL);
      g_autoptr (Onnx__TensorProto) tensor = read_tensor (path, &error);
      if (tensor == NULL)
        return g_strdup (error->message);
      guint dims[4];
      gsize n = 0;
      g_autofree gfloat *want = tensor_values (tensor, dims, &n, &error);
      if (want == NULL)
        return g_strdup_printf ("output %" G_GSIZE_FORMAT ": %s", k, error->message);
      g_autoptr (CnnfiltTensor) output = cnnfilt_graph_get_output (cnn_graph, k);
      if (output == NULL)
        return g_strdup_printf ("output %" G_GSIZE_FORMAT " missing", k);
      CnnfiltShape shape, expected = { dims[0], dims[1], dims[2], dims[3] };
      cnnfilt_tensor_get_shape (output, &shape);
      if (!cnnfilt_shape_equal (&shape, &expected))
        {
          g_autofree gchar *got = cnnfilt_shape_to_string (&shape);
          g_autofree gchar *wanted = cnnfilt_shape_to_string (&expected);
          g_autofree gchar *onnx = format_dims (tensor);
          return g_strdup_printf ("output %" G_GSIZE_FORMAT ": shape %s, expected %s (ONNX %s)",
                                  k, got, wanted, onnx);
        }
      const gfloat *got = cnnfilt_tensor_get_data (output, NULL);
      gdouble worst = 0, worst_excess = 0;
      gssize worst_index = -1;
      guint bad = 0;
      for (gsize i = 0; i < n; i++)
        {
          gdouble a = got[i], b = want[i];
          if ((isnan (a) && isnan (b)) || a == b)
            continue;
          gdouble difference = fabs (a - b);
          gdouble excess = isnan (difference) ? INFINITY : difference - (ATOL + RTOL * fabs (b));
          if (excess > 0)
            {
              bad++;
              if (worst_index < 0 || excess > worst_excess)
                worst_excess = excess, worst = difference, worst_index = i;
            }
        }
      if (bad > 0)
        {
          gsize i = worst_index;
          guint w = i % dims[3], h = i / dims[3] % dims[2], c = i / dims[3] / dims[2] % dims[1],
                b = i / dims[3] / dims[2] / dims[1];
          return g_strdup_printf ("output %" G_GSIZE_FORMAT ": %u of %" G_GSIZE_FORMAT
                                  " values off (max error %g at index (%u,%u,%u,%u): got %.9g, "
                                  "expected %.9g)", k, bad, n, worst, b, c, h, w,
                                  got[i], want[i]);
        }
    }
  return NULL;
}

/* Runs one data set; returns NULL when every output matches, else why not.
 * *refused is set when the failure is a GError of the library (import or
 * run), the only way an unsupported test may fail. */
static gchar *
run_data_set (const gchar *dir, const gchar *set, gboolean *refused, GError **library_error)
{
  *refused = FALSE;
  g_autofree gchar *model_path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (model_path, &contents, &length, &error))
    return g_strdup (error->message);
  g_autoptr (Onnx__ModelProto) model =
    onnx__model_proto__unpack (NULL, length, (const guint8 *) contents);
  if (model == NULL || model->graph == NULL)
    return g_strdup_printf ("%s: the runner cannot decode it", model_path);
  Onnx__GraphProto *graph = model->graph;

  /* Constant inputs become initializers; the others are the graph's inputs. */
  g_autoptr (GArray) data_indices = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize k = 0; k < graph->n_input; k++)
    {
      const gchar *name = graph->input[k]->name ? graph->input[k]->name : "";
      if (!is_constant_input (graph, name))
        {
          g_array_append_val (data_indices, k);
          continue;
        }
      g_autofree gchar *file = g_strdup_printf ("input_%" G_GSIZE_FORMAT ".pb", k);
      g_autofree gchar *path = g_build_filename (dir, set, file, NULL);
      Onnx__TensorProto *tensor = read_tensor (path, &error);
      if (tensor == NULL)
        return g_strdup (error->message);
      free (tensor->name);
      tensor->name = strdup (name);
      graph->initializer = realloc (graph->initializer,
                                    (graph->n_initializer + 1) * sizeof (Onnx__TensorProto *));
      graph->initializer[graph->n_initializer++] = tensor;
    }

  gsize packed_size = onnx__model_proto__get_packed_size (model);
  guint8 *packed = g_malloc (MAX (packed_size, 1));
  onnx__model_proto__pack (model, packed);
  g_autoptr (GBytes) bytes = g_bytes_new_take (packed, packed_size);
  g_autoptr (CnnfiltGraph) cnn_graph = cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  if (cnn_graph == NULL)
    {
      *refused = TRUE;
      g_propagate_error (library_error, g_steal_pointer (&error));
      return g_strdup_printf ("import: %s", (*library_error)->message);
    }

  g_autoptr (GPtrArray) data_inputs = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < data_indices->len; i++)
    {
      gsize k = g_array_index (data_indices, gsize, i);
      g_autofree gchar *file = g_strdup_printf ("input_%" G_GSIZE_FORMAT ".pb", k);
      g_autofree gchar *path = g_build_filename (dir, set, file, NULL);
      g_autoptr (Onnx__TensorProto) tensor = read_tensor (path, &error);
      if (tensor == NULL)
        return g_strdup (error->message);
      guint dims[4];
      gsize n = 0;
      g_autofree gfloat *values = tensor_values (tensor, dims, &n, &error);
      if (values == NULL)
        return g_strdup_printf ("input %" G_GSIZE_FORMAT ": %s", k, error->message);
      CnnfiltTensor *input = cnnfilt_tensor_new_from_data (values, n, dims[0], dims[1], dims[2],
                                                           dims[3], &error);
      if (input == NULL)
        {
          /* an empty tensor, which the library cannot hold: refused */
          *refused = TRUE;
          g_propagate_error (library_error, g_steal_pointer (&error));
          return g_strdup_printf ("input %" G_GSIZE_FORMAT ": %s", k, (*library_error)->message);
        }
      g_ptr_array_add (data_inputs, input);
    }
  /* On the CPU, then on the OpenCL device where there is one: the same
   * outputs, to the same tolerance. */
  for (guint d = 0; d < G_N_ELEMENTS (run_devices) && run_devices[d] != NULL; d++)
    {
      cnnfilt_graph_set_device (cnn_graph, run_devices[d]);
      gchar *problem = run_and_compare (cnn_graph, graph, dir, set, data_inputs, refused,
                                        library_error);
      if (problem != NULL)
        {
          if (d == 0)
            return problem;
          gchar *named = g_strdup_printf ("on %s: %s", cnnfilt_device_get_name (run_devices[d]),
                                          problem);
          g_free (problem);
          *refused = FALSE; /* refused on the CPU is a refusal; on a device, a failure */
          return named;
        }
    }
  return NULL;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* The entries of @dir whose names start with @prefix, sorted. */
static GPtrArray *
list_dir (const gchar *dir, const gchar *prefix)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  return names;
}

static gboolean
matches (const gchar *name, const gchar *const *patterns)
{
  for (guint i = 0; patterns[i] != NULL; i++)
    if (g_pattern_match_simple (patterns[i], name))
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s NODE_DIR UNSUPPORTED_LIST [PATTERN...]\n", argv[0]);
      return 2;
    }
  const gchar *node_dir = argv[1];
  const gchar *const *patterns = argc > 3 ? (const gchar *const *) argv + 3 : default_patterns;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) unsupported = read_unsupported (argv[2], &error);
  if (unsupported == NULL)
    {
      printf ("Bail out! %s\n", error->message);
      return 2;
    }
  if (!g_file_test (node_dir, G_FILE_TEST_IS_DIR))
    {
      printf ("1..0 # SKIP %s not found (Debian: libonnx-testdata)\n", node_dir);
      return 0;
    }
  cnnfilt_init (NULL);
  find_devices ();

  Tally tally = { 0 };
  g_autoptr (GHashTable) listed_seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) tests = list_dir (node_dir, "test_");
  for (guint t = 0; t < tests->len; t++)
    {
      const gchar *name = tests->pdata[t];
      if (!matches (name, patterns))
        continue;
      g_autofree gchar *dir = g_build_filename (node_dir, name, NULL);
      g_autoptr (GPtrArray) sets = list_dir (dir, "test_data_set_");
      const gchar *reason = g_hash_table_lookup (unsupported, name);
      if (reason != NULL)
        g_hash_table_add (listed_seen, (gpointer) name);
      if (sets->len == 0)
        {
          Case test = { name, reason };
          report (&tally, &test, "no test_data_set_* folder");
          continue;
        }
      for (guint s = 0; s < sets->len; s++)
        {
          g_autofree gchar *label = sets->len == 1 ? g_strdup (name)
                                    : g_strdup_printf ("%s/%s", name, (gchar *) sets->pdata[s]);
          Case test = { label, reason };
          gboolean refused = FALSE;
          g_autoptr (GError) library_error = NULL;
          g_autofree gchar *failure = run_data_set (dir, sets->pdata[s], &refused, &library_error);
          if (reason != NULL && refused)
            report_refused (&tally, &test, library_error);
          else if (reason != NULL)
            report (&tally, &test, "listed in unsupported.txt (%s), but %s; take it off the list "
                    "or make the importer refuse it", reason,
                    failure ? failure : "it imports, runs and matches");
          else if (failure != NULL)
            report (&tally, &test, "%s", failure);
          else
            report (&tally, &test, NULL);
        }
    }

  /* A listed name that matches nothing is a stale entry. */
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, unsupported);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (argc == 3 && !g_hash_table_contains (listed_seen, key))
      {
        Case test = { key, NULL };
        report (&tally, &test, "listed in unsupported.txt but no such test matched in %s",
                node_dir);
      }

  printf ("1..%u\n", tally.number);
  printf ("# %u passed, %u failed, %u skipped\n", tally.passed, tally.failed, tally.skipped);
  return tally.failed > 0 ? 1 : 0;
}
