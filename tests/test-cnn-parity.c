/* test-cnn-parity.c: the cnn plugin's ops against PyTorch
 *
 * One test case per folder of tests/data/cnn (written by
 * tests/reference/make-cnn-reference.py), found when the test starts, so a
 * new case needs no change here. A folder holds op.txt (a pipeline in
 * cnnfilt's syntax naming .npy files in the folder), the inputs, the op's
 * tensor properties and expected.npy, PyTorch's output computed in float64
 * and rounded to float32.
 *
 *   input.npy present:  the pipeline is built with
 *                       cnnfilt_graph_new_from_string() and run with
 *                       cnnfilt_graph_process()
 *   input0.npy ...:     (add, mul, concat) the one op of op.txt is built
 *                       with cnnfilt_op_new() and
 *                       cnnfilt_op_set_property_from_string(), added to a
 *                       graph after one graph input per file (a const<i>.npy
 *                       in place of input<i>.npy: a graph constant, as ONNX
 *                       initializers are), and run with cnnfilt_graph_run()
 *
 * Either way the case runs inside its folder, so that op.txt's relative
 * file names resolve. Each case also runs in variants, each on a graph of
 * its own: every other value of an op's `algorithm` property (conv2d's gemm
 * and reference paths, the pooling ops' reference loops), conv2d's
 * `winograd` off, and the graph's `fuse` off where it has several ops. All
 * must match PyTorch; a failure lists each variant that does not.
 *
 * Tolerance: every value must satisfy
 *
 *   |got - want| <= 1e-4 * max (|want|, 1e-2 * max (1, peak))
 *
 * where peak is the largest |want| of the case's expected tensor: 1e-4
 * relative, with an absolute floor of 1e-6 for outputs of order one (1e-6 of
 * the peak for larger ones) so that values near zero, where float32
 * accumulation order alone moves the last bits of a sum of large terms, do
 * not need relative agreement. The reference is exact to float32 rounding.
 *
 * The data folder is the first argument, else $CNNFILT_CNN_DATA_DIR, else
 * CNN_DATA_DIR (set by meson to the source tree's tests/data/cnn).
 * CNN_PARITY_VERBOSE=1 prints each run's worst |got - want| / tolerance on
 * stderr.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define RELATIVE_TOLERANCE 1e-4
#define FLOOR_FRACTION     1e-2

/* Absolute paths of the case folders, sorted. */
static GPtrArray *cases;

static CnnfiltTensor *
load_npy (const gchar *name)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *tensor = cnnfilt_tensor_new_from_npy_file (name, &error);
  ck_assert_msg (tensor != NULL, "cannot load %s: %s", name,
                 error ? error->message : "(no error)");
  return tensor;
}

static gchar *
read_op_text (void)
{
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;
  ck_assert_msg (g_file_get_contents ("op.txt", &text, NULL, &error), "cannot read op.txt: %s",
                 error ? error->message : "(no error)");
  return g_strstrip (text);
}

/* The graph of a case folder (the current folder). A pipeline when there is
 * an input.npy; otherwise the one op of @text on input<i>.npy (graph
 * inputs, appended to @inputs) and const<i>.npy (graph constants). */
