/* test-parse.c: pipeline text to graphs, and the errors for bad text
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <string.h>

/* Parses @pipeline and checks the node names, "input" first. */
static void
assert_nodes (const gchar *pipeline, const gchar *const *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  ck_assert_msg (graph != NULL, "'%s': %s", pipeline, error ? error->message : "no error");
  ck_assert_uint_eq (cnnfilt_graph_get_n_inputs (graph), 1);
  ck_assert_uint_eq (cnnfilt_graph_get_n_outputs (graph), 1);
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  g_autofree gchar *got = g_strjoinv (" ", names);
  g_autofree gchar *want = g_strjoinv (" ", (gchar **) expected);
  ck_assert_msg (g_str_equal (got, want), "'%s': nodes '%s', expected '%s'", pipeline, got, want);
}

static gchar *
property (CnnfiltGraph *graph, const gchar *node, const gchar *name)
{
  CnnfiltOp *op = cnnfilt_graph_get_op (graph, node);
  ck_assert_msg (op != NULL, "no node '%s'", node);
  return cnnfilt_op_get_property_as_string (op, name);
}

START_TEST (test_valid_pipelines)
{
  assert_nodes ("sobel", (const gchar *[]) { "input", "sobel", NULL });
  assert_nodes ("grayscale ! sobel ! normalize",
                (const gchar *[]) { "input", "grayscale", "sobel", "normalize", NULL });
  /* spaces, tabs and newlines anywhere between tokens, or none around '!' */
  assert_nodes ("  grayscale\t!\n sobel   direction=x  !normalize   ",
                (const gchar *[]) { "input", "grayscale", "sobel", "normalize", NULL });
  assert_nodes ("grayscale!sobel direction=x!invert",
                (const gchar *[]) { "input", "grayscale", "sobel", "invert", NULL });
  /* repeated ops are numbered */
  assert_nodes ("sobel ! sobel ! invert ! sobel",
                (const gchar *[]) { "input", "sobel", "sobel-2", "invert", "sobel-3", NULL });
}
END_TEST

START_TEST (test_properties_and_quotes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (
      "sobel direction=x border=reflect ! sobel direction=y ! "
      "kernel matrix='1, 0, -1; 2, 0, -2; 1, 0, -1' padding=\"0\" stride='2' ! "
      "threshold value=0.25 invert=true",
      &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");
  g_autofree gchar *d1 = property (graph, "sobel", "direction");
  g_autofree gchar *b1 = property (graph, "sobel", "border");
  g_autofree gchar *d2 = property (graph, "sobel-2", "direction");
  g_autofree gchar *b2 = property (graph, "sobel-2", "border");
  g_autofree gchar *m = property (graph, "kernel", "matrix");
  g_autofree gchar *p = property (graph, "kernel", "padding");
  g_autofree gchar *s = property (graph, "kernel", "stride");
  g_autofree gchar *v = property (graph, "threshold", "value");
  g_autofree gchar *i = property (graph, "threshold", "invert");
  ck_assert_str_eq (d1, "x");
  ck_assert_str_eq (b1, "reflect");
  ck_assert_str_eq (d2, "y");
  ck_assert_str_eq (b2, "replicate"); /* the default, untouched by the first node */
  ck_assert_str_eq (m, "1, 0, -1; 2, 0, -2; 1, 0, -1");
  ck_assert_str_eq (p, "0");
  ck_assert_str_eq (s, "2");
  ck_assert_str_eq (v, "0.25");
  ck_assert_str_eq (i, "true");

  /* '!' and '=' inside quotes belong to the value */
  g_autoptr (GError) e2 = tu_run_error ("kernel matrix=\"1!2\"", NULL);
  tu_assert_error (e2, CNNFILT_ERROR_INVALID_ARGUMENT, "'1!2'");
  g_autoptr (GError) e3 = tu_run_error ("kernel matrix='1=2'", NULL);
  tu_assert_error (e3, CNNFILT_ERROR_INVALID_ARGUMENT, "'1=2'");
  /* a double quote inside single quotes */
  g_autoptr (GError) e4 = tu_run_error ("kernel matrix='1\"2'", NULL);
  tu_assert_error (e4, CNNFILT_ERROR_INVALID_ARGUMENT, "'1\"2'");
}
END_TEST

START_TEST (test_parsed_graph_runs)
{
  const gfloat input[] = { 0, 0.5f, 1, 0.25f };
  /* invert then threshold at 0.6: 1, 0.5, 0, 0.75 → 1 0 0 1 */
  const gfloat expected[] = { 1, 0, 0, 1 };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("invert ! threshold value=0.6", input, 1, 1, 2, 2);
  tu_assert_tensor (out, 1, 1, 2, 2, expected, 0);
}
END_TEST

START_TEST (test_to_string_round_trip)
{
  const gchar *pipelines[] = {
    "grayscale ! sobel direction=x border=zero ! normalize",
    "kernel matrix=\"1, 0; 0, 1\" padding=0 ! threshold value=0.25 invert=true",
    "box-blur radius=3 ! resize width=20 method=nearest",
  };
  for (guint i = 0; i < G_N_ELEMENTS (pipelines); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltGraph) a = cnnfilt_graph_new_from_string (pipelines[i], &error);
      ck_assert_msg (a != NULL, "%s", error ? error->message : "");
      g_autofree gchar *text = cnnfilt_graph_to_string (a);
      g_autoptr (CnnfiltGraph) b = cnnfilt_graph_new_from_string (text, &error);
      ck_assert_msg (b != NULL, "to_string gave '%s', which does not parse: %s", text,
                     error ? error->message : "");
      g_autofree gchar *again = cnnfilt_graph_to_string (b);
      ck_assert_str_eq (again, text);
    }
  /* only what differs from the defaults is written */
  g_autoptr (CnnfiltGraph) g =
      cnnfilt_graph_new_from_string ("grayscale ! sobel direction=x border=replicate", NULL);
  ck_assert_ptr_nonnull (g);
  g_autofree gchar *text = cnnfilt_graph_to_string (g);
  ck_assert_str_eq (text, "grayscale ! sobel direction=x");
}
END_TEST

