/* test-graph.c: graphs built through the DAG API, shape inference, buffer
 * reuse and copy-on-write outputs
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <math.h>

#define EXACT 1e-5

/* An op with properties given as strings, NULL-terminated:
 * make_op ("sobel", "direction", "x", NULL). */
static CnnfiltOp *
make_op (const gchar *name, const gchar *first_property, ...)
{
  g_autoptr (GError) error = NULL;
  CnnfiltOp *op = cnnfilt_op_new (name, &error);
  ck_assert_msg (op != NULL, "%s: %s", name, error ? error->message : "");
  va_list args;
  va_start (args, first_property);
  for (const gchar *key = first_property; key != NULL; key = va_arg (args, const gchar *))
    {
      const gchar *value = va_arg (args, const gchar *);
      ck_assert_msg (cnnfilt_op_set_property_from_string (op, key, value, &error), "%s: %s",
                     name, error ? error->message : "");
    }
  va_end (args);
  return op;
}

static void
add_node (CnnfiltGraph *graph, const gchar *name, CnnfiltOp *op, const gchar *input)
{
  g_autoptr (GError) error = NULL;
  const gchar *inputs[] = { input, NULL };
  ck_assert_msg (cnnfilt_graph_add_node (graph, name, op, inputs, &error), "%s: %s", name,
                 error ? error->message : "");
  g_object_unref (op);
}

static void
add_output (CnnfiltGraph *graph, const gchar *name)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_graph_add_output (graph, name, &error), "%s: %s", name,
                 error ? error->message : "");
}

/*          ┌─▶ edges = sobel direction=x ─▶ output 0
 * in ─▶ gray
 *          └─▶ neg = invert               ─▶ output 1
 */
static CnnfiltGraph *
make_diamond (void)
{
  g_autoptr (GError) error = NULL;
  CnnfiltGraph *graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  add_node (graph, "gray", make_op ("grayscale", NULL), "in");
  add_node (graph, "edges", make_op ("sobel", "direction", "x", "border", "zero", NULL), "gray");
  add_node (graph, "neg", make_op ("invert", NULL), "gray");
  add_output (graph, "edges");
  add_output (graph, "neg");
  return graph;
}

/* A 1×3×3×3 RGB image whose luma (rec601) is, row by row,
 *   0.2 0.4 0.6 / 0.1 0.1 0.1 / 1 0 0.5:
 * every channel equals the luma, so grayscale gives exactly that. */
static CnnfiltTensor *
make_rgb (void)
{
  const gfloat luma[9] = { 0.2f, 0.4f, 0.6f, 0.1f, 0.1f, 0.1f, 1.0f, 0.0f, 0.5f };
  gfloat rgb[27];
  for (guint c = 0; c < 3; c++)
    for (guint i = 0; i < 9; i++)
      rgb[c * 9 + i] = luma[i];
  return tu_tensor (rgb, 1, 3, 3, 3);
}

/* Sobel x with a zero border on that luma, by hand:
 * padded rows:  0 0 0 0 0 / 0 .2 .4 .6 0 / 0 .1 .1 .1 0 / 0 1 0 .5 0 / 0 0 0 0 0
 * (0,0): 2·(.4−0) + 1·(.1−0) = .9     (0,1): 2·(.6−.2) + (.1−.1) = .8
 * (0,2): 2·(0−.4) + (0−.1) = −.9      (1,0): (.4) + 2·(.1) + (0) = .6
 * (1,1): (.6−.2) + 2·(.1−.1) + (.5−1) = −.1
 * (1,2): (−.4) + 2·(−.1) + (−0) = −.6 (2,0): 2·(0) + (.1) = .1
 * (2,1): 2·(.5−1) + (.1−.1) = −1      (2,2): 2·(0−0) + (0−.1) = −.1 */
static const gfloat diamond_edges[9] = { 0.9f, 0.8f, -0.9f, 0.6f, -0.1f, -0.6f, 0.1f, -1.0f, -0.1f };
static const gfloat diamond_neg[9] = { 0.8f, 0.6f, 0.4f, 0.9f, 0.9f, 0.9f, 0.0f, 1.0f, 0.5f };