static CnnfiltGraph *
build_graph (const gchar *text, GPtrArray *inputs)
{
  g_autoptr (GError) error = NULL;
  if (g_file_test ("input.npy", G_FILE_TEST_EXISTS))
    {
      CnnfiltGraph *graph = cnnfilt_graph_new_from_string (text, &error);
      ck_assert_msg (graph != NULL, "'%s' does not parse: %s", text,
                     error ? error->message : "(no error)");
      g_ptr_array_add (inputs, load_npy ("input.npy"));
      return graph;
    }

  g_auto (GStrv) words = NULL;
  ck_assert_msg (strchr (text, '!') == NULL, "'%s': multi-input cases take one op", text);
  ck_assert_msg (g_shell_parse_argv (text, NULL, &words, &error), "op.txt '%s': %s", text,
                 error ? error->message : "(no error)");
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new (words[0], &error);
  ck_assert_msg (op != NULL, "op '%s': %s", words[0], error ? error->message : "(no error)");
  for (gchar **word = words + 1; *word != NULL; word++)
    {
      const gchar *eq = strchr (*word, '=');
      ck_assert_msg (eq != NULL && eq != *word, "op.txt '%s': '%s' is not key=value", text, *word);
      g_autofree gchar *key = g_strndup (*word, eq - *word);
      ck_assert_msg (cnnfilt_op_set_property_from_string (op, key, eq + 1, &error),
                     "%s %s=%s: %s", words[0], key, eq + 1, error ? error->message : "(no error)");
    }

  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0;; i++)
    {
      g_autofree gchar *input = g_strdup_printf ("input%u.npy", i);
      g_autofree gchar *constant = g_strdup_printf ("const%u.npy", i);
      gchar *name = g_strdup_printf ("input%u", i);
      g_ptr_array_add (names, name);
      if (g_file_test (input, G_FILE_TEST_EXISTS))
        {
          ck_assert_msg (cnnfilt_graph_add_input (graph, name, &error), "add_input %s: %s", name,
                         error ? error->message : "(no error)");
          g_ptr_array_add (inputs, load_npy (input));
        }
      else if (g_file_test (constant, G_FILE_TEST_EXISTS))
        {
          g_autoptr (CnnfiltTensor) value = load_npy (constant);
          ck_assert_msg (cnnfilt_graph_add_constant (graph, name, value, &error),
                         "add_constant %s: %s", name, error ? error->message : "(no error)");
        }
      else
        {
          g_ptr_array_remove_index (names, i);
          break;
        }
    }
  ck_assert_msg (names->len > 0, "no input.npy, input0.npy or const0.npy");
  g_ptr_array_add (names, NULL);
  ck_assert_msg (cnnfilt_graph_add_node (graph, "output", op,
                                         (const gchar * const *) names->pdata, &error),
                 "add_node '%s': %s", text, error ? error->message : "(no error)");
  return g_steal_pointer (&graph);
}

/* Variants: besides the graph as built, each case runs with every other
 * value of the ops' `algorithm` enum (conv2d's gemm and reference paths,
 * the reference loops of the pooling ops ...), with conv2d's `winograd`
 * off, and, for graphs of several ops, with the graph's `fuse` off; each
 * must match PyTorch on its own. A variant sets its property on every op
 * that has it with that value and leaves the others as they are. */
typedef struct {
  gchar *property;
  gchar *value;
  gboolean on_graph;
} Variant;

static void
variant_free (gpointer data)
{
  Variant *variant = data;
  g_free (variant->property);
  g_free (variant->value);
  g_free (variant);
}

static void
add_variant (GPtrArray *variants, const gchar *property, const gchar *value, gboolean on_graph)
{
  for (guint i = 0; i < variants->len; i++)
    {
      Variant *v = variants->pdata[i];
      if (g_str_equal (v->property, property) && g_str_equal (v->value, value))
        return;
    }
  Variant *variant = g_new0 (Variant, 1);
  variant->property = g_strdup (property);
  variant->value = g_strdup (value);
  variant->on_graph = on_graph;
  g_ptr_array_add (variants, variant);
}

/* Whether @op has @property and @value is one it takes (an enum nick of
 * it, or any value for other types). */
static gboolean
op_takes (CnnfiltOp *op, const gchar *property, const gchar *value)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), property);
  if (spec == NULL || !(spec->flags & G_PARAM_WRITABLE))
    return FALSE;
  if (G_IS_PARAM_SPEC_ENUM (spec))
    return g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (spec)->enum_class, value) != NULL;
  return TRUE;
}

static GPtrArray *
find_variants (CnnfiltGraph *graph)
{
  GPtrArray *variants = g_ptr_array_new_with_free_func (variant_free);
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  guint n_ops = 0;
  for (gchar **name = names; *name != NULL; name++)
    {
      CnnfiltOp *op = cnnfilt_graph_get_op (graph, *name);
      if (op == NULL)
        continue;
      n_ops++;
      GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), "algorithm");
      if (spec != NULL && G_IS_PARAM_SPEC_ENUM (spec) && (spec->flags & G_PARAM_WRITABLE))
        {
          GParamSpecEnum *e = G_PARAM_SPEC_ENUM (spec);
          for (guint i = 0; i < e->enum_class->n_values; i++)
            if (e->enum_class->values[i].value != e->default_value)
              add_variant (variants, "algorithm", e->enum_class->values[i].value_nick, FALSE);
        }
      spec = g_object_class_find_property (G_OBJECT_GET_CLASS (op), "winograd");
      if (spec != NULL && G_IS_PARAM_SPEC_BOOLEAN (spec) && (spec->flags & G_PARAM_WRITABLE))
        add_variant (variants, "winograd", "false", FALSE);
    }
  if (n_ops > 1 && g_object_class_find_property (G_OBJECT_GET_CLASS (graph), "fuse") != NULL)
    add_variant (variants, "fuse", "false", TRUE);
  return variants;
}

