/* test-onnx-patterns.c: subgraphs imported as one op, against PyTorch
 *
 * One test case per folder of tests/data/onnx-patterns (written by
 * tests/onnx/make-pattern-models.py): a small PyTorch model exported to
 * ONNX whose export holds a subgraph that libcnnfilt/cnnfilt-onnx-patterns.c
 * imports as one op (SiLU, GELU, HardSwish, LayerNorm, channel shuffle) at
 * opsets 11, 13 and 17, or a near miss that must not be. expect.txt says
 * how many graph nodes must run each op it names (`gelu 1`, `erf 0`), or
 * that the import must fail (`error TEXT`, TEXT in the message). The
 * imported graph then runs on input.npy with the graph's fusion on (the
 * CPU's channels-last layout between convolutions) and off, and on the
 * OpenCL device where there is one, each output held to PyTorch's,
 * computed in float64:
 *
 *   |got - want| <= 1e-4 * max (|want|, 1e-2 * max (1, peak))
 *
 * (peak: the largest |want|), as test-cnn-parity.c does.
 *
 * The data folder is the first argument, else PATTERNS_DATA_DIR (set by
 * meson to the source tree's tests/data/onnx-patterns).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <math.h>
#include <string.h>

#define RELATIVE_TOLERANCE 1e-4
#define FLOOR_FRACTION     1e-2

/* Absolute paths of the case folders, sorted. */
static GPtrArray *cases;

static gchar *
case_file (const gchar *dir, const gchar *name)
{
  return g_build_filename (dir, name, NULL);
}

static CnnfiltTensor *
load_npy (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = case_file (dir, name);
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *tensor = cnnfilt_tensor_new_from_npy_file (path, &error);
  ck_assert_msg (tensor != NULL, "cannot load %s: %s", path, error ? error->message : "");
  return tensor;
}

/* How many nodes of @graph run op @name. */
static guint
count_ops (CnnfiltGraph *graph, const gchar *name)
{
  g_auto (GStrv) nodes = cnnfilt_graph_get_node_names (graph);
  guint n = 0;
  for (gchar **node = nodes; *node != NULL; node++)
    {
      CnnfiltOp *op = cnnfilt_graph_get_op (graph, *node);
      n += op != NULL && g_str_equal (cnnfilt_op_get_name (op), name);
    }
  return n;
}

static void
assert_matches (const gchar *what, CnnfiltTensor *want, CnnfiltTensor *got)
{
  CnnfiltShape a, b;
  cnnfilt_tensor_get_shape (want, &a);
  cnnfilt_tensor_get_shape (got, &b);
  g_autofree gchar *sa = cnnfilt_shape_to_string (&a);
  g_autofree gchar *sb = cnnfilt_shape_to_string (&b);
  ck_assert_msg (cnnfilt_shape_equal (&a, &b), "%s: shape %s, expected %s", what, sb, sa);
  gsize size = 0;
  const gfloat *w = cnnfilt_tensor_get_data (want, &size);
  const gfloat *g = cnnfilt_tensor_get_data (got, NULL);
  gdouble peak = 1.0;
  for (gsize i = 0; i < size; i++)
    peak = MAX (peak, fabs ((gdouble) w[i]));
  for (gsize i = 0; i < size; i++)
    {
      gdouble tolerance = RELATIVE_TOLERANCE * MAX (fabs ((gdouble) w[i]), FLOOR_FRACTION * peak);
      ck_assert_msg (fabs ((gdouble) g[i] - w[i]) <= tolerance,
                     "%s: value %" G_GSIZE_FORMAT " is %.9g, PyTorch's %.9g (tolerance %.3g)",
                     what, i, (gdouble) g[i], (gdouble) w[i], tolerance);
    }
}

START_TEST (test_case)
{
  const gchar *dir = cases->pdata[_i];
  g_autofree gchar *name = g_path_get_basename (dir);
  g_autofree gchar *model = case_file (dir, "model.onnx");
  g_autofree gchar *expect_path = case_file (dir, "expect.txt");
  g_autofree gchar *expect = NULL;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_file_get_contents (expect_path, &expect, NULL, &error), "%s: %s", name,
                 error ? error->message : "");
  g_auto (GStrv) lines = g_strsplit (g_strstrip (expect), "\n", -1);
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_file (model, &error);

  if (g_str_has_prefix (lines[0], "error "))
    {
      ck_assert_msg (graph == NULL, "%s: imports; an error was expected", name);
      tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, lines[0] + strlen ("error "));
      return;
    }
  ck_assert_msg (graph != NULL, "%s: %s", name, error ? error->message : "");
  for (gchar **line = lines; *line != NULL; line++)
    {
      g_auto (GStrv) words = g_strsplit (*line, " ", -1);
      guint64 want = 0;
      ck_assert_msg (g_strv_length (words) == 2 &&
                     g_ascii_string_to_unsigned (words[1], 10, 0, 1000, &want, NULL),
                     "%s: expect.txt line '%s' is not 'OP COUNT'", name, *line);
      guint got = count_ops (graph, words[0]);
      ck_assert_msg (got == want, "%s: %u nodes run %s, %" G_GUINT64_FORMAT " expected", name, got,
                     words[0], want);
    }

  g_autoptr (CnnfiltTensor) input = load_npy (dir, "input.npy");
  g_autoptr (CnnfiltTensor) expected = load_npy (dir, "expected.npy");
  for (gint fuse = 1; fuse >= 0; fuse--)
    {
      g_object_set (graph, "fuse", fuse, NULL);
      g_autoptr (CnnfiltTensor) output = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (output != NULL, "%s: %s", name, error ? error->message : "");
      g_autofree gchar *what = g_strdup_printf ("%s (fuse %d)", name, fuse);
      assert_matches (what, expected, output);
    }
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      cnnfilt_graph_set_device (graph, device);
      g_autoptr (CnnfiltTensor) output = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (output != NULL, "%s on %s: %s", name, cnnfilt_device_get_name (device),
                     error ? error->message : "");
      g_autofree gchar *what = g_strdup_printf ("%s on %s", name, cnnfilt_device_get_name (device));
      assert_matches (what, expected, output);
    }
}
END_TEST

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  if (!cnnfilt_init (&error))
    g_error ("cnnfilt_init: %s", error->message);
  const gchar *root = argc > 1 ? argv[1] : PATTERNS_DATA_DIR;
  g_autoptr (GDir) dir = g_dir_open (root, 0, &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  cases = g_ptr_array_new_with_free_func (g_free);
  for (const gchar *entry; (entry = g_dir_read_name (dir)) != NULL;)
    {
      gchar *path = g_build_filename (root, entry, NULL);
      g_autofree gchar *model = case_file (path, "model.onnx");
      if (g_file_test (model, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (cases, path);
      else
        g_free (path);
    }
  g_ptr_array_sort (cases, compare_paths);
  if (cases->len == 0)
    g_error ("no cases in %s", root);

  Suite *suite = suite_create ("onnx-patterns");
  TCase *tc = tu_tcase ("cases");
  tcase_add_loop_test (tc, test_case, 0, cases->len);
  suite_add_tcase (suite, tc);
  int status = tu_run_suite (suite);
  g_ptr_array_unref (cases);
  return status;
}