/* Each bad pipeline, the 1-based position its error must give, and words
 * its message must contain. */
typedef struct {
  const gchar *pipeline;
  gint position; /* 0: the message has no position */
  const gchar *parts[4];
} BadPipeline;

static const BadPipeline bad_pipelines[] = {
  /* empty */
  { "", 0, { "empty pipeline" } },
  { "   \t ", 0, { "empty pipeline" } },
  /* a missing op before or after '!' */
  { "! sobel", 1, { "expected an op name", "'!'" } },
  { "sobel !", 8, { "expected an op name" } },
  { "sobel !   ", 11, { "expected an op name" } },
  { "sobel ! ! invert", 9, { "expected an op name", "'!'" } },
  { "2sobel", 1, { "expected an op name", "'2sobel'" } },
  { "=x", 1, { "expected an op name" } },
  /* unknown op, with a suggestion when one is close */
  { "grayscale ! sobl", 13, { "unknown op 'sobl'", "did you mean 'sobel'" } },
  { "grayscale ! invret", 13, { "unknown op 'invret'", "did you mean 'invert'" } },
  { "xyzzy", 1, { "unknown op 'xyzzy'" } },
  /* properties */
  { "sobel foo=1", 7, { "sobel", "unknown property 'foo'", "direction", "border" } },
  { "grayscale ! sobel direction=z", 19,
    { "sobel", "direction", "invalid value 'z'", "x, y, magnitude" } },
  { "sobel border=mirror", 7, { "sobel", "border", "'mirror'", "zero, replicate, reflect" } },
  { "box-blur radius=0", 10, { "box-blur", "radius", "'0'", "out of range" } },
  { "invert ! box-blur radius=501", 19, { "box-blur", "radius", "out of range", "500" } },
  { "gaussian-blur sigma=0.01", 15, { "gaussian-blur", "sigma", "out of range" } },
  { "kernel padding=-2", 8, { "kernel", "padding", "out of range" } },
  { "box-blur radius=abc", 10, { "box-blur", "radius", "'abc'", "not a number" } },
  { "box-blur radius=1.5", 10, { "box-blur", "radius", "not a number" } },
  { "gaussian-blur sigma=inf", 15, { "gaussian-blur", "sigma", "not a number" } },
  { "gaussian-blur sigma=2x", 15, { "sigma", "not a number" } },
  { "threshold invert=maybe", 11, { "threshold", "invert", "'maybe'", "true or false" } },
  /* syntax */
  { "kernel matrix=\"1,2", 15, { "unterminated", "\"" } },
  { "sobel ! kernel matrix='1,2 ! invert", 23, { "unterminated", "'" } },
  { "sobel direction=", 17, { "sobel", "direction", "missing value" } },
  { "sobel direction= border=zero", 17, { "sobel", "direction", "missing value" } },
  { "sobel direction=!invert", 17, { "sobel", "direction", "missing value" } },
  { "sobel direction", 7, { "sobel", "expected property=value", "'direction'" } },
  { "sobel =x", 7, { "sobel", "expected property=value" } },
  /* values that only the op can judge, checked at parse time */
  { "laplacian neighbours=6", 1, { "laplacian", "neighbours" } },
  { "kernel matrix=\"1,2;3\"", 1, { "kernel", "matrix", "row 2" } },
  { "invert ! resize", 10, { "resize", "width" } },
};