static void
apply_variant (CnnfiltGraph *graph, const Variant *variant)
{
  if (variant->on_graph)
    {
      g_object_set (graph, variant->property, g_str_equal (variant->value, "true"), NULL);
      return;
    }
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  for (gchar **name = names; *name != NULL; name++)
    {
      g_autoptr (GError) error = NULL;
      CnnfiltOp *op = cnnfilt_graph_get_op (graph, *name);
      if (op != NULL && op_takes (op, variant->property, variant->value))
        ck_assert_msg (cnnfilt_op_set_property_from_string (op, variant->property, variant->value,
                                                            &error),
                       "%s %s=%s: %s", *name, variant->property, variant->value,
                       error ? error->message : "(no error)");
    }
}

/* Runs @graph; returns its output, or NULL with the failure in @failures. */
static CnnfiltTensor *
run_graph (CnnfiltGraph *graph, GPtrArray *inputs, const gchar *label, GString *failures)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *output = NULL;
  if (inputs->len == 1)
    output = cnnfilt_graph_process (graph, inputs->pdata[0], &error);
  else if (cnnfilt_graph_run (graph, (CnnfiltTensor **) inputs->pdata, inputs->len, &error))
    {
      output = cnnfilt_graph_get_output (graph, 0);
      if (output == NULL)
        g_set_error (&error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT, "no output");
    }
  if (output == NULL)
    g_string_append_printf (failures, " [%s] fails: %s", label,
                            error ? error->message : "(no error)");
  return output;
}