START_TEST (test_diamond)
{
  g_autoptr (CnnfiltGraph) graph = make_diamond ();
  ck_assert_uint_eq (cnnfilt_graph_get_n_inputs (graph), 1);
  ck_assert_uint_eq (cnnfilt_graph_get_n_outputs (graph), 2);
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  g_autofree gchar *joined = g_strjoinv (" ", names);
  ck_assert_str_eq (joined, "in gray edges neg");
  ck_assert_ptr_null (cnnfilt_graph_get_op (graph, "in"));
  ck_assert_str_eq (cnnfilt_op_get_name (cnnfilt_graph_get_op (graph, "edges")), "sobel");

  g_autoptr (CnnfiltTensor) input = make_rgb ();
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_graph_run (graph, &input, 1, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) edges = cnnfilt_graph_get_output (graph, 0);
  g_autoptr (CnnfiltTensor) neg = cnnfilt_graph_get_output (graph, 1);
  tu_assert_tensor (edges, 1, 1, 3, 3, diamond_edges, EXACT);
  tu_assert_tensor (neg, 1, 1, 3, 3, diamond_neg, EXACT);
  ck_assert_ptr_null (cnnfilt_graph_get_output (graph, 2));

  CnnfiltShape shape;
  ck_assert (cnnfilt_graph_get_output_shape (graph, 1, &shape));
  ck_assert_uint_eq (shape.c, 1);
  ck_assert (!cnnfilt_graph_get_output_shape (graph, 2, &shape));

  /* not a chain: one line per node */
  g_autofree gchar *text = cnnfilt_graph_to_string (graph);
  tu_assert_contains (text, "gray = grayscale (in)");
  tu_assert_contains (text, "edges = sobel direction=x border=zero (gray)");
  tu_assert_contains (text, "neg = invert (gray)");
}
END_TEST

START_TEST (test_inner_output)
{
  /* the intermediate "gray" as an output too, first */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  add_node (graph, "gray", make_op ("grayscale", NULL), "in");
  add_node (graph, "edges", make_op ("sobel", "direction", "x", "border", "zero", NULL), "gray");
  add_node (graph, "neg", make_op ("invert", NULL), "gray");
  add_node (graph, "neg2", make_op ("invert", NULL), "neg");
  add_output (graph, "gray");
  add_output (graph, "edges");
  ck_assert_uint_eq (cnnfilt_graph_get_n_outputs (graph), 2);

  g_autoptr (CnnfiltTensor) input = make_rgb ();
  ck_assert_msg (cnnfilt_graph_run (graph, &input, 1, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) gray = cnnfilt_graph_get_output (graph, 0);
  g_autoptr (CnnfiltTensor) edges = cnnfilt_graph_get_output (graph, 1);
  const gfloat luma[9] = { 0.2f, 0.4f, 0.6f, 0.1f, 0.1f, 0.1f, 1.0f, 0.0f, 0.5f };
  tu_assert_tensor (gray, 1, 1, 3, 3, luma, EXACT);
  tu_assert_tensor (edges, 1, 1, 3, 3, diamond_edges, EXACT);

  /* an input can be an output as well */
  g_autoptr (CnnfiltGraph) g2 = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (g2, "in", &error));
  add_node (g2, "neg", make_op ("invert", NULL), "in");
  add_output (g2, "neg");
  add_output (g2, "in");
  ck_assert_msg (cnnfilt_graph_run (g2, &input, 1, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) same = cnnfilt_graph_get_output (g2, 1);
  tu_assert_tensors_equal (input, same, 0);
}
END_TEST

START_TEST (test_default_output_is_last)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  add_node (graph, "a", make_op ("invert", NULL), "in");
  add_node (graph, "b", make_op ("threshold", "value", "0.5", NULL), "a");
  ck_assert_uint_eq (cnnfilt_graph_get_n_outputs (graph), 1);
  const gfloat values[] = { 0.1f, 0.9f };
  const gfloat expected[] = { 1, 0 };
  g_autoptr (CnnfiltTensor) input = tu_tensor (values, 1, 1, 1, 2);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  tu_assert_tensor (out, 1, 1, 1, 2, expected, 0);
  g_autofree gchar *text = cnnfilt_graph_to_string (graph);
  ck_assert_str_eq (text, "invert ! threshold");
}
END_TEST