START_TEST (test_errors)
{
  const BadPipeline *bad = &bad_pipelines[_i];
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (bad->pipeline, &error);
  ck_assert_msg (graph == NULL, "'%s' parses", bad->pipeline);
  ck_assert_msg (error != NULL, "'%s': NULL without an error", bad->pipeline);
  ck_assert_msg (error->domain == CNNFILT_ERROR && error->code == CNNFILT_ERROR_INVALID_ARGUMENT,
                 "'%s': expected CNNFILT_ERROR_INVALID_ARGUMENT, got %s %d: %s", bad->pipeline,
                 g_quark_to_string (error->domain), error->code, error->message);
  if (bad->position > 0)
    {
      /* at the start, "position N: ", so that a caller can point at it */
      g_autofree gchar *prefix = g_strdup_printf ("position %d: ", bad->position);
      ck_assert_msg (g_str_has_prefix (error->message, prefix),
                     "'%s': the message '%s' does not start with '%s'", bad->pipeline,
                     error->message, prefix);
    }
  else
    ck_assert_msg (strstr (error->message, "position") == NULL,
                   "'%s': unexpected position in '%s'", bad->pipeline, error->message);
  for (guint i = 0; i < G_N_ELEMENTS (bad->parts) && bad->parts[i] != NULL; i++)
    ck_assert_msg (strstr (error->message, bad->parts[i]) != NULL,
                   "'%s': the message '%s' does not contain '%s'", bad->pipeline,
                   error->message, bad->parts[i]);
}
END_TEST

START_TEST (test_no_suggestion_when_far)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string ("xyzzy", &error);
  ck_assert_ptr_null (graph);
  ck_assert_msg (strstr (error->message, "did you mean") == NULL, "'%s' suggests", error->message);
}
END_TEST

START_TEST (test_set_property_from_string)
{
  /* the same conversions, through the op API */
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("threshold", NULL);
  ck_assert_ptr_nonnull (op);
  g_autoptr (GError) error = NULL;
  ck_assert (cnnfilt_op_set_property_from_string (op, "value", "-0.75", &error));
  ck_assert (cnnfilt_op_set_property_from_string (op, "invert", "yes", &error));
  gfloat value = 0;
  gboolean invert = FALSE;
  g_object_get (op, "value", &value, "invert", &invert, NULL);
  ck_assert_float_eq (value, -0.75f);
  ck_assert (invert);
  ck_assert (cnnfilt_op_set_property_from_string (op, "invert", "FALSE", &error));
  g_object_get (op, "invert", &invert, NULL);
  ck_assert (!invert);

  ck_assert (!cnnfilt_op_set_property_from_string (op, "colour", "red", &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "threshold", "'colour'", "value", "invert");
  g_clear_error (&error);
  ck_assert (!cnnfilt_op_set_property_from_string (op, "value", "2e9", &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "threshold", "value", "out of range");
  /* a failed set leaves the old value */
  g_object_get (op, "value", &value, NULL);
  ck_assert_float_eq (value, -0.75f);
}
END_TEST

static Suite *
parse_suite (void)
{
  Suite *suite = suite_create ("parse");
  TCase *valid = tu_tcase ("valid");
  tcase_add_test (valid, test_valid_pipelines);
  tcase_add_test (valid, test_properties_and_quotes);
  tcase_add_test (valid, test_parsed_graph_runs);
  tcase_add_test (valid, test_to_string_round_trip);
  tcase_add_test (valid, test_set_property_from_string);
  suite_add_tcase (suite, valid);

  TCase *errors = tu_tcase ("errors");
  tcase_add_loop_test (errors, test_errors, 0, G_N_ELEMENTS (bad_pipelines));
  tcase_add_test (errors, test_no_suggestion_when_far);
  suite_add_tcase (suite, errors);
  return suite;
}

int
main (void)
{
  return tu_run_suite (parse_suite ());
}