/* Compares, appending to @failures what is wrong. */
static void
compare (const gchar *name, const gchar *label, CnnfiltTensor *want, CnnfiltTensor *got,
         GString *failures)
{
  CnnfiltShape want_shape, got_shape;
  cnnfilt_tensor_get_shape (want, &want_shape);
  cnnfilt_tensor_get_shape (got, &got_shape);
  if (!cnnfilt_shape_equal (&want_shape, &got_shape))
    {
      g_autofree gchar *a = cnnfilt_shape_to_string (&want_shape);
      g_autofree gchar *b = cnnfilt_shape_to_string (&got_shape);
      g_string_append_printf (failures, " [%s] shape: want %s, got %s", label, a, b);
      return;
    }

  gsize size = 0;
  const gfloat *w = cnnfilt_tensor_get_data (want, &size);
  const gfloat *g = cnnfilt_tensor_get_data (got, NULL);
  gdouble peak = 1.0;
  for (gsize i = 0; i < size; i++)
    peak = MAX (peak, fabs ((gdouble) w[i]));
  gdouble floor_ = FLOOR_FRACTION * peak;

  /* The worst value: the largest |got - want| / tolerance, NaN first. */
  gsize worst = 0, n_bad = 0;
  gdouble worst_ratio = 0;
  for (gsize i = 0; i < size; i++)
    {
      gdouble tolerance = RELATIVE_TOLERANCE * MAX (fabs ((gdouble) w[i]), floor_);
      gdouble ratio = fabs ((gdouble) g[i] - (gdouble) w[i]) / tolerance;
      if (isnan (ratio))
        ratio = INFINITY;
      if (!(ratio <= 1.0))
        n_bad++;
      if (ratio > worst_ratio)
        worst_ratio = ratio, worst = i;
    }

  if (g_getenv ("CNN_PARITY_VERBOSE") != NULL)
    g_printerr ("# %-36s %-20s worst |got - want| / tolerance = %.3g\n", name, label,
                worst_ratio);

  if (n_bad > 0)
    {
      gsize hw = (gsize) want_shape.h * want_shape.w;
      gsize chw = hw * want_shape.c;
      gdouble tolerance = RELATIVE_TOLERANCE * MAX (fabs ((gdouble) w[worst]), floor_);
      g_string_append_printf (failures, " [%s] %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                              " values off; worst at (n %" G_GSIZE_FORMAT ", c %" G_GSIZE_FORMAT
                              ", h %" G_GSIZE_FORMAT ", w %" G_GSIZE_FORMAT "): got %.9g, want "
                              "%.9g, |diff| %.3g > tolerance %.3g (1e-4 * max (|want|, %.3g))",
                              label, n_bad, size, worst / chw, worst / hw % want_shape.c,
                              worst / want_shape.w % want_shape.h, worst % want_shape.w,
                              (gdouble) g[worst], (gdouble) w[worst],
                              fabs ((gdouble) g[worst] - w[worst]), tolerance, floor_);
    }
}

START_TEST (test_case)
{
  const gchar *dir = cases->pdata[_i];
  g_autofree gchar *name = g_path_get_basename (dir);
  g_autofree gchar *cwd = g_get_current_dir ();
  ck_assert_msg (g_chdir (dir) == 0, "cannot enter %s", dir);

  g_autofree gchar *text = read_op_text ();
  g_autoptr (CnnfiltTensor) want = load_npy ("expected.npy");
  g_autoptr (GString) failures = g_string_new (NULL);

  /* As built, then each variant on a graph of its own. */
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (CnnfiltGraph) graph = build_graph (text, inputs);
  g_autoptr (GPtrArray) variants = find_variants (graph);
  g_autoptr (CnnfiltTensor) got = run_graph (graph, inputs, "default", failures);
  if (got != NULL)
    compare (name, "default", want, got, failures);
  for (guint i = 0; i < variants->len; i++)
    {
      const Variant *variant = variants->pdata[i];
      g_autofree gchar *label = g_strdup_printf ("%s=%s", variant->property, variant->value);
      g_autoptr (GPtrArray) inputs2 = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr (CnnfiltGraph) graph2 = build_graph (text, inputs2);
      apply_variant (graph2, variant);
      g_autoptr (CnnfiltTensor) got2 = run_graph (graph2, inputs2, label, failures);
      if (got2 != NULL)
        compare (name, label, want, got2, failures);
    }

  /* the same graph on the OpenCL device, against the same reference */
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      g_autoptr (GPtrArray) inputs3 = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr (CnnfiltGraph) graph3 = build_graph (text, inputs3);
      cnnfilt_graph_set_device (graph3, device);
      g_autoptr (CnnfiltTensor) got3 = run_graph (graph3, inputs3, cnnfilt_device_get_name (device),
                                                  failures);
      if (got3 != NULL)
        compare (name, cnnfilt_device_get_name (device), want, got3, failures);
    }

  g_chdir (cwd);
  if (failures->len > 0)
    ck_abort_msg ("%s ('%s'):%s", name, text, failures->str);
}
END_TEST

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static void
find_cases (const gchar *data_dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *root = g_canonicalize_filename (data_dir, NULL);
  g_autoptr (GDir) dir = g_dir_open (root, 0, &error);
  if (dir == NULL)
    g_error ("cannot list the cases in %s: %s", root, error->message);
  cases = g_ptr_array_new_with_free_func (g_free);
  const gchar *entry;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (root, entry, NULL);
      g_autofree gchar *op = g_build_filename (path, "op.txt", NULL);
      if (entry[0] != '.' && g_file_test (op, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (cases, g_steal_pointer (&path));
    }
  g_ptr_array_sort (cases, compare_strings);
  if (cases->len == 0)
    g_error ("no cases (folders with op.txt) in %s", root);
}

static Suite *
cnn_parity_suite (void)
{
  Suite *suite = suite_create ("cnn-parity");
  for (guint i = 0; i < cases->len; i++)
    {
      g_autofree gchar *name = g_path_get_basename (cases->pdata[i]);
      /* Check keeps the name pointer: the tcase names live until exit. */
      TCase *tc = tu_tcase (g_intern_string (name));
      tcase_add_loop_test (tc, test_case, i, i + 1);
      suite_add_tcase (suite, tc);
    }
  return suite;
}

int
main (int argc, char **argv)
{
  const gchar *data_dir = argc > 1 ? argv[1] : g_getenv ("CNNFILT_CNN_DATA_DIR");
#ifdef CNN_DATA_DIR
  if (data_dir == NULL)
    data_dir = CNN_DATA_DIR;
#endif
  if (data_dir == NULL)
    g_error ("no data folder: build with -DCNN_DATA_DIR, or give it as the argument");
  find_cases (data_dir);
  /* Plugins loaded once here, not again in each case's forked process. */
  cnnfilt_init (NULL);
  int status = tu_run_suite (cnn_parity_suite ());
  g_ptr_array_unref (cases);
  return status;
}