START_TEST (test_build_errors)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  /* a taken name */
  ck_assert (!cnnfilt_graph_add_input (graph, "in", &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "in", "already");
  g_clear_error (&error);
  add_node (graph, "a", make_op ("invert", NULL), "in");
  g_autoptr (CnnfiltOp) op = make_op ("invert", NULL);
  const gchar *inputs[] = { "in", NULL };
  ck_assert (!cnnfilt_graph_add_node (graph, "a", op, inputs, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "a:", "already");
  g_clear_error (&error);
  /* an unknown input (nodes come after their inputs) */
  const gchar *later[] = { "b", NULL };
  ck_assert (!cnnfilt_graph_add_node (graph, "c", op, later, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "c", "'b'");
  g_clear_error (&error);
  /* the wrong number of inputs for the op */
  const gchar *two[] = { "in", "a", NULL };
  ck_assert (!cnnfilt_graph_add_node (graph, "d", op, two, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "d", "invert", "1 input", "2 given");
  g_clear_error (&error);
  /* an unknown output */
  ck_assert (!cnnfilt_graph_add_output (graph, "nope", &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "nope");
  g_clear_error (&error);
  /* none of that changed the graph */
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  ck_assert_uint_eq (g_strv_length (names), 2);

  /* the wrong number of inputs at run time */
  CnnfiltShape shapes[2] = { { 1, 1, 2, 2 }, { 1, 1, 2, 2 } };
  ck_assert (!cnnfilt_graph_prepare (graph, shapes, 2, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "1 input", "2 given");
  g_clear_error (&error);

  /* an empty graph */
  g_autoptr (CnnfiltGraph) empty = cnnfilt_graph_new ();
  ck_assert (!cnnfilt_graph_prepare (empty, shapes, 0, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "empty");
}
END_TEST

START_TEST (test_prepare_error_names_node)
{
  /* a 5×5 valid convolution cannot run on 3×3 */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  add_node (graph, "neg", make_op ("invert", NULL), "in");
  add_node (graph, "big-kernel",
            make_op ("kernel", "matrix", "1,1,1,1,1;1,1,1,1,1;1,1,1,1,1;1,1,1,1,1;1,1,1,1,1",
                     "padding", "0", NULL),
            "neg");
  CnnfiltShape shape = { 1, 1, 3, 3 };
  ck_assert (!cnnfilt_graph_prepare (graph, &shape, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "big-kernel", "1x1x3x3", "5x5");
  g_clear_error (&error);

  /* run reports the same */
  const gfloat values[9] = { 0 };
  g_autoptr (CnnfiltTensor) input = tu_tensor (values, 1, 1, 3, 3);
  ck_assert (!cnnfilt_graph_run (graph, &input, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "big-kernel", "1x1x3x3");
  ck_assert_ptr_null (cnnfilt_graph_get_output (graph, 0));
  g_clear_error (&error);

  /* and a 5×5 input is fine afterwards: one value, the sum of 1 − 0 */
  gfloat zeros[25] = { 0 };
  const gfloat expected[] = { 25 };
  g_autoptr (CnnfiltTensor) ok = tu_tensor (zeros, 1, 1, 5, 5);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, ok, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  tu_assert_tensor (out, 1, 1, 1, 1, expected, EXACT);
}
END_TEST

START_TEST (test_rerun_with_new_shapes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph =
      cnnfilt_graph_new_from_string ("invert ! box-blur border=zero ! invert ! resize scale=2", &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");

  /* 1×1×2×2 of 1: invert 0, blur 0, invert 1, resize 4×4 of 1 */
  const gfloat ones[4] = { 1, 1, 1, 1 };
  gfloat ones16[16];
  for (guint i = 0; i < 16; i++)
    ones16[i] = 1;
  g_autoptr (CnnfiltTensor) a = tu_tensor (ones, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) out_a = cnnfilt_graph_process (graph, a, &error);
  ck_assert_msg (out_a != NULL, "%s", error ? error->message : "");
  tu_assert_tensor (out_a, 1, 1, 4, 4, ones16, EXACT);

  /* then a 2×1×3×1 batch of zeros: invert 1, blur with zero border over a
   * 3×1 column gives 2/9 3/9 2/9, invert 7/9 6/9 7/9, resize 6×2 */
  const gfloat zeros[6] = { 0 };
  g_autoptr (CnnfiltTensor) b = tu_tensor (zeros, 2, 1, 3, 1);
  g_autoptr (CnnfiltTensor) out_b = cnnfilt_graph_process (graph, b, &error);
  ck_assert_msg (out_b != NULL, "%s", error ? error->message : "");
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (out_b, &shape);
  ck_assert_uint_eq (shape.n, 2);
  ck_assert_uint_eq (shape.c, 1);
  ck_assert_uint_eq (shape.h, 6);
  ck_assert_uint_eq (shape.w, 2);
  ck_assert (cnnfilt_graph_get_output_shape (graph, 0, &shape));
  ck_assert_uint_eq (shape.h, 6);
  /* rows 0 and 5 take the end samples (clamped): 7/9 */
  tu_assert_near (7.0 / 9, cnnfilt_tensor_get_value (out_b, 1, 0, 0, 1), EXACT);
  tu_assert_near (7.0 / 9, cnnfilt_tensor_get_value (out_b, 0, 0, 5, 0), EXACT);
  /* row 2 samples 0.75 of the way from 7/9 to 6/9... (2 + 0.5)/2 − 0.5 = 0.75 */
  tu_assert_near (0.25 * 7.0 / 9 + 0.75 * 6.0 / 9, cnnfilt_tensor_get_value (out_b, 0, 0, 2, 0),
                  EXACT);

  /* the first result is untouched by the second run */
  tu_assert_tensor (out_a, 1, 1, 4, 4, ones16, EXACT);

  /* and back to the first shape */
  g_autoptr (CnnfiltTensor) out_c = cnnfilt_graph_process (graph, a, &error);
  ck_assert_msg (out_c != NULL, "%s", error ? error->message : "");
  tu_assert_tensor (out_c, 1, 1, 4, 4, ones16, EXACT);
}
END_TEST

START_TEST (test_shared_intermediate)
{
  /* "gray" is an intermediate read by two nodes with other intermediates
   * between them: its buffer must not be handed on after its first reader.
   *   in → gray → a = invert → c = threshold → d = invert (output 0)
   *        gray → b = box-blur border=zero                 (output 1) */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "in", &error));
  add_node (graph, "gray", make_op ("grayscale", NULL), "in");
  add_node (graph, "a", make_op ("invert", NULL), "gray");
  add_node (graph, "c", make_op ("threshold", "value", "0.5", NULL), "a");
  add_node (graph, "d", make_op ("invert", NULL), "c");
  add_node (graph, "b", make_op ("box-blur", "border", "zero", NULL), "gray");
  add_output (graph, "d");
  add_output (graph, "b");

  g_autoptr (CnnfiltTensor) input = make_rgb ();
  for (guint run = 0; run < 2; run++)
    {
      ck_assert_msg (cnnfilt_graph_run (graph, &input, 1, &error), "%s",
                     error ? error->message : "");
      g_autoptr (CnnfiltTensor) d = cnnfilt_graph_get_output (graph, 0);
      g_autoptr (CnnfiltTensor) b = cnnfilt_graph_get_output (graph, 1);
      /* luma 0.2 0.4 0.6 / 0.1 0.1 0.1 / 1 0 0.5; 1 − luma above 0.5 is
       * 1 1 0 / 1 1 1 / 0 1 0, inverted: */
      const gfloat mask[9] = { 0, 0, 1, 0, 0, 0, 1, 0, 1 };
      tu_assert_tensor (d, 1, 1, 3, 3, mask, 0);
      /* 3×3 sums over 9 with zero borders: corners 4 pixels, edges 6, centre 9 */
      const gfloat blur[9] = {
        (0.2f + 0.4f + 0.1f + 0.1f) / 9, (0.2f + 0.4f + 0.6f + 0.3f) / 9, (0.4f + 0.6f + 0.2f) / 9,
        (0.6f + 0.2f + 1.0f) / 9, 3.0f / 9, (1.0f + 0.2f + 0.5f) / 9,
        (0.2f + 1.0f) / 9, (0.3f + 1.5f) / 9, (0.2f + 0.5f) / 9,
      };
      tu_assert_tensor (b, 1, 1, 3, 3, blur, EXACT);
    }
}
END_TEST

START_TEST (test_copy_on_write)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = make_diamond ();
  g_autoptr (CnnfiltTensor) input = make_rgb ();
  ck_assert (cnnfilt_graph_run (graph, &input, 1, &error));
  /* hold output 1 (neg) of run 1 */
  g_autoptr (CnnfiltTensor) held = cnnfilt_graph_get_output (graph, 1);
  tu_assert_tensor (held, 1, 1, 3, 3, diamond_neg, EXACT);

  /* run 2, same shape, all zeros: neg becomes all 1 */
  gfloat zeros[27] = { 0 };
  g_autoptr (CnnfiltTensor) input2 = tu_tensor (zeros, 1, 3, 3, 3);
  ck_assert (cnnfilt_graph_run (graph, &input2, 1, &error));
  g_autoptr (CnnfiltTensor) fresh = cnnfilt_graph_get_output (graph, 1);
  const gfloat ones[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  tu_assert_tensor (fresh, 1, 1, 3, 3, ones, EXACT);
  ck_assert_ptr_ne (fresh, held);
  /* the held result keeps run 1's values */
  tu_assert_tensor (held, 1, 1, 3, 3, diamond_neg, EXACT);

  /* output 0 was not held, both runs' values are right */
  g_autoptr (CnnfiltTensor) edges = cnnfilt_graph_get_output (graph, 0);
  const gfloat zeros9[9] = { 0 };
  tu_assert_tensor (edges, 1, 1, 3, 3, zeros9, EXACT);

  /* run 3 with a new shape: still untouched */
  gfloat big[3 * 4 * 5] = { 0 };
  g_autoptr (CnnfiltTensor) input3 = tu_tensor (big, 1, 3, 4, 5);
  ck_assert (cnnfilt_graph_run (graph, &input3, 1, &error));
  tu_assert_tensor (held, 1, 1, 3, 3, diamond_neg, EXACT);
  tu_assert_tensor (fresh, 1, 1, 3, 3, ones, EXACT);
  tu_assert_tensor (edges, 1, 1, 3, 3, zeros9, EXACT);
}
END_TEST

START_TEST (test_long_chain_buffers)
{
  /* intermediate buffers are shared: a long chain must still give the
   * same answer as the ops run one at a time */
  const gchar *steps[] = {
    "invert", "box-blur radius=1", "sharpen amount=0.5", "resize scale=0.5",
    "sobel direction=y border=reflect", "normalize", "gaussian-blur sigma=0.7", "invert",
  };
  GString *text = g_string_new (steps[0]);
  for (guint i = 1; i < G_N_ELEMENTS (steps); i++)
    g_string_append_printf (text, " ! %s", steps[i]);
  g_autofree gchar *pipeline = g_string_free (text, FALSE);
  gfloat values[2 * 2 * 12 * 10];
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = (gfloat) g_rand_double (rand);
  g_autoptr (CnnfiltTensor) input = tu_tensor (values, 2, 2, 12, 10);

  g_autoptr (CnnfiltTensor) whole = tu_run (pipeline, input);
  g_autoptr (CnnfiltTensor) step = g_object_ref (input);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      CnnfiltTensor *next = tu_run (steps[i], step);
      g_object_unref (step);
      step = next;
    }
  tu_assert_tensors_equal (step, whole, EXACT);

  /* and running the chain twice more gives the same again */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (CnnfiltTensor) again = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (again != NULL, "%s", error ? error->message : "");
      tu_assert_tensors_equal (whole, again, 0);
    }
}
END_TEST

START_TEST (test_buffer_size)
{
  /* A chain of five same-sized ops needs two shared buffers plus its
   * output, whatever its length: 3 × 1×1×8×10 floats = 960 bytes. */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph =
      cnnfilt_graph_new_from_string ("invert ! abs ! invert ! sobel ! normalize", &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (graph), 0); /* not prepared */
  CnnfiltShape shape = { 1, 1, 8, 10 };
  ck_assert (cnnfilt_graph_prepare (graph, &shape, 1, &error));
  ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (graph), 3 * 80 * sizeof (gfloat));

  /* halving the size in the middle: the output is 1×1×4×5; buffers are
   * counted as allocated, in 64-byte blocks, so 20 values take 32 */
  g_autoptr (CnnfiltGraph) shrink =
      cnnfilt_graph_new_from_string ("invert ! resize scale=0.5 ! invert", &error);
  ck_assert (cnnfilt_graph_prepare (shrink, &shape, 1, &error));
  ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (shrink), (80 + 32 + 32) * sizeof (gfloat));
}
END_TEST

/* A reshape that is the last reader of its input takes that buffer over
 * instead of copying: invert ! reshape ! invert on 1×1×8×10 needs the
 * first invert's buffer and the output, two of 80 values, not three; the
 * values come out reshaped, run after run (each run gives the buffer the
 * first invert's shape back). Where the input is also read elsewhere, or
 * is a graph output, the reshape copies. */
START_TEST (test_reshape_takes_buffer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph =
      cnnfilt_graph_new_from_string ("invert ! reshape n=1 c=2 h=5 w=8 ! invert", &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");
  gfloat values[80];
  for (guint i = 0; i < 80; i++)
    values[i] = i / 100.0f;
  g_autoptr (CnnfiltTensor) x = tu_tensor (values, 1, 1, 8, 10);
  for (guint run = 0; run < 2; run++)
    {
      g_autoptr (CnnfiltTensor) y = cnnfilt_graph_process (graph, x, &error);
      ck_assert_msg (y != NULL, "%s", error ? error->message : "");
      tu_assert_tensor (y, 1, 2, 5, 8, values, EXACT);
    }
  ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (graph), 2 * 80 * sizeof (gfloat));

  /* the first invert also read by abs, last: its buffer must survive the
   * reshape and the two inverts after it, which would otherwise reuse it */
  g_autoptr (CnnfiltGraph) shared = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (shared, "in", &error));
  add_node (shared, "neg", make_op ("invert", NULL), "in");
  add_node (shared, "flat", make_op ("reshape", "n", "1", "c", "80", "h", "1", "w", "1", NULL), "neg");
  add_node (shared, "back", make_op ("invert", NULL), "flat");
  add_node (shared, "again", make_op ("abs", NULL), "back");
  add_node (shared, "twice", make_op ("invert", NULL), "again");
  add_node (shared, "abs", make_op ("abs", NULL), "neg");
  ck_assert (cnnfilt_graph_add_output (shared, "twice", &error));
  ck_assert (cnnfilt_graph_add_output (shared, "abs", &error));
  ck_assert_msg (cnnfilt_graph_run (shared, &x, 1, &error), "%s", error ? error->message : "");
  gfloat negated[80];
  for (guint i = 0; i < 80; i++)
    negated[i] = 1 - values[i];
  tu_assert_tensor (cnnfilt_graph_get_output (shared, 0), 1, 80, 1, 1, negated, EXACT);
  tu_assert_tensor (cnnfilt_graph_get_output (shared, 1), 1, 1, 8, 10, negated, EXACT);
}
END_TEST

START_TEST (test_device)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltDevice) cpu = cnnfilt_device_new_from_string ("cpu", &error);
  ck_assert_msg (cpu != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (cnnfilt_device_get_kind (cpu), CNNFILT_DEVICE_KIND_CPU);
  ck_assert_str_eq (cnnfilt_device_get_name (cpu), "cpu");
  g_autoptr (CnnfiltGraph) graph = make_diamond ();
  ck_assert_ptr_null (cnnfilt_graph_get_device (graph));
  cnnfilt_graph_set_device (graph, cpu);
  ck_assert_ptr_eq (cnnfilt_graph_get_device (graph), cpu);
  g_autoptr (CnnfiltTensor) input = make_rgb ();
  ck_assert_msg (cnnfilt_graph_run (graph, &input, 1, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) neg = cnnfilt_graph_get_output (graph, 1);
  tu_assert_tensor (neg, 1, 1, 3, 3, diamond_neg, EXACT);

  g_autoptr (CnnfiltDevice) bad = cnnfilt_device_new_from_string ("quantum:7", &error);
  ck_assert_ptr_null (bad);
  tu_assert_error (error, CNNFILT_ERROR_DEVICE, "'quantum:7'", "cpu");
}
END_TEST

static Suite *
graph_suite (void)
{
  Suite *suite = suite_create ("graph");
  TCase *tc = tu_tcase ("graph");
  tcase_add_test (tc, test_diamond);
  tcase_add_test (tc, test_inner_output);
  tcase_add_test (tc, test_default_output_is_last);
  tcase_add_test (tc, test_build_errors);
  tcase_add_test (tc, test_prepare_error_names_node);
  tcase_add_test (tc, test_rerun_with_new_shapes);
  tcase_add_test (tc, test_shared_intermediate);
  tcase_add_test (tc, test_copy_on_write);
  tcase_add_test (tc, test_long_chain_buffers);
  tcase_add_test (tc, test_buffer_size);
  tcase_add_test (tc, test_reshape_takes_buffer);
  tcase_add_test (tc, test_device);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return tu_run_suite (graph_suite ());
}
