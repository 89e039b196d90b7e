/* test-cnn.c: the cnn plugin's ops, graphs with branches, fusion, .npy
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Worked examples by hand (the pooling seeds of the issue), the fast paths
 * against the plain reference loops, fused against unfused graphs, and the
 * errors. PyTorch parity is test-cnn-parity.c; ONNX conformance is
 * tests/onnx. */
#include "test-util.h"

#include <malloc.h>
#include <math.h>
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include <stdarg.h>
#include <string.h>

/* Deterministic values in [-1, 1). */
static CnnfiltTensor *
random_tensor (guint n, guint c, guint h, guint w, guint32 seed)
{
  CnnfiltTensor *t = cnnfilt_tensor_new (n, c, h, w, NULL);
  ck_assert_ptr_nonnull (t);
  gsize count = 0;
  gfloat *v = cnnfilt_tensor_get_data (t, &count);
  guint32 state = seed * 2654435761u + 1;
  for (gsize i = 0; i < count; i++)
    {
      state = state * 1664525u + 1013904223u;
      v[i] = (gfloat) ((state >> 8) / 8388608.0 - 1.0);
    }
  return t;
}

static CnnfiltOp *
new_op (const gchar *name)
{
  g_autoptr (GError) error = NULL;
  CnnfiltOp *op = cnnfilt_op_new (name, &error);
  ck_assert_msg (op != NULL, "%s", error ? error->message : "");
  return op;
}

static void
set (CnnfiltOp *op, const gchar *property, const gchar *value)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_op_set_property_from_string (op, property, value, &error), "%s",
                 error ? error->message : "");
}

/* A chain graph of ops (NULL-terminated), each node named after its op
 * (the second of a name NAME-2, and so on). */
static CnnfiltGraph *
chain (CnnfiltOp *first, ...)
{
  g_autoptr (GError) error = NULL;
  CnnfiltGraph *graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "input", &error));
  g_autofree gchar *previous = g_strdup ("input");
  va_list args;
  va_start (args, first);
  for (CnnfiltOp *op = first; op != NULL; op = va_arg (args, CnnfiltOp *))
    {
      const gchar *inputs[] = { previous, NULL };
      gchar *name = g_strdup (cnnfilt_op_get_name (op));
      for (guint i = 2; cnnfilt_graph_get_op (graph, name) != NULL; i++)
        {
          g_free (name);
          name = g_strdup_printf ("%s-%u", cnnfilt_op_get_name (op), i);
        }
      ck_assert_msg (cnnfilt_graph_add_node (graph, name, op, inputs, &error),
                     "%s", error ? error->message : "");
      g_free (previous);
      previous = name;
    }
  va_end (args);
  return graph;
}

/* An op from pipeline-style text "conv2d stride=2 padding=1". */
static CnnfiltOp *
op_from_text (const gchar *text)
{
  g_auto (GStrv) words = g_strsplit_set (text, " ", -1);
  CnnfiltOp *op = new_op (words[0]);
  for (guint i = 1; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      g_auto (GStrv) kv = g_strsplit (words[i], "=", 2);
      set (op, kv[0], kv[1]);
    }
  return op;
}

/* |a − b| <= 1e-4 · max(|b|, 1): relative, with a floor near zero. */
static void
assert_close (CnnfiltTensor *want, CnnfiltTensor *got)
{
  CnnfiltShape a, b;
  cnnfilt_tensor_get_shape (want, &a);
  cnnfilt_tensor_get_shape (got, &b);
  ck_assert_msg (cnnfilt_shape_equal (&a, &b), "shape %ux%ux%ux%u, want %ux%ux%ux%u", b.n, b.c,
                 b.h, b.w, a.n, a.c, a.h, a.w);
  gsize count = 0;
  const gfloat *x = cnnfilt_tensor_get_data (want, &count);
  const gfloat *y = cnnfilt_tensor_get_data (got, NULL);
  for (gsize i = 0; i < count; i++)
    ck_assert_msg (fabs (x[i] - y[i]) <= 1e-4 * MAX (fabs (x[i]), 1.0),
                   "value %" G_GSIZE_FORMAT ": got %.9g, want %.9g", i, y[i], x[i]);
}

START_TEST (test_max_pool_seed_2x2)
{
  const gfloat in[] = { 1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4 };
  const gfloat want[] = { 6, 8, 3, 4 };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("max-pool kernel=2 stride=2", in, 1, 1, 4, 4);
  tu_assert_tensor (out, 1, 1, 2, 2, want, 0);
  /* stride defaults to the kernel size */
  g_autoptr (CnnfiltTensor) again = tu_run_values ("max-pool kernel=2", in, 1, 1, 4, 4);
  tu_assert_tensor (again, 1, 1, 2, 2, want, 0);
}
END_TEST

static const gfloat seed5[] = { 3, 3, 2, 1, 0, 0, 0, 1, 3, 1, 3, 1, 2, 2, 3,
                                2, 0, 0, 2, 2, 2, 0, 0, 0, 1 };

START_TEST (test_max_pool_seed_3x3)
{
  const gfloat want[] = { 3, 3, 3, 3, 3, 3, 3, 2, 3 };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("max-pool kernel=3 stride=1", seed5, 1, 1, 5, 5);
  tu_assert_tensor (out, 1, 1, 3, 3, want, 0);
}
END_TEST

START_TEST (test_avg_pool_seed_3x3)
{
  const gfloat want[] = { 1.67f, 1.67f, 1.67f, 1.00f, 1.22f, 1.78f, 1.11f, 0.78f, 1.33f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("avg-pool kernel=3 stride=1", seed5, 1, 1, 5, 5);
  tu_assert_tensor (out, 1, 1, 3, 3, want, 0.01);
}
END_TEST

START_TEST (test_avg_pool_padding)
{
  /* 2×2 of ones, 3×3 windows with padding 1: corners see 4 input cells */
  const gfloat in[] = { 1, 1, 1, 1 };
  const gfloat exclude[] = { 1, 1, 1, 1 };
  const gfloat include[] = { 4 / 9.0f, 4 / 9.0f, 4 / 9.0f, 4 / 9.0f };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("avg-pool kernel=3 stride=1 padding=1", in, 1, 1, 2, 2);
  tu_assert_tensor (a, 1, 1, 2, 2, exclude, 1e-6);
  g_autoptr (CnnfiltTensor) b =
      tu_run_values ("avg-pool kernel=3 stride=1 padding=1 count-include-pad=true", in, 1, 1, 2, 2);
  tu_assert_tensor (b, 1, 1, 2, 2, include, 1e-6);
}
END_TEST

START_TEST (test_pool_ceil_mode)
{
  /* 5 wide, kernel 2 stride 2: floor gives 2 columns, ceil 3 (the last
   * window holds only the last column) */
  const gfloat in[] = { 1, 2, 3, 4, 5 };
  const gfloat floor_want[] = { 2, 4 }, ceil_want[] = { 2, 4, 5 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("max-pool kernel-h=1 kernel-w=2", in, 1, 1, 1, 5);
  tu_assert_tensor (a, 1, 1, 1, 2, floor_want, 0);
  g_autoptr (CnnfiltTensor) b =
      tu_run_values ("max-pool kernel-h=1 kernel-w=2 ceil-mode=true", in, 1, 1, 1, 5);
  tu_assert_tensor (b, 1, 1, 1, 3, ceil_want, 0);
}
END_TEST

/* oneDNN's pooling against the ops' own loops. */
START_TEST (test_pool_fast_matches_reference)
{
  static const gchar *cases[] = {
    "max-pool kernel=3 stride=2 padding=1",
    "max-pool kernel=2",
    "max-pool kernel=3 stride=2 ceil-mode=true",
    "max-pool kernel=3 stride=1 dilation=2 padding=2",
    "max-pool kernel-h=2 kernel-w=3 stride-h=1 stride-w=2 pad-top=1 pad-left=0 pad-bottom=0 pad-right=1",
    "avg-pool kernel=3 stride=2 padding=1",
    "avg-pool kernel=3 stride=2 padding=1 count-include-pad=true",
    "avg-pool kernel=3 stride=2 ceil-mode=true",
    "avg-pool kernel=3 stride=2 padding=1 ceil-mode=true count-include-pad=true",
    "avg-pool kernel=2 auto-pad=same-upper stride=1",
    "max-pool kernel=1",                 /* copies, as AlexNet's adaptive pool at 224 */
    "avg-pool kernel=1 stride=1",
  };
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 5, 13, 16, 21);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltOp) fast = op_from_text (cases[i]);
      g_autoptr (CnnfiltOp) ref = op_from_text (cases[i]);
      set (ref, "algorithm", "reference");
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) want = cnnfilt_op_process (ref, input, &error);
      ck_assert_msg (want != NULL, "%s: %s", cases[i], error ? error->message : "");
      g_autoptr (CnnfiltTensor) got = cnnfilt_op_process (fast, input, &error);
      ck_assert_msg (got != NULL, "%s: %s", cases[i], error ? error->message : "");
      assert_close (want, got);
    }
}
END_TEST

START_TEST (test_conv_hand)
{
  /* 1×1×3×3 input, one 2×2 kernel, bias 0.5, stride 1, no padding */
  const gfloat in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const gfloat k[] = { 1, 0, 0, -1 };
  const gfloat b[] = { 0.5f };
  g_autoptr (CnnfiltTensor) input = tu_tensor (in, 1, 1, 3, 3);
  g_autoptr (CnnfiltTensor) weights = tu_tensor (k, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) bias = tu_tensor (b, 1, 1, 1, 1);
  for (gint algorithm = 0; algorithm < 2; algorithm++)
    {
      g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
      g_object_set (conv, "weights", weights, "bias", bias, NULL);
      set (conv, "algorithm", algorithm ? "reference" : "auto");
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) out = cnnfilt_op_process (conv, input, &error);
      ck_assert_msg (out != NULL, "%s", error ? error->message : "");
      const gfloat want[] = { 1 - 5 + 0.5f, 2 - 6 + 0.5f, 4 - 8 + 0.5f, 5 - 9 + 0.5f };
      tu_assert_tensor (out, 1, 1, 2, 2, want, 1e-6);
    }
}
END_TEST

/* The fast paths (gemm, 1×1, depthwise) against the reference loops. */
START_TEST (test_conv_fast_matches_reference)
{
  static const struct {
    guint n, c, h, w, o, k, groups;
    const gchar *props;
  } cases[] = {
    { 1, 3, 17, 19, 8, 3, 1, "padding=1" },
    { 2, 4, 12, 12, 6, 3, 2, "stride=2 padding=1" },
    { 1, 8, 9, 11, 8, 3, 8, "padding=1" },              /* depthwise */
    { 1, 8, 10, 10, 8, 3, 8, "stride=2 pad-top=1 pad-left=0 pad-bottom=1 pad-right=2" },
    { 3, 16, 7, 7, 32, 1, 1, "" },                      /* 1×1, direct gemm */
    { 1, 16, 8, 8, 8, 1, 1, "stride=2" },               /* 1×1 stride 2 */
    { 1, 3, 30, 30, 4, 7, 1, "stride=2 padding=3" },    /* the ResNet stem */
    { 1, 4, 15, 15, 4, 3, 1, "dilation=2 padding=2" },
    { 1, 6, 9, 9, 6, 5, 3, "stride-h=2 stride-w=1 padding=2 dilation-w=2" },
    { 2, 4, 6, 6, 4, 3, 1, "auto-pad=same-upper stride=2" },
    { 1, 2, 5, 5, 3, 3, 1, "auto-pad=valid clamp-min=0 clamp-max=0.5" },
    { 1, 64, 14, 14, 64, 3, 1, "padding=1" },           /* Winograd in auto */
    { 2, 32, 9, 11, 48, 3, 1, "padding=1 clamp-min=0" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) input = random_tensor (cases[i].n, cases[i].c, cases[i].h,
                                                       cases[i].w, i);
      g_autoptr (CnnfiltTensor) weights = random_tensor (cases[i].o, cases[i].c / cases[i].groups,
                                                         cases[i].k, cases[i].k, 100 + i);
      g_autoptr (CnnfiltTensor) bias = random_tensor (cases[i].o, 1, 1, 1, 200 + i);
      for (guint a = 0; a < 2; a++)
        {
          const gchar *algorithm = a ? "gemm" : "auto";
          g_autofree gchar *text = g_strdup_printf ("conv2d groups=%u %s", cases[i].groups,
                                                    cases[i].props);
          g_autoptr (GError) error = NULL;
          g_autoptr (CnnfiltOp) fast_op = op_from_text (text);
          g_autoptr (CnnfiltOp) ref_op = op_from_text (text);
          set (fast_op, "algorithm", algorithm);
          set (ref_op, "algorithm", "reference");
          g_object_set (fast_op, "weights", weights, "bias", bias, NULL);
          g_object_set (ref_op, "weights", weights, "bias", bias, NULL);
          g_autoptr (CnnfiltGraph) fast = chain (fast_op, NULL);
          g_autoptr (CnnfiltGraph) ref = chain (ref_op, NULL);
          g_autoptr (CnnfiltTensor) want = cnnfilt_graph_process (ref, input, &error);
          ck_assert_msg (want != NULL, "%s: %s", text, error ? error->message : "");
          g_autoptr (CnnfiltTensor) got = cnnfilt_graph_process (fast, input, &error);
          ck_assert_msg (got != NULL, "%s %s: %s", text, algorithm, error ? error->message : "");
          assert_close (want, got);
          /* run twice: the scratch buffers and primitives are reused */
          g_autoptr (CnnfiltTensor) again = cnnfilt_graph_process (fast, input, &error);
          assert_close (want, again);
        }
    }
}
END_TEST

/* Runs @op alone on @input on @device. */
static CnnfiltTensor *
run_op_on (CnnfiltOp *op, CnnfiltDevice *device, CnnfiltTensor *input)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *out = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  ck_assert_msg (cnnfilt_op_run_on_device (op, device, &input, 1, out, &error), "%s",
                 error ? error->message : "");
  return out;
}

/* Runs @op alone on @input through cnnfilt_op_run, the way bindings use an op. */
static CnnfiltTensor *
run_op (CnnfiltOp *op, CnnfiltTensor *input)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *out = cnnfilt_op_process (op, input, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  return out;
}

START_TEST (test_property_change_after_run)
{
  /* An op that ran keeps plans (oneDNN kernels, packed weights); setting a
   * property must drop them, or the old weights or window would be used. */
  g_autoptr (CnnfiltTensor) input = random_tensor (1, 16, 10, 10, 1);
  g_autoptr (CnnfiltTensor) w1 = random_tensor (16, 16, 3, 3, 2);
  g_autoptr (CnnfiltTensor) w2 = random_tensor (16, 16, 3, 3, 3);
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_autoptr (CnnfiltOp) ref = op_from_text ("conv2d padding=1 algorithm=reference");
  g_object_set (conv, "weights", w1, NULL);
  g_autoptr (CnnfiltTensor) first = run_op (conv, input);
  g_object_set (conv, "weights", w2, NULL);
  g_object_set (ref, "weights", w2, NULL);
  g_autoptr (CnnfiltTensor) second = run_op (conv, input);
  g_autoptr (CnnfiltTensor) want = run_op (ref, input);
  assert_close (want, second);
  set (conv, "clamp-min", "0");
  set (ref, "clamp-min", "0");
  g_autoptr (CnnfiltTensor) clamped = run_op (conv, input);
  g_autoptr (CnnfiltTensor) want_clamped = run_op (ref, input);
  assert_close (want_clamped, clamped);

  g_autoptr (CnnfiltOp) pool = op_from_text ("max-pool kernel=2");
  g_autoptr (CnnfiltTensor) p2 = run_op (pool, input);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (p2), 5);
  set (pool, "kernel", "3");
  set (pool, "stride", "3");
  g_autoptr (CnnfiltTensor) p3 = run_op (pool, input);
  g_autoptr (CnnfiltOp) pool_ref = op_from_text ("max-pool kernel=3 stride=3");
  g_autoptr (CnnfiltTensor) want_p3 = run_op (pool_ref, input);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (p3), 3);
  assert_close (want_p3, p3);

  /* linear keeps transposed weights for batches of 4 or more */
  g_autoptr (CnnfiltTensor) rows = random_tensor (6, 20, 1, 1, 6);
  g_autoptr (CnnfiltTensor) f1 = random_tensor (9, 20, 1, 1, 7);
  g_autoptr (CnnfiltTensor) f2 = random_tensor (9, 20, 1, 1, 8);
  g_autoptr (CnnfiltOp) fc = new_op ("linear");
  g_autoptr (CnnfiltOp) fc_ref = op_from_text ("linear algorithm=reference");
  g_object_set (fc, "weights", f1, NULL);
  g_autoptr (CnnfiltTensor) y1 = run_op (fc, rows);
  g_object_set (fc, "weights", f2, NULL);
  g_object_set (fc_ref, "weights", f2, NULL);
  g_autoptr (CnnfiltTensor) y2 = run_op (fc, rows);
  g_autoptr (CnnfiltTensor) want_y2 = run_op (fc_ref, rows);
  assert_close (want_y2, y2);
}
END_TEST

/* ---- Weights held once ---- */

typedef struct {
  guint moved, restored, notified;
  gdouble moved_sum;
} ReleaseCount;

/* sums what it is given, then spoils it: the memory is being freed */
static void
count_move (CnnfiltTensor *tensor, gfloat *values, gpointer data)
{
  ReleaseCount *count = data;
  count->moved++;
  for (gsize i = 0; i < cnnfilt_tensor_get_size (tensor); i++)
    {
      count->moved_sum += values[i];
      values[i] = NAN;
    }
}

static void
count_restore (CnnfiltTensor *tensor, gfloat *values, gpointer data)
{
  ReleaseCount *count = data;
  count->restored++;
  for (gsize i = 0; i < cnnfilt_tensor_get_size (tensor); i++)
    values[i] = (gfloat) i;
}

static void
count_notify (gpointer data)
{
  ((ReleaseCount *) data)->notified++;
}

static gboolean
release_counted (CnnfiltTensor *tensor, ReleaseCount *count)
{
  return cnnfilt_tensor_release_values (tensor, count_move, count, count_restore, count,
                                        count_notify);
}

/* cnnfilt_tensor_release_values: only a tensor that ops alone hold, one
 * of them at most besides those a graph made for its own runs (fused),
 * lets its values go; the first read brings them back through the restore
 * function, once; a tensor freed without being read only frees the
 * restore data. */
START_TEST (test_release_values)
{
  ReleaseCount count = { 0 };
  /* im2col and sgemm: no packing of the plugin's own releases them */
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d algorithm=gemm");
  CnnfiltTensor *w = random_tensor (2, 1, 3, 3, 1);
  gdouble sum = 0;
  for (gsize i = 0; i < cnnfilt_tensor_get_size (w); i++)
    sum += cnnfilt_tensor_get_data (w, NULL)[i];
  g_object_set (conv, "weights", w, NULL);
  /* the caller holds it too: not moved either */
  ck_assert (!release_counted (w, &count));
  g_object_unref (w);
  /* two ops of the caller's, which may run in two threads */
  CnnfiltOp *copy = cnnfilt_op_copy (conv);
  ck_assert (!release_counted (w, &count));
  g_object_unref (copy);
  /* the op and the conv2d + relu its graph fused for itself */
  g_autoptr (CnnfiltOp) relu = new_op ("relu");
  g_autoptr (CnnfiltGraph) graph = chain (conv, relu, NULL);
  CnnfiltShape shape = { 1, 1, 6, 6 };
  ck_assert (cnnfilt_graph_prepare (graph, &shape, 1, NULL));
  ck_assert_uint_eq (G_OBJECT (w)->ref_count, 2); /* it fused: two ops hold it */
  ck_assert_uint_eq (count.moved, 0);
  /* moved once, given the values */
  ck_assert (release_counted (w, &count));
  ck_assert (!release_counted (w, &count));
  ck_assert_uint_eq (count.moved, 1);
  tu_assert_near (sum, count.moved_sum, 0);
  ck_assert_uint_eq (count.restored + count.notified, 0);
  /* read through the property: restored once */
  g_autoptr (CnnfiltTensor) got = NULL;
  g_object_get (conv, "weights", &got, NULL);
  ck_assert_ptr_eq (got, w);
  tu_assert_near (5.0, cnnfilt_tensor_get_value (got, 0, 0, 1, 2), 0);
  tu_assert_near (17.0, cnnfilt_tensor_get_value (got, 1, 0, 2, 2), 0);
  ck_assert_uint_eq (count.restored, 1);
  ck_assert_uint_eq (count.notified, 1);
  g_clear_object (&got);

  /* freed unread: notified, not restored */
  ReleaseCount unread = { 0 };
  g_autoptr (CnnfiltOp) lone = new_op ("conv2d");
  CnnfiltTensor *v = random_tensor (4, 1, 1, 1, 2);
  g_object_set (lone, "weights", v, NULL);
  g_object_unref (v);
  ck_assert (cnnfilt_tensor_release_values (v, NULL, NULL, count_restore, &unread, count_notify));
  g_object_set (lone, "weights", NULL, NULL);
  ck_assert_uint_eq (unread.restored, 0);
  ck_assert_uint_eq (unread.notified, 1);
}
END_TEST

/* The packed-weight ops let their weights tensor go once packed where ops
 * alone hold it (not for Winograd, whose transform is not undone): the
 * weights read back are the same to the bit, and the op runs the same
 * before and after they are read. Then the memory: a 4096×4096 linear at
 * batch 8, relu fused, holds its 64 MiB of weights once from the moment its
 * graph is prepared, and reading them brings them back; not where the
 * caller's copy of the op shares them. */
START_TEST (test_weights_held_once)
{
  static const struct {
    const gchar *op;
    guint wn, wc, wh, ww;
    guint n, c, h, w;
  } cases[] = {
    { "linear", 96, 80, 1, 1, 8, 80, 1, 1 },
    { "linear trans-b=false", 80, 96, 1, 1, 8, 80, 1, 1 },
    { "conv2d", 40, 24, 1, 1, 2, 24, 9, 9 },
    { "conv2d stride=2 padding=1", 40, 24, 3, 3, 2, 24, 9, 9 },
    { "conv2d groups=4 padding=1", 32, 6, 3, 3, 2, 24, 9, 9 },
    { "conv-transpose stride=2", 24, 40, 3, 3, 2, 24, 5, 5 },
    /* packed in parts of 16 MiB along the outer dim, the last shorter
     * than the packed layout's block (which the parts do not write) */
    { "linear", 4100, 2050, 1, 1, 8, 2050, 1, 1 },
    { "linear trans-b=false", 4100, 2050, 1, 1, 8, 4100, 1, 1 },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (CnnfiltOp) op = op_from_text (cases[k].op);
      CnnfiltTensor *w = random_tensor (cases[k].wn, cases[k].wc, cases[k].wh, cases[k].ww, k);
      g_autoptr (CnnfiltTensor) kept = cnnfilt_tensor_copy (w);
      g_object_set (op, "weights", w, NULL);
      g_object_unref (w);
      g_autoptr (CnnfiltTensor) x = random_tensor (cases[k].n, cases[k].c, cases[k].h, cases[k].w, 9);
      g_autoptr (CnnfiltGraph) graph = chain (op, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) first = cnnfilt_graph_process (graph, x, &error);
      ck_assert_msg (first != NULL, "%s: %s", cases[k].op, error ? error->message : "");
      g_autoptr (CnnfiltTensor) read = NULL;
      g_object_get (op, "weights", &read, NULL);
      gsize count = 0;
      const gfloat *a = cnnfilt_tensor_get_data (kept, &count), *b = cnnfilt_tensor_get_data (read, NULL);
      ck_assert_msg (memcmp (a, b, count * sizeof (gfloat)) == 0, "%s: weights read back differ",
                     cases[k].op);
      g_clear_object (&read);
      g_autoptr (CnnfiltTensor) again = cnnfilt_graph_process (graph, x, &error);
      ck_assert_msg (again != NULL, "%s: %s", cases[k].op, error ? error->message : "");
      tu_assert_tensors_equal (first, again, 0);
    }

  /* a linear and the relu fused into it, as VGG's classifier: packed as
   * the graph plans, before its buffers and any run, in parts, each part
   * of the op's copy let go once packed, so that the layer is not held
   * twice meanwhile; kept where an op of the caller's shares them */
  for (guint shared = 0; shared < 2; shared++)
    {
      g_autoptr (CnnfiltOp) fc = new_op ("linear");
      g_autoptr (CnnfiltOp) relu = new_op ("relu");
      CnnfiltTensor *w = random_tensor (4096, 4096, 1, 1, 11);
      g_object_set (fc, "weights", w, NULL);
      g_object_unref (w);
      g_autoptr (CnnfiltOp) other = shared ? cnnfilt_op_copy (fc) : NULL;
      g_autoptr (CnnfiltGraph) graph = chain (fc, relu, NULL);
      CnnfiltShape shape = { 8, 4096, 1, 1 };
      /* meson's MALLOC_PERTURB_ has glibc fill memory as it is allocated,
       * all of the packed weights' before the packing: not while measured */
      mallopt (M_PERTURB, 0);
      gboolean measured = tu_reset_peak_memory ();
      gsize start = tu_peak_kb ();
      ck_assert (cnnfilt_graph_prepare (graph, &shape, 1, NULL));
      if (measured && !shared)
        ck_assert_msg (tu_peak_kb () < start + 40 * 1024, "packing 64 MiB of weights took %"
                       G_GSIZE_FORMAT " KiB more at the peak", tu_peak_kb () - start);
      const gchar *perturb = g_getenv ("MALLOC_PERTURB_");
      mallopt (M_PERTURB, perturb ? atoi (perturb) : 0);
      gsize before = tu_resident_kb ();
      g_autoptr (CnnfiltTensor) read = NULL;
      g_object_get (fc, "weights", &read, NULL);
      cnnfilt_tensor_get_value (read, 0, 0, 0, 0);
      gsize after = tu_resident_kb ();
      if (shared)
        ck_assert_msg (after < before + 16 * 1024, "reading shared weights took %" G_GSIZE_FORMAT
                       " KiB; they were released", after - before);
      else
        ck_assert_msg (after > before + 48 * 1024, "reading the weights took %" G_GSIZE_FORMAT
                       " KiB; they were not released", after - before);
    }
}
END_TEST

/* A convolution with a batchnorm folded in, on Winograd's kernel (3×3,
 * stride 1), whose packing cannot be undone: the folded weights, which
 * only the fused op holds, are let go once packed all the same, since they
 * can be folded again; the plain ones stay with the caller's op. A graph's
 * prepare of conv ! batchnorm then takes about what a lone conv's takes,
 * the packed weights, not the folded copy besides (36 MiB at
 * 1024×1024×3×3). The fused op's weights, read after it ran, come back
 * folded anew, the same to the bit, and it runs the same after. */
START_TEST (test_folded_weights_released)
{
  const guint c = 1024;
  g_autoptr (CnnfiltTensor) w = random_tensor (c, c, 3, 3, 90);
  g_autoptr (CnnfiltTensor) scale = random_tensor (c, 1, 1, 1, 91);
  g_autoptr (CnnfiltTensor) shift = random_tensor (c, 1, 1, 1, 92);
  g_autoptr (CnnfiltTensor) mean = random_tensor (c, 1, 1, 1, 93);
  g_autoptr (CnnfiltTensor) var = random_tensor (c, 1, 1, 1, 94);
  gfloat *v = cnnfilt_tensor_get_data (var, NULL);
  for (guint i = 0; i < c; i++)
    v[i] = fabsf (v[i]) + 0.1f;
  const gsize plain_kb = cnnfilt_tensor_get_size (w) * sizeof (gfloat) / 1024;
  CnnfiltShape shape = { 1, c, 8, 8 };
  /* 16 of Winograd's tiles: enough for one thread (test_winograd_where_it_pays) */
  g_autoptr (CnnfiltDevice) one = cnnfilt_device_new_from_string ("cpu", NULL);
  cnnfilt_device_set_n_threads (one, 1);
  gsize growth[3];
  /* the first prepare of the process takes 60 MiB more (oneDNN's own):
   * conv alone, then conv alone and conv ! batchnorm measured */
  for (guint k = 0; k < 3; k++)
    {
      g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
      g_autoptr (CnnfiltOp) bn = new_op ("batchnorm");
      g_object_set (conv, "weights", w, NULL);
      g_object_set (bn, "scale", scale, "bias", shift, "mean", mean, "var", var, NULL);
      g_autoptr (CnnfiltGraph) graph = k == 2 ? chain (conv, bn, NULL) : chain (conv, NULL);
      cnnfilt_graph_set_device (graph, one);
      gsize before = tu_resident_kb ();
      ck_assert (cnnfilt_graph_prepare (graph, &shape, 1, NULL));
      growth[k] = tu_resident_kb () - before;
    }
  /* not under AddressSanitizer, where the folded weights are freed but
   * stay resident */
  if (!TU_FREED_MEMORY_KEPT)
    ck_assert_msg (growth[2] < growth[1] + plain_kb / 2,
                   "conv ! batchnorm took %" G_GSIZE_FORMAT " KiB to prepare, conv alone %"
                   G_GSIZE_FORMAT ": the folded weights were kept", growth[2], growth[1]);

  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_autoptr (CnnfiltOp) bn = new_op ("batchnorm");
  g_object_set (conv, "weights", w, NULL);
  g_object_set (bn, "scale", scale, "bias", shift, "mean", mean, "var", var, NULL);
  g_autoptr (CnnfiltOp) fused = cnnfilt_op_fuse (conv, bn);
  ck_assert_ptr_nonnull (fused);
  g_autoptr (CnnfiltTensor) folded = NULL;
  g_object_get (fused, "weights", &folded, NULL);
  g_autoptr (CnnfiltTensor) kept = cnnfilt_tensor_copy (folded);
  g_clear_object (&folded);
  g_autoptr (CnnfiltTensor) x = random_tensor (1, c, 8, 8, 95);
  g_autoptr (CnnfiltTensor) first = run_op_on (fused, one, x);
  gsize before = tu_resident_kb ();
  g_object_get (fused, "weights", &folded, NULL);
  gsize count = 0;
  const gfloat *a = cnnfilt_tensor_get_data (kept, &count), *b = cnnfilt_tensor_get_data (folded, NULL);
  ck_assert_msg (tu_resident_kb () > before + plain_kb / 2,
                 "reading the folded weights took %" G_GSIZE_FORMAT " KiB: they were not released",
                 tu_resident_kb () - before);
  ck_assert (memcmp (a, b, count * sizeof (gfloat)) == 0);
  g_clear_object (&folded);
  g_autoptr (CnnfiltTensor) again = run_op_on (fused, one, x);
  tu_assert_tensors_equal (first, again, 0);
}
END_TEST

/* Whether conv2d's output on @x, run on @threads threads, differs in any
 * bit from the same convolution's with winograd=false: oneDNN's direct
 * kernel sums each output in one order, Winograd's transform rounds
 * otherwise. */
static gboolean
winograd_used (CnnfiltTensor *w, CnnfiltTensor *x, guint threads)
{
  g_autoptr (CnnfiltDevice) device = cnnfilt_device_new_from_string ("cpu", NULL);
  cnnfilt_device_set_n_threads (device, threads);
  g_autoptr (CnnfiltOp) direct = op_from_text ("conv2d padding=1 winograd=false");
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_object_set (direct, "weights", w, NULL);
  g_object_set (conv, "weights", w, NULL);
  g_autoptr (CnnfiltTensor) want = run_op_on (direct, device, x);
  g_autoptr (CnnfiltTensor) got = run_op_on (conv, device, x);
  gsize count = 0;
  const gfloat *a = cnnfilt_tensor_get_data (want, &count), *b = cnnfilt_tensor_get_data (got, NULL);
  return memcmp (a, b, count * sizeof (gfloat)) != 0;
}

/* Whether oneDNN has a Winograd kernel on this CPU (AVX-512): a 64-channel
 * layer at 28×28, 196 tiles, uses it on two threads. */
static gboolean
winograd_available (void)
{
  g_autoptr (CnnfiltTensor) w = random_tensor (64, 64, 3, 3, 104);
  g_autoptr (CnnfiltTensor) x = random_tensor (1, 64, 28, 28, 105);
  return winograd_used (w, x, 2);
}

/* conv2d lets oneDNN use Winograd only where each thread has 16 of its
 * output tiles or more; with fewer, reading the transformed weights (16/9
 * or 4 times the plain ones) takes as long as direct convolution, which
 * needs less memory and no transform on the first run. ResNet's last
 * layers, 512 channels at 7×7: at batch 1 (F(2×2, 3×3), 16 tiles) direct
 * on two threads, Winograd on one; at batch 8 (F(4×4, 3×3), 32 tiles)
 * Winograd on two. Where oneDNN has no Winograd kernel (without AVX-512),
 * direct everywhere. An op that ran on two threads makes its kernel again
 * when its device is given one. */
START_TEST (test_winograd_where_it_pays)
{
  g_autoptr (CnnfiltTensor) w = random_tensor (512, 512, 3, 3, 100);
  gfloat *v = cnnfilt_tensor_get_data (w, NULL);
  for (gsize i = 0; i < cnnfilt_tensor_get_size (w); i++)
    v[i] *= 0.05f;
  g_autoptr (CnnfiltTensor) one = random_tensor (1, 512, 7, 7, 101);
  g_autoptr (CnnfiltTensor) eight = random_tensor (8, 512, 7, 7, 102);
  ck_assert_msg (!winograd_used (w, one, 2), "Winograd for 16 tiles on 2 threads");
  if (!winograd_available ())
    return;
  ck_assert_msg (winograd_used (w, one, 1), "no Winograd for 16 tiles on 1 thread");
  ck_assert_msg (winograd_used (w, eight, 2), "no Winograd for 32 tiles on 2 threads");

  g_autoptr (CnnfiltDevice) device = cnnfilt_device_new_from_string ("cpu", NULL);
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_object_set (conv, "weights", w, NULL);
  cnnfilt_device_set_n_threads (device, 2);
  g_autoptr (CnnfiltTensor) two_threads = run_op_on (conv, device, one);
  cnnfilt_device_set_n_threads (device, 1);
  g_autoptr (CnnfiltTensor) one_thread = run_op_on (conv, device, one);
  g_autoptr (CnnfiltOp) direct = op_from_text ("conv2d padding=1 winograd=false");
  g_object_set (direct, "weights", w, NULL);
  g_autoptr (CnnfiltTensor) want = run_op_on (direct, device, one);
  tu_assert_tensors_equal (want, two_threads, 0);
  gsize count = 0;
  const gfloat *a = cnnfilt_tensor_get_data (want, &count), *b = cnnfilt_tensor_get_data (one_thread, NULL);
  ck_assert_msg (memcmp (a, b, count * sizeof (gfloat)) != 0, "the kernel of two threads ran on one");
  tu_assert_tensors_equal (want, one_thread, 1e-4);
}
END_TEST

/* The growth of the resident memory, in KiB, over preparing conv2d with
 * weights @w for @shape on @device. */
static gsize
prepare_growth_kb (CnnfiltTensor *w, const CnnfiltShape *shape, CnnfiltDevice *device)
{
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_object_set (conv, "weights", w, NULL);
  g_autoptr (CnnfiltGraph) graph = chain (conv, NULL);
  cnnfilt_graph_set_device (graph, device);
  gsize before = tu_resident_kb ();
  ck_assert (cnnfilt_graph_prepare (graph, shape, 1, NULL));
  return tu_resident_kb () - before;
}

/* Packing weights works in scratch of its own, given back once done, not
 * in the scratch the runs share: Winograd's transform of 512×512 weights
 * asks for 36 MiB, which stayed resident there until a run needed more,
 * after the graph's buffers had been touched (ResNet-18 at batch 8 peaked
 * 20 MB above where it settled). Preparing such a layer for F(4×4, 3×3)
 * (batch 8 at 7×7, two threads) grows the process by its packed weights,
 * 36 MiB, not twice that. Not where there is no Winograd kernel, nor under
 * AddressSanitizer, which keeps freed memory. */
START_TEST (test_packing_scratch_given_back)
{
  if (TU_FREED_MEMORY_KEPT || !winograd_available ())
    return;
  g_autoptr (CnnfiltTensor) w = random_tensor (512, 512, 3, 3, 110);
  g_autoptr (CnnfiltDevice) device = cnnfilt_device_new_from_string ("cpu", NULL);
  cnnfilt_device_set_n_threads (device, 2);
  /* oneDNN's own first: a small layer on the same kernel */
  g_autoptr (CnnfiltTensor) small = random_tensor (64, 64, 3, 3, 112);
  prepare_growth_kb (small, &(CnnfiltShape) { 8, 64, 7, 7 }, device);
  const gsize packed_kb = 4 * cnnfilt_tensor_get_size (w) * sizeof (gfloat) / 1024;
  gsize growth = prepare_growth_kb (w, &(CnnfiltShape) { 8, 512, 7, 7 }, device);
  ck_assert_msg (growth < packed_kb + packed_kb / 4,
                 "preparing 36 MiB of packed weights grew the process by %" G_GSIZE_FORMAT " KiB",
                 growth);
}
END_TEST

typedef struct {
  CnnfiltGraph *graph;
  CnnfiltTensor *input;
  CnnfiltTensor *output;
} ThreadRun;

static gpointer
run_in_thread (gpointer data)
{
  ThreadRun *run = data;
  run->output = cnnfilt_graph_process (run->graph, run->input, NULL);
  return NULL;
}

START_TEST (test_prepare_and_run_in_other_threads)
{
  /* cnnfilt classify prepares its model in the main thread and runs it in
   * workers: kernels with a scratchpad (Winograd) must not depend on the
   * thread that made them. */
  g_autoptr (CnnfiltTensor) input = random_tensor (3, 64, 56, 56, 4);
  g_autoptr (CnnfiltTensor) weights = random_tensor (64, 64, 3, 3, 5);
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_autoptr (CnnfiltOp) ref = op_from_text ("conv2d padding=1 algorithm=reference");
  g_object_set (conv, "weights", weights, NULL);
  g_object_set (ref, "weights", weights, NULL);
  g_autoptr (CnnfiltOp) pool = op_from_text ("max-pool kernel=2");
  g_autoptr (CnnfiltOp) pool_ref = op_from_text ("max-pool kernel=2 algorithm=reference");
  g_autoptr (CnnfiltGraph) graph = chain (conv, pool, NULL);
  g_autoptr (CnnfiltGraph) want_graph = chain (ref, pool_ref, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) want = cnnfilt_graph_process (want_graph, input, &error);
  ck_assert_msg (want != NULL, "%s", error ? error->message : "");
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (input, &shape);
  ck_assert (cnnfilt_graph_prepare (graph, &shape, 1, &error));
  for (guint i = 0; i < 3; i++)
    {
      ThreadRun run = { graph, input, NULL };
      GThread *thread = g_thread_new ("other", run_in_thread, &run);
      g_thread_join (thread);
      ck_assert_ptr_nonnull (run.output);
      assert_close (want, run.output);
      g_object_unref (run.output);
    }
}
END_TEST

static CnnfiltGraph *
conv_bn_relu_graph (gboolean fuse)
{
  g_autoptr (CnnfiltOp) conv = op_from_text ("conv2d padding=1");
  g_autoptr (CnnfiltOp) bn = op_from_text ("batchnorm epsilon=0.001");
  g_autoptr (CnnfiltOp) relu = new_op ("relu");
  CnnfiltGraph *graph = chain (conv, bn, relu, NULL);
  g_object_set (graph, "fuse", fuse, NULL);
  g_autoptr (CnnfiltTensor) w = random_tensor (5, 3, 3, 3, 1);
  g_autoptr (CnnfiltTensor) b = random_tensor (5, 1, 1, 1, 2);
  g_autoptr (CnnfiltTensor) scale = random_tensor (5, 1, 1, 1, 3);
  g_autoptr (CnnfiltTensor) shift = random_tensor (5, 1, 1, 1, 4);
  g_autoptr (CnnfiltTensor) mean = random_tensor (5, 1, 1, 1, 5);
  g_autoptr (CnnfiltTensor) var = random_tensor (5, 1, 1, 1, 6);
  gsize count;
  gfloat *v = cnnfilt_tensor_get_data (var, &count);
  for (gsize i = 0; i < count; i++)
    v[i] = fabsf (v[i]) + 0.1f;
  g_object_set (cnnfilt_graph_get_op (graph, "conv2d"), "weights", w, "bias", b, NULL);
  g_object_set (cnnfilt_graph_get_op (graph, "batchnorm"), "scale", scale, "bias", shift, "mean",
                mean, "var", var, NULL);
  return graph;
}

START_TEST (test_fuse_conv_batchnorm_relu)
{
  g_autoptr (CnnfiltGraph) plain = conv_bn_relu_graph (FALSE);
  g_autoptr (CnnfiltGraph) fused = conv_bn_relu_graph (TRUE);
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 8, 9, 7);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) want = cnnfilt_graph_process (plain, input, &error);
  ck_assert_msg (want != NULL, "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) got = cnnfilt_graph_process (fused, input, &error);
  ck_assert_msg (got != NULL, "%s", error ? error->message : "");
  assert_close (want, got);
  /* fused, the chain needs only its output: no intermediate buffers */
  ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (fused),
                     cnnfilt_tensor_get_size (got) * sizeof (gfloat));
  ck_assert_uint_gt (cnnfilt_graph_get_buffer_size (plain),
                     cnnfilt_graph_get_buffer_size (fused));
  /* the user's ops are left alone: preparing again folds again, once */
  CnnfiltShape other = { 1, 3, 5, 5 };
  ck_assert (cnnfilt_graph_prepare (fused, &other, 1, &error));
  g_autoptr (CnnfiltTensor) again = cnnfilt_graph_process (fused, input, &error);
  assert_close (want, again);
  /* a relu that is also an output stops the fusion there, not the result */
  ck_assert (cnnfilt_graph_add_output (fused, "batchnorm", &error));
  ck_assert (cnnfilt_graph_add_output (fused, "relu", &error));
  ck_assert (cnnfilt_graph_run (fused, &input, 1, &error));
  g_autoptr (CnnfiltTensor) last = cnnfilt_graph_get_output (fused, 1);
  assert_close (want, last);
}
END_TEST

/* A point op after a conv2d (or after its clamp) becomes the conv's
 * activation, applied by oneDNN as it writes, or after the gemm and
 * reference paths and the OpenCL kernel: fused against unfused, on each
 * path. Nothing after the activation folds in (a relu after silu stays a
 * relu), and a clamp before it stays before it. */
START_TEST (test_fuse_conv_activation)
{
  static const gchar *acts[] = { "silu", "gelu", "hard-swish", "sigmoid", "tanh" };
  static const gchar *algorithms[] = { "auto", "gemm", "reference" };
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 24, 24, 11);
  g_autoptr (CnnfiltTensor) w1 = random_tensor (8, 3, 3, 3, 12);
  g_autoptr (CnnfiltTensor) w2 = random_tensor (8, 8, 1, 1, 13);
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (guint k = 0; k < G_N_ELEMENTS (algorithms); k++)
      for (guint shape = 0; shape < 2; shape++)
        {
          CnnfiltTensor *outs[2] = { NULL, NULL };
          for (guint f = 0; f < 2; f++)
            {
              g_autoptr (CnnfiltOp) conv1 = new_op ("conv2d"), conv2 = new_op ("conv2d");
              g_autoptr (CnnfiltOp) act1 = new_op (acts[a]), act2 = new_op (acts[(a + 1) % 5]);
              g_autoptr (CnnfiltOp) clip = new_op ("clip"), relu = new_op ("relu");
              g_object_set (conv1, "weights", w1, "padding", 1, NULL);
              g_object_set (conv2, "weights", w2, NULL);
              set (conv1, "algorithm", algorithms[k]);
              set (conv2, "algorithm", algorithms[k]);
              set (clip, "min", "-0.5");
              set (clip, "max", "0.7");
              /* conv ! act ! conv ! act, or conv ! clip ! act ! relu */
              g_autoptr (CnnfiltGraph) graph = shape == 0 ? chain (conv1, act1, conv2, act2, NULL)
                                                          : chain (conv1, clip, act1, relu, NULL);
              g_object_set (graph, "fuse", f == 1, NULL);
              g_autoptr (GError) error = NULL;
              outs[f] = cnnfilt_graph_process (graph, input, &error);
              ck_assert_msg (outs[f] != NULL, "%s: %s", acts[a], error ? error->message : "");
              CnnfiltDevice *device = tu_opencl_device ();
              if (f == 1 && device != NULL)
                {
                  cnnfilt_graph_set_device (graph, device);
                  g_autoptr (CnnfiltTensor) on_device = cnnfilt_graph_process (graph, input, &error);
                  ck_assert_msg (on_device != NULL, "%s on OpenCL: %s", acts[a],
                                 error ? error->message : "");
                  tu_assert_close (acts[a], outs[0], on_device, TU_OPENCL_TOLERANCE);
                }
            }
          assert_close (outs[0], outs[1]);
          g_object_unref (outs[0]);
          g_object_unref (outs[1]);
        }
  /* fused, conv ! act needs only its output's buffer */
  for (guint f = 0; f < 2; f++)
    {
      g_autoptr (CnnfiltOp) conv = new_op ("conv2d"), act = new_op ("silu");
      g_object_set (conv, "weights", w1, NULL);
      g_autoptr (CnnfiltGraph) graph = chain (conv, act, NULL);
      g_object_set (graph, "fuse", f == 1, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (out != NULL, "%s", error ? error->message : "");
      gsize one = cnnfilt_tensor_get_size (out) * sizeof (gfloat);
      ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (graph), f == 1 ? one : 2 * one);
    }
  /* only point ops oneDNN has, without parameters; the op is named */
  static const gchar *refused[] = { "relu", "elu", "no-such-op" };
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
      g_autoptr (GError) error = NULL;
      g_object_set (conv, "weights", w1, NULL);
      set (conv, "activation", refused[i]);
      ck_assert (!cnnfilt_op_validate (conv, &error));
      ck_assert_msg (strstr (error->message, "conv2d: activation=") != NULL &&
                     strstr (error->message, refused[i]) != NULL, "%s", error->message);
    }
}
END_TEST

/* A residual block: relu(conv(relu(conv(x))) + x), the two branches of x. */
/* A batchnorm with no conv before it (DenseNet's, after a concat) takes
 * the following relu; a batchnorm given a clamp and folded into a conv
 * passes the clamp on. Fused against unfused. */
START_TEST (test_fuse_batchnorm_clamp)
{
  for (guint variant = 0; variant < 2; variant++)
    {
      /* the batchnorm has 5 channels; the conv2d takes 3 to 5 */
      g_autoptr (CnnfiltTensor) input = random_tensor (2, variant ? 3 : 5, 6, 7, 9);
      CnnfiltGraph *graphs[2] = { NULL, NULL };
      CnnfiltTensor *outs[2] = { NULL, NULL };
      for (guint f = 0; f < 2; f++)
        {
          g_autoptr (CnnfiltGraph) base = conv_bn_relu_graph (f == 1);
          /* the same weights, rebuilt as bn ! relu or conv ! bn(clamped) */
          CnnfiltOp *bn_template = cnnfilt_graph_get_op (base, "batchnorm");
          g_autoptr (CnnfiltOp) bn = cnnfilt_op_copy (bn_template);
          g_autoptr (CnnfiltOp) relu = new_op ("relu");
          if (variant == 0)
            graphs[f] = chain (bn, relu, NULL);
          else
            {
              g_autoptr (CnnfiltOp) conv = cnnfilt_op_copy (cnnfilt_graph_get_op (base, "conv2d"));
              set (bn, "clamp-min", "0.1");
              set (bn, "clamp-max", "0.5");
              graphs[f] = chain (conv, bn, NULL);
            }
          g_object_set (graphs[f], "fuse", f == 1, NULL);
          g_autoptr (GError) error = NULL;
          outs[f] = cnnfilt_graph_process (graphs[f], input, &error);
          ck_assert_msg (outs[f] != NULL, "%s", error ? error->message : "");
        }
      assert_close (outs[0], outs[1]);
      /* fused, one buffer per op left: the relu or the batchnorm is gone */
      ck_assert_uint_lt (cnnfilt_graph_get_buffer_size (graphs[1]),
                         cnnfilt_graph_get_buffer_size (graphs[0]));
      for (guint f = 0; f < 2; f++)
        {
          g_object_unref (outs[f]);
          g_object_unref (graphs[f]);
        }
    }
}
END_TEST

/* relu (conv2 (relu (conv1 (x))) + x), 3×3 convolutions padded by 1. */
static CnnfiltGraph *
residual_graph (CnnfiltTensor *w1, CnnfiltTensor *w2, CnnfiltOp **ops)
{
  g_autoptr (GError) error = NULL;
  const gchar *names[] = { "conv2d", "relu", "conv2d", "add", "relu" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    ops[i] = new_op (names[i]);
  g_object_set (ops[0], "weights", w1, "padding", 1, NULL);
  g_object_set (ops[2], "weights", w2, "padding", 1, NULL);
  CnnfiltGraph *graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  const gchar *x[] = { "x", NULL }, *a[] = { "a", NULL }, *b[] = { "b", NULL };
  const gchar *sum[] = { "c", "x", NULL }, *s[] = { "s", NULL };
  ck_assert (cnnfilt_graph_add_node (graph, "a", ops[0], x, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "b", ops[1], a, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "c", ops[2], b, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "s", ops[3], sum, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "y", ops[4], s, &error));
  return graph;
}

static void
ops_free (CnnfiltOp **ops, guint n)
{
  for (guint i = 0; i < n; i++)
    g_clear_object (&ops[i]);
}

START_TEST (test_residual_dag)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) w1 = random_tensor (4, 4, 3, 3, 11);
  g_autoptr (CnnfiltTensor) w2 = random_tensor (4, 4, 3, 3, 12);
  CnnfiltOp *ops[5];
  g_autoptr (CnnfiltGraph) graph = residual_graph (w1, w2, ops);
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 4, 6, 7, 13);
  g_autoptr (CnnfiltTensor) got = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (got != NULL, "%s", error ? error->message : "");

  /* the same, op by op */
  g_autoptr (CnnfiltTensor) t1 = cnnfilt_op_process (ops[0], input, &error);
  g_autoptr (CnnfiltTensor) t2 = cnnfilt_op_process (ops[1], t1, &error);
  g_autoptr (CnnfiltTensor) t3 = cnnfilt_op_process (ops[2], t2, &error);
  gsize count;
  gfloat *v = cnnfilt_tensor_get_data (t3, &count);
  const gfloat *in = cnnfilt_tensor_get_data (input, NULL);
  for (gsize i = 0; i < count; i++)
    v[i] = MAX (v[i] + in[i], 0.0f);
  assert_close (t3, got);
  ops_free (ops, G_N_ELEMENTS (ops));
}
END_TEST

/* Image @i of @batch, alone. */
static CnnfiltTensor *
batch_image (CnnfiltTensor *batch, guint i)
{
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (batch, &shape);
  gsize size = (gsize) shape.c * shape.h * shape.w;
  CnnfiltTensor *image = cnnfilt_tensor_new (1, shape.c, shape.h, shape.w, NULL);
  memcpy (cnnfilt_tensor_get_data (image, NULL), cnnfilt_tensor_get_data (batch, NULL) + i * size,
          size * sizeof (gfloat));
  return image;
}

/* A batch whose convolutions would need more working memory than conv2d
 * allows itself (64 MiB: Winograd's transformed tiles, the copies in the
 * kernel's layout) runs in parts of whole images, the residual input split
 * alike. Sixteen images of 64 channels at 128×128: Winograd's blocked copy
 * of the input, and of the output, are 64 MiB each. Where oneDNN has no
 * Winograd (below AVX-512) direct convolution runs on the graph's own
 * channels-last buffers, needs no working memory and does not split; each
 * image comes out as it does alone either way. */
START_TEST (test_conv_batch_in_parts)
{
  const guint n = 16, size = 128;
  g_autoptr (CnnfiltTensor) w1 = random_tensor (64, 64, 3, 3, 21);
  g_autoptr (CnnfiltTensor) w2 = random_tensor (64, 64, 3, 3, 22);
  CnnfiltTensor *weights[] = { w1, w2 };
  for (guint k = 0; k < G_N_ELEMENTS (weights); k++)
    {
      gsize count = 0;
      gfloat *v = cnnfilt_tensor_get_data (weights[k], &count);
      for (gsize i = 0; i < count; i++)
        v[i] /= 24; /* outputs of order one: sqrt (64 × 9) = 24 */
    }
  g_autoptr (GError) error = NULL;
  CnnfiltOp *ops[5], *alone_ops[5];
  g_autoptr (CnnfiltGraph) graph = residual_graph (w1, w2, ops);
  g_autoptr (CnnfiltGraph) alone = residual_graph (w1, w2, alone_ops);
  g_autoptr (CnnfiltTensor) input = random_tensor (n, 64, size, size, 23);
  tu_log_capture_start ();
  guint split = tu_log_count (G_LOG_LEVEL_DEBUG, NULL, "conv2d: a batch of 16 in");
  g_autoptr (CnnfiltTensor) got = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (got != NULL, "%s", error ? error->message : "");
  /* both convolutions (and the plans the graph asks for when it chooses
   * the layouts) */
  guint splits = tu_log_count (G_LOG_LEVEL_DEBUG, NULL, "conv2d: a batch of 16 in") - split;
  if (winograd_available ())
    ck_assert_uint_ge (splits, 2);
  else
    ck_assert_uint_eq (splits, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (CnnfiltTensor) image = batch_image (input, i);
      g_autoptr (CnnfiltTensor) want = cnnfilt_graph_process (alone, image, &error);
      ck_assert_msg (want != NULL, "%s", error ? error->message : "");
      g_autoptr (CnnfiltTensor) part = batch_image (got, i);
      assert_close (want, part);
    }
  ops_free (ops, G_N_ELEMENTS (ops));
  ops_free (alone_ops, G_N_ELEMENTS (alone_ops));
}
END_TEST

START_TEST (test_broadcast_and_concat)
{
  g_autoptr (GError) error = NULL;
  const gfloat av[] = { 1, 2, 3, 4, 5, 6, 7, 8 };  /* 1×2×2×2 */
  const gfloat cv[] = { 10, 100 };                  /* per channel 1×2×1×1 */
  g_autoptr (CnnfiltTensor) a = tu_tensor (av, 1, 2, 2, 2);
  g_autoptr (CnnfiltTensor) c = tu_tensor (cv, 1, 2, 1, 1);
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "a", &error));
  ck_assert (cnnfilt_graph_add_constant (graph, "k", c, &error));
  g_autoptr (CnnfiltOp) mul = new_op ("mul");
  g_autoptr (CnnfiltOp) add = new_op ("add");
  g_autoptr (CnnfiltOp) concat = new_op ("concat");
  const gchar *ak[] = { "a", "k", NULL }, *ka[] = { "k", "m", NULL };
  const gchar *all[] = { "a", "m", "s", NULL };
  ck_assert (cnnfilt_graph_add_node (graph, "m", mul, ak, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "s", add, ka, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "j", concat, all, &error));
  ck_assert (cnnfilt_graph_add_output (graph, "j", &error));
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, a, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  const gfloat want[] = { 1, 2, 3, 4, 5, 6, 7, 8,                        /* a */
                          10, 20, 30, 40, 500, 600, 700, 800,            /* a·k */
                          20, 30, 40, 50, 600, 700, 800, 900 };          /* k + a·k */
  tu_assert_tensor (out, 1, 6, 2, 2, want, 1e-6);

  /* inputs in both layouts, NCHW between NHWC: a channels-last conv joined
   * between two copies of the graph input, read by a broadcasting mul
   * (NCHW only); each input lands at its own channels, fused or not */
  g_autoptr (CnnfiltTensor) x = random_tensor (1, 3, 8, 8, 11);
  g_autoptr (CnnfiltTensor) w = random_tensor (4, 3, 3, 3, 12);
  g_autoptr (CnnfiltTensor) k = random_tensor (1, 10, 1, 1, 13);
  g_autoptr (CnnfiltTensor) fused = NULL, plain = NULL;
  for (gint fuse = 1; fuse >= 0; fuse--)
    {
      g_autoptr (CnnfiltGraph) mixed = g_object_new (CNNFILT_TYPE_GRAPH, "fuse", fuse, NULL);
      g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
      g_object_set (conv, "weights", w, "padding", 1, NULL);
      g_autoptr (CnnfiltOp) join = new_op ("concat");
      g_autoptr (CnnfiltOp) scale = new_op ("mul");
      const gchar *xin[] = { "x", NULL }, *xcx[] = { "x", "c", "x", NULL };
      const gchar *jk[] = { "j", "k", NULL };
      ck_assert (cnnfilt_graph_add_input (mixed, "x", &error));
      ck_assert (cnnfilt_graph_add_constant (mixed, "k", k, &error));
      ck_assert (cnnfilt_graph_add_node (mixed, "c", conv, xin, &error));
      ck_assert (cnnfilt_graph_add_node (mixed, "j", join, xcx, &error));
      ck_assert (cnnfilt_graph_add_node (mixed, "m", scale, jk, &error));
      CnnfiltTensor *result = cnnfilt_graph_process (mixed, x, &error);
      ck_assert_msg (result != NULL, "%s", error ? error->message : "");
      if (fuse)
        fused = result;
      else
        plain = result;
    }
  /* channel 0 is x's channel 0 scaled by k[0]; channel 7, after x and the
   * conv's 4 channels, is x's channel 0 again, scaled by k[7] */
  const gfloat *xv = cnnfilt_tensor_get_data (x, NULL), *kv = cnnfilt_tensor_get_data (k, NULL);
  const gfloat *pv = cnnfilt_tensor_get_data (plain, NULL);
  for (guint i = 0; i < 64; i++)
    {
      ck_assert_float_eq_tol (pv[i], xv[i] * kv[0], 1e-6);
      ck_assert_float_eq_tol (pv[7 * 64 + i], xv[i] * kv[7], 1e-6);
    }
  assert_close (fused, plain);

  /* concat of mismatched shapes names the node */
  g_autoptr (CnnfiltGraph) bad = cnnfilt_graph_new ();
  const gchar *pair[] = { "a", "b", NULL };
  ck_assert (cnnfilt_graph_add_input (bad, "a", &error));
  ck_assert (cnnfilt_graph_add_input (bad, "b", &error));
  ck_assert (cnnfilt_graph_add_node (bad, "join", concat, pair, &error));
  CnnfiltShape shapes[] = { { 1, 2, 4, 4 }, { 1, 3, 4, 5 } };
  ck_assert (!cnnfilt_graph_prepare (bad, shapes, 2, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "join", "concat", "1x3x4x5");
}
END_TEST

START_TEST (test_activations)
{
  const gfloat in[] = { -2, -0.5f, 0, 0.5f, 3, 7 };
  const gfloat relu[] = { 0, 0, 0, 0.5f, 3, 7 };
  const gfloat leaky[] = { -0.2f, -0.05f, 0, 0.5f, 3, 7 };
  const gfloat clip[] = { 0, 0, 0, 0.5f, 3, 6 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("relu", in, 1, 1, 1, 6);
  tu_assert_tensor (a, 1, 1, 1, 6, relu, 0);
  g_autoptr (CnnfiltTensor) b = tu_run_values ("leaky-relu alpha=0.1", in, 1, 1, 1, 6);
  tu_assert_tensor (b, 1, 1, 1, 6, leaky, 1e-7);
  g_autoptr (CnnfiltTensor) c = tu_run_values ("clip min=0 max=6", in, 1, 1, 1, 6);
  tu_assert_tensor (c, 1, 1, 1, 6, clip, 0);
  g_autoptr (CnnfiltTensor) d = tu_run_values ("sigmoid", in, 1, 1, 1, 6);
  ck_assert_float_eq_tol (cnnfilt_tensor_get_value (d, 0, 0, 0, 2), 0.5f, 1e-7);
  ck_assert_float_eq_tol (cnnfilt_tensor_get_value (d, 0, 0, 0, 0), 1 / (1 + exp (2)), 1e-7);
  g_autoptr (CnnfiltTensor) e = tu_run_values ("tanh", in, 1, 1, 1, 6);
  ck_assert_float_eq_tol (cnnfilt_tensor_get_value (e, 0, 0, 0, 4), tanh (3), 1e-7);
  g_autoptr (CnnfiltTensor) f = tu_run_values ("dropout ! identity", in, 1, 1, 1, 6);
  tu_assert_tensor (f, 1, 1, 1, 6, in, 0);
}
END_TEST

/* The activations of MobileNetV3, EfficientNet-style and self-normalising
 * networks, and the elementwise maths of exported normalisations, against
 * values worked out by hand (numpy in float64 for the transcendental ones),
 * to 1e-6 (exp: 2e-4 absolute at 1096, float's precision there). */
START_TEST (test_activations_more)
{
  const gfloat in[] = { -2, -0.5f, 0, 0.5f, 3, 7 };
  static const struct {
    const gchar *pipeline;
    gfloat want[6];
    gdouble tolerance;
  } cases[] = {
    /* max(0, min(1, 0.2x + 0.5)) */
    { "hard-sigmoid", { 0.1f, 0.4f, 0.5f, 0.6f, 1, 1 }, 1e-6 },
    { "hard-sigmoid alpha=0.5 beta=0", { 0, 0, 0, 0.25f, 1, 1 }, 1e-6 },
    /* x · max(0, min(1, x/6 + 1/2)) */
    { "hard-swish", { -1 / 3.0f, -0.5f * (5 / 12.0f), 0, 0.5f * (7 / 12.0f), 3, 7 }, 1e-6 },
    /* x ≥ 0: x; below: exp(x) − 1 */
    { "elu", { -0.86466472f, -0.39346934f, 0, 0.5f, 3, 7 }, 1e-6 },
    { "elu alpha=2", { -1.72932943f, -0.78693868f, 0, 0.5f, 3, 7 }, 1e-6 },
    /* 1.0507·x above 0, 1.0507·1.6733·(exp(x) − 1) below */
    { "selu", { -1.52016647f, -0.69175819f, 0, 0.52535051f, 3.15210307f, 7.35490716f }, 1e-6 },
    /* log(1 + exp(x)) */
    { "softplus", { 0.12692801f, 0.47407698f, 0.69314718f, 0.97407698f, 3.04858735f, 7.00091147f }, 1e-6 },
    { "exp", { 0.13533528f, 0.60653066f, 1, 1.64872127f, 20.0855369f, 1096.63316f }, 2e-4 },
    { "neg", { 2, 0.5f, 0, -0.5f, -3, -7 }, 0 },
    { "erf", { -0.99532227f, -0.52049988f, 0, 0.52049988f, 0.99997791f, 1 }, 1e-6 },
    /* x / (1 + exp(−x)) */
    { "silu", { -0.23840584f, -0.18877033f, 0, 0.31122967f, 2.8577224f, 6.9936226f }, 1e-6 },
    /* x · (1 + erf(x/√2)) / 2, the exact GELU (the tanh form is 1e-4 off at 3) */
    { "gelu", { -0.045500264f, -0.15426877f, 0, 0.34573123f, 2.9959503f, 7 }, 1e-6 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) out = tu_run_values (cases[i].pipeline, in, 1, 1, 1, 6);
      tu_assert_tensor (out, 1, 1, 1, 6, cases[i].want, cases[i].tolerance);
    }

  const gfloat squares[] = { 0, 0.25f, 1, 4, 9, 2 }, roots[] = { 0, 0.5f, 1, 2, 3, 1.41421356f };
  g_autoptr (CnnfiltTensor) root = tu_run_values ("sqrt", squares, 1, 1, 1, 6);
  tu_assert_tensor (root, 1, 1, 1, 6, roots, 1e-6);
  /* outside their domain: NaN, not a number made up */
  const gfloat negative[] = { -1 };
  g_autoptr (CnnfiltTensor) nan_root = tu_run_values ("sqrt", negative, 1, 1, 1, 1);
  ck_assert (isnan (cnnfilt_tensor_get_value (nan_root, 0, 0, 0, 0)));
  /* silu far from zero: the input, and 0 where exp(−x) overflows, not NaN */
  const gfloat far[] = { 100, -100 }, far_silu[] = { 100, 0 };
  g_autoptr (CnnfiltTensor) swish = tu_run_values ("silu", far, 1, 1, 1, 2);
  tu_assert_tensor (swish, 1, 1, 1, 2, far_silu, 1e-30);
  /* softplus of large inputs is the input, not infinity */
  const gfloat large[] = { 100, -100 };
  g_autoptr (CnnfiltTensor) soft = tu_run_values ("softplus", large, 1, 1, 1, 2);
  tu_assert_near (100, cnnfilt_tensor_get_value (soft, 0, 0, 0, 0), 1e-5);
  tu_assert_near (0, cnnfilt_tensor_get_value (soft, 0, 0, 0, 1), 1e-30);
}
END_TEST

/* The point ops with vectorised CPU runs (oneDNN's eltwise kernels for
 * tensors of 4,096 values or more; silu's and gelu's own loops), against
 * their definitions in float64 rounded to float, over −30 … 30 and the
 * ends: ±0, ±88.7 (where expf overflows), ±100, ±1e30, ±1e-30; silu and
 * gelu also over a tensor of no round size, run in chunks on two threads.
 * Tolerance: 3e-7 relative (5 float ulps; oneDNN's polynomial exp is 4.5
 * ulps off at worst here), plus 1e-36 absolute (silu of −88.7 is
 * −2.7e-37, flushed to −0). GELU is x·erfc(|x|/√2)/2 below 0, whose
 * e^(−x²/2) carries the rounding of x²/2, x²·3e-8 of a value that is
 * small there: |x|·9e-8 more is allowed. Measured over −6 … 6 in steps
 * of 6e-6: 57 ulps below −3, 15 from −3 to −1, 5.9 from −1 to 1, 2.0
 * from 1 to 3, under 1 above (oneDNN's gelu_erf, run before: 547 ulps
 * from −3 to −1, no digit right below −3, 7.4 from 0 to 1). */
static gdouble
eltwise_reference (const gchar *op, gdouble x)
{
  if (g_str_equal (op, "silu"))
    return x / (1 + exp (-x));
  if (g_str_equal (op, "gelu"))
    return 0.5 * x * (1 + erf (x / G_SQRT2));
  if (g_str_equal (op, "hard-swish"))
    return x * fmin (fmax (x / 6 + 0.5, 0), 1);
  if (g_str_equal (op, "sigmoid"))
    return 1 / (1 + exp (-x));
  if (g_str_equal (op, "tanh"))
    return tanh (x);
  if (g_str_equal (op, "exp"))
    return exp (x);
  if (g_str_equal (op, "sqrt"))
    return sqrt (x);
  g_assert_not_reached ();
}

START_TEST (test_eltwise_kernels)
{
  static const gchar *ops[] = { "silu", "gelu", "hard-swish", "sigmoid", "tanh", "exp", "sqrt" };
  const guint w = 128, h = 64, count = w * h;
  const gfloat ends[] = { 0, -0.0f, 88.7f, -88.7f, 100, -100, 1e30f, -1e30f, 1e-30f, -1e-30f };
  g_autofree gfloat *in = g_new (gfloat, count);
  for (guint i = 0; i < count; i++)
    in[i] = i < G_N_ELEMENTS (ends) ? ends[i] : -30 + 60 * (gfloat) i / count;
  for (guint k = 0; k < G_N_ELEMENTS (ops) + 2; k++)
    {
      /* the last two: silu and gelu over 3×5×101×97 values */
      gboolean big = k >= G_N_ELEMENTS (ops);
      const gchar *op = !big ? ops[k] : k == G_N_ELEMENTS (ops) ? "silu" : "gelu";
      guint n = big ? 3 : 1, c = big ? 5 : 1, rows = big ? 101 : h, cols = big ? 97 : w;
      guint size = n * c * rows * cols;
      /* sqrt on |x|, its domain */
      gboolean positive = g_str_equal (op, "sqrt");
      g_autofree gfloat *x = g_new (gfloat, size);
      for (guint i = 0; i < size; i++)
        x[i] = big ? -30 + 60 * (gfloat) ((i * 7919u) % size) / size : in[i];
      for (guint i = 0; positive && i < size; i++)
        x[i] = fabsf (x[i]);
      g_autoptr (CnnfiltTensor) out = tu_run_values_at (__FILE__, __LINE__, op, x, size, n, c,
                                                        rows, cols);
      const gfloat *y = cnnfilt_tensor_get_data (out, NULL);
      for (guint i = 0; i < size; i++)
        {
          gfloat want = (gfloat) eltwise_reference (op, x[i]);
          gfloat got = y[i];
          gdouble slack = g_str_equal (op, "gelu") ? 9e-8 * fabsf (x[i]) : 1e-36;
          if (isinf (want) || isinf (got))
            ck_assert_msg (got == want, "%s(%g): %g, not %g", op, x[i], got, want);
          else
            ck_assert_msg (fabsf (got - want) <= 3e-7 * fabsf (want) + slack,
                           "%s(%.9g): %.9g, not %.9g", op, x[i], got, want);
        }
    }
}
END_TEST

/* Runs @name on a (1×2×2×2, 1 … 8) and a constant b, which broadcasts. */
static CnnfiltTensor *
run_binary (const gchar *name, CnnfiltTensor *a, CnnfiltTensor *b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  g_autoptr (CnnfiltOp) op = new_op (name);
  const gchar *ab[] = { "a", "b", NULL };
  ck_assert (cnnfilt_graph_add_input (graph, "a", &error));
  ck_assert (cnnfilt_graph_add_constant (graph, "b", b, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "op", op, ab, &error));
  CnnfiltTensor *out = cnnfilt_graph_process (graph, a, &error);
  ck_assert_msg (out != NULL, "%s: %s", name, error ? error->message : "");
  /* the same on the OpenCL device, where there is one */
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      cnnfilt_graph_set_device (graph, device);
      g_autoptr (CnnfiltTensor) on_device = cnnfilt_graph_process (graph, a, &error);
      ck_assert_msg (on_device != NULL, "%s on OpenCL: %s", name, error ? error->message : "");
      tu_assert_close (name, out, on_device, TU_OPENCL_TOLERANCE);
    }
  return out;
}

/* sub with b of each of the 16 broadcast patterns of a 2×3×4×5 input (a
 * dim kept or 1), and of a 2×197×192×1 one (tokens as a ViT holds them, whose last
 * dim of 1 made a row of one value), against the index arithmetic: the
 * rows merge neighbouring dims that both inputs step over alike */
START_TEST (test_broadcast_patterns)
{
  static const guint shapes[][4] = { { 2, 3, 4, 5 }, { 2, 197, 192, 1 } };
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      const guint *d = shapes[s];
      g_autoptr (CnnfiltTensor) a = random_tensor (d[0], d[1], d[2], d[3], 90 + s);
      const gfloat *av = cnnfilt_tensor_get_data (a, NULL);
      for (guint mask = 0; mask < 16; mask++)
        {
          guint bd[4];
          for (guint i = 0; i < 4; i++)
            bd[i] = mask & (1u << i) ? d[i] : 1;
          g_autoptr (CnnfiltTensor) b = random_tensor (bd[0], bd[1], bd[2], bd[3], mask);
          const gfloat *bv = cnnfilt_tensor_get_data (b, NULL);
          g_autoptr (CnnfiltTensor) diff = run_binary ("sub", a, b);
          const gfloat *dv = cnnfilt_tensor_get_data (diff, NULL);
          for (guint i0 = 0; i0 < d[0]; i0++)
            for (guint i1 = 0; i1 < d[1]; i1++)
              for (guint i2 = 0; i2 < d[2]; i2++)
                for (guint i3 = 0; i3 < d[3]; i3++)
                  {
                    gsize at = (((gsize) i0 * d[1] + i1) * d[2] + i2) * d[3] + i3;
                    gsize bat = (((gsize) (bd[0] > 1 ? i0 : 0) * bd[1] + (bd[1] > 1 ? i1 : 0)) *
                                     bd[2] + (bd[2] > 1 ? i2 : 0)) * bd[3] + (bd[3] > 1 ? i3 : 0);
                    ck_assert_msg (dv[at] == av[at] - bv[bat], "b %ux%ux%ux%u, value %" G_GSIZE_FORMAT,
                                   bd[0], bd[1], bd[2], bd[3], at);
                  }
        }
    }
}
END_TEST

START_TEST (test_sub_div_pow)
{
  const gfloat av[] = { 1, 2, 3, 4, 5, 6, 7, 8 }; /* 1×2×2×2 */
  const gfloat per_channel[] = { 2, 4 };          /* 1×2×1×1 */
  const gfloat one[] = { 2 };                     /* a scalar */
  g_autoptr (CnnfiltTensor) a = tu_tensor (av, 1, 2, 2, 2);
  g_autoptr (CnnfiltTensor) b = tu_tensor (per_channel, 1, 2, 1, 1);
  g_autoptr (CnnfiltTensor) two = tu_tensor (one, 1, 1, 1, 1);

  g_autoptr (CnnfiltTensor) diff = run_binary ("sub", a, b);
  const gfloat want_diff[] = { -1, 0, 1, 2, 1, 2, 3, 4 };
  tu_assert_tensor (diff, 1, 2, 2, 2, want_diff, 0);
  g_autoptr (CnnfiltTensor) quotient = run_binary ("div", a, b);
  const gfloat want_quotient[] = { 0.5f, 1, 1.5f, 2, 1.25f, 1.5f, 1.75f, 2 };
  tu_assert_tensor (quotient, 1, 2, 2, 2, want_quotient, 0);
  g_autoptr (CnnfiltTensor) squares = run_binary ("pow", a, two);
  const gfloat want_squares[] = { 1, 4, 9, 16, 25, 36, 49, 64 };
  tu_assert_tensor (squares, 1, 2, 2, 2, want_squares, 1e-5);
  g_autoptr (CnnfiltTensor) powers = run_binary ("pow", b, a); /* 2^1 … 2^4, 4^5 … 4^8 */
  const gfloat want_powers[] = { 2, 4, 8, 16, 1024, 4096, 16384, 65536 };
  tu_assert_tensor (powers, 1, 2, 2, 2, want_powers, 1e-2);

  /* a negative base: whole exponents are defined, others NaN; 1/0 is
   * infinity and 0/0 NaN, as in numpy, on both devices */
  const gfloat bases[] = { -2, -2, 1, 0 }, exponents[] = { 3, 0.5f, 0, 0 };
  g_autoptr (CnnfiltTensor) base = tu_tensor (bases, 1, 4, 1, 1);
  g_autoptr (CnnfiltTensor) exponent = tu_tensor (exponents, 1, 4, 1, 1);
  g_autoptr (CnnfiltTensor) p = run_binary ("pow", base, exponent);
  tu_assert_near (-8, cnnfilt_tensor_get_value (p, 0, 0, 0, 0), 1e-6);
  ck_assert (isnan (cnnfilt_tensor_get_value (p, 0, 1, 0, 0)));
  tu_assert_near (1, cnnfilt_tensor_get_value (p, 0, 3, 0, 0), 0); /* 0^0 = 1 */
  g_autoptr (CnnfiltTensor) q = run_binary ("div", base, exponent);
  ck_assert (isinf (cnnfilt_tensor_get_value (q, 0, 2, 0, 0)));
  ck_assert (isnan (cnnfilt_tensor_get_value (q, 0, 3, 0, 0)));
}
END_TEST

/* x: 1×2×2×3 holding 1 … 12 (channel 0: 1 … 6, channel 1: 7 … 12). */
START_TEST (test_reduce)
{
  gfloat xv[12];
  for (guint i = 0; i < 12; i++)
    xv[i] = i + 1;
  /* the mean of each channel: (1 + … + 6)/6, (7 + … + 12)/6; n×c×1×1
   * with or without keepdims */
  const gfloat means[] = { 3.5f, 9.5f };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("reduce-mean axes=2,3", xv, 1, 2, 2, 3);
  tu_assert_tensor (a, 1, 2, 1, 1, means, 1e-6);
  g_autoptr (CnnfiltTensor) b = tu_run_values ("reduce-mean axes=3,2 keepdims=false", xv, 1, 2, 2, 3);
  tu_assert_tensor (b, 1, 2, 1, 1, means, 1e-6);
  /* over the channels: kept as 1, or dropped (h and w move up) */
  const gfloat sums[] = { 8, 10, 12, 14, 16, 18 };
  g_autoptr (CnnfiltTensor) c = tu_run_values ("reduce-sum axes=1", xv, 1, 2, 2, 3);
  tu_assert_tensor (c, 1, 1, 2, 3, sums, 0);
  g_autoptr (CnnfiltTensor) d = tu_run_values ("reduce-sum axes=1 keepdims=false", xv, 1, 2, 2, 3);
  tu_assert_tensor (d, 1, 2, 3, 1, sums, 0);
  /* the largest of each row; of everything (no axes) */
  const gfloat row_max[] = { 3, 6, 9, 12 }, all_max[] = { 12 };
  g_autoptr (CnnfiltTensor) e = tu_run_values ("reduce-max axes=3 keepdims=false", xv, 1, 2, 2, 3);
  tu_assert_tensor (e, 1, 2, 2, 1, row_max, 0);
  g_autoptr (CnnfiltTensor) f = tu_run_values ("reduce-max", xv, 1, 2, 2, 3);
  tu_assert_tensor (f, 1, 1, 1, 1, all_max, 0);
  /* no axes with noop-with-empty-axes: a copy */
  g_autoptr (CnnfiltTensor) g = tu_run_values ("reduce-sum noop-with-empty-axes=true", xv, 1, 2, 2, 3);
  tu_assert_tensor (g, 1, 2, 2, 3, xv, 0);
  /* a NaN is the max, as numpy says */
  const gfloat with_nan[] = { 1, NAN, 3 };
  g_autoptr (CnnfiltTensor) h = tu_run_values ("reduce-max", with_nan, 1, 1, 1, 3);
  ck_assert (isnan (cnnfilt_tensor_get_value (h, 0, 0, 0, 0)));

  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 2, 3);
  GError *error = tu_run_error ("reduce-mean axes=4", x);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "reduce-mean", "axes '4'", "0 to 3");
  g_clear_error (&error);
  error = tu_run_error ("reduce-sum axes=1,1", x);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "axes '1,1'", "distinct");
  g_clear_error (&error);

  /* channels-last input, as after a convolution in a prepared graph (the
   * squeeze-and-excitation mean): the same values as NCHW */
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 9, 7, 21);
  g_autoptr (CnnfiltTensor) w = random_tensor (5, 3, 3, 3, 22);
  static const struct {
    const gchar *axes;
    gboolean keepdims;
  } reductions[] = { { "2,3", TRUE }, { "2,3", FALSE }, { "1", TRUE }, { "1,3", FALSE } };
  for (guint r = 0; r < G_N_ELEMENTS (reductions); r++)
    {
      g_autoptr (CnnfiltTensor) fused = NULL, plain = NULL;
      for (gint fuse = 1; fuse >= 0; fuse--)
        {
          g_autoptr (GError) local = NULL;
          g_autoptr (CnnfiltGraph) graph = g_object_new (CNNFILT_TYPE_GRAPH, "fuse", fuse, NULL);
          g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
          g_object_set (conv, "weights", w, "padding", 1, NULL);
          g_autoptr (CnnfiltOp) mean = new_op ("reduce-mean");
          g_object_set (mean, "axes", reductions[r].axes, "keepdims", reductions[r].keepdims, NULL);
          const gchar *xin[] = { "x", NULL }, *cin[] = { "c", NULL };
          ck_assert (cnnfilt_graph_add_input (graph, "x", &local));
          ck_assert (cnnfilt_graph_add_node (graph, "c", conv, xin, &local));
          ck_assert (cnnfilt_graph_add_node (graph, "m", mean, cin, &local));
          CnnfiltTensor *result = cnnfilt_graph_process (graph, input, &local);
          ck_assert_msg (result != NULL, "%s", local ? local->message : "");
          if (fuse)
            fused = result;
          else
            plain = result;
        }
      assert_close (plain, fused);
    }
}
END_TEST

/* Runs @op on @x, on the CPU and, where there is one, on the OpenCL
 * device, and returns the CPU's output after comparing the two. */
static CnnfiltTensor *
run_op_both (CnnfiltOp *op, CnnfiltTensor *x)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  const gchar *in[] = { "x", NULL };
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  ck_assert (cnnfilt_graph_add_node (graph, "op", op, in, &error));
  CnnfiltTensor *out = cnnfilt_graph_process (graph, x, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      cnnfilt_graph_set_device (graph, device);
      g_autoptr (CnnfiltTensor) on_device = cnnfilt_graph_process (graph, x, &error);
      ck_assert_msg (on_device != NULL, "on OpenCL: %s", error ? error->message : "");
      tu_assert_close (cnnfilt_op_get_name (op), out, on_device, TU_OPENCL_TOLERANCE);
    }
  return out;
}

/* What ConvNeXt and transformers add: log, layer-norm, transpose and
 * matmul, on values worked by hand. */
START_TEST (test_log_layer_norm_transpose_matmul)
{
  const gfloat in[] = { 1, (gfloat) G_E, 0.5f, 0, -1 };
  g_autoptr (CnnfiltTensor) l = tu_run_values ("log", in, 1, 1, 1, 5);
  tu_assert_near (0, cnnfilt_tensor_get_value (l, 0, 0, 0, 0), 1e-7);
  tu_assert_near (1, cnnfilt_tensor_get_value (l, 0, 0, 0, 1), 1e-6);
  tu_assert_near (-0.69314718, cnnfilt_tensor_get_value (l, 0, 0, 0, 2), 1e-6);
  ck_assert (isinf (cnnfilt_tensor_get_value (l, 0, 0, 0, 3)));
  ck_assert (isnan (cnnfilt_tensor_get_value (l, 0, 0, 0, 4)));

  /* layer-norm from axis 1 of 1×2×1×2 (1 2 | 3 4): mean 2.5, variance
   * 1.25, so ∓1.3416408, ∓0.4472136; scale 2 on channel 0 and 0.5 on
   * channel 1 (1×2×1×1 broadcasts within the block), epsilon 0 */
  const gfloat xv[] = { 1, 2, 3, 4 }, gv[] = { 2, 0.5f };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 1, 2);
  g_autoptr (CnnfiltTensor) g = tu_tensor (gv, 1, 2, 1, 1);
  g_autoptr (CnnfiltOp) ln = new_op ("layer-norm");
  g_object_set (ln, "axis", 1, "epsilon", 0.0f, "scale", g, NULL);
  g_autoptr (CnnfiltTensor) normed = run_op_both (ln, x);
  const gfloat want_normed[] = { -2.6832816f, -0.8944272f, 0.2236068f, 0.6708204f };
  tu_assert_tensor (normed, 1, 2, 1, 2, want_normed, 1e-6);
  /* a scale that does not fit the block is refused by name */
  g_autoptr (CnnfiltTensor) wrong = tu_tensor (gv, 2, 1, 1, 1);
  g_object_set (ln, "scale", wrong, NULL);
  g_autoptr (CnnfiltGraph) bad = cnnfilt_graph_new ();
  g_autoptr (GError) error = NULL;
  const gchar *xin[] = { "x", NULL };
  ck_assert (cnnfilt_graph_add_input (bad, "x", &error));
  ck_assert (cnnfilt_graph_add_node (bad, "ln", ln, xin, &error));
  ck_assert (!cnnfilt_graph_prepare (bad, &(CnnfiltShape) { 1, 2, 1, 2 }, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "ln", "scale (2x1x1x1) does not fit");
  g_clear_error (&error);

  /* NCHW to NHWC: out[0, h, w, c] = x[0, c, h, w], x holding 1 … 12 */
  gfloat seq[12];
  for (guint i = 0; i < 12; i++)
    seq[i] = i + 1;
  g_autoptr (CnnfiltTensor) t = tu_run_values ("transpose perm=0,2,3,1", seq, 1, 2, 2, 3);
  const gfloat want_t[] = { 1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12 };
  tu_assert_tensor (t, 1, 2, 3, 2, want_t, 0);
  /* rank 3 of the four dims, no perm: those three reversed */
  g_autoptr (CnnfiltTensor) r = tu_run_values ("transpose rank=3", seq, 2, 2, 3, 1);
  const gfloat want_r[] = { 1, 7, 4, 10, 2, 8, 5, 11, 3, 9, 6, 12 };
  tu_assert_tensor (r, 3, 2, 2, 1, want_r, 0);
  /* all 24 permutations of shapes with dims of 1 among them (which the
   * copy drops, merging the neighbours that stay contiguous) and one too
   * large for a single thread, against the index arithmetic */
  static const guint shapes[][4] = { { 2, 3, 4, 5 }, { 1, 7, 1, 9 }, { 3, 1, 5, 1 },
                                     { 64, 49, 24, 1 } };
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      const guint *d = shapes[s];
      g_autoptr (CnnfiltTensor) src_t = random_tensor (d[0], d[1], d[2], d[3], 80 + s);
      const gfloat *sv = cnnfilt_tensor_get_data (src_t, NULL);
      for (guint p = 0; p < 24; p++)
        {
          guint perm[4], left[4] = { 0, 1, 2, 3 }, code = p;
          for (guint i = 0, n = 4; i < 4; i++, n--)
            {
              guint pick = code % n;
              code /= n;
              perm[i] = left[pick];
              memmove (left + pick, left + pick + 1, (n - pick - 1) * sizeof (guint));
            }
          g_autofree gchar *spec = g_strdup_printf ("transpose perm=%u,%u,%u,%u", perm[0], perm[1],
                                                    perm[2], perm[3]);
          g_autoptr (CnnfiltTensor) moved = tu_run (spec, src_t);
          const gfloat *yv = cnnfilt_tensor_get_data (moved, NULL);
          const guint od[4] = { d[perm[0]], d[perm[1]], d[perm[2]], d[perm[3]] };
          guint at[4];
          for (at[0] = 0; at[0] < od[0]; at[0]++)
            for (at[1] = 0; at[1] < od[1]; at[1]++)
              for (at[2] = 0; at[2] < od[2]; at[2]++)
                for (at[3] = 0; at[3] < od[3]; at[3]++)
                  {
                    guint src[4];
                    for (guint i = 0; i < 4; i++)
                      src[perm[i]] = at[i];
                    gsize o = ((gsize) (at[0] * od[1] + at[1]) * od[2] + at[2]) * od[3] + at[3];
                    gsize v = ((gsize) (src[0] * d[1] + src[1]) * d[2] + src[2]) * d[3] + src[3];
                    ck_assert_msg (yv[o] == sv[v], "%s on %ux%ux%ux%u: value %" G_GSIZE_FORMAT,
                                   spec, d[0], d[1], d[2], d[3], o);
                  }
        }
    }

  g_autoptr (CnnfiltTensor) seq_t = tu_tensor (seq, 1, 2, 2, 3);
  GError *e = tu_run_error ("transpose perm=0,0,1,2", seq_t);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "perm '0,0,1,2'", "0 to 3");
  g_clear_error (&e);

  /* matmul over h and w: [[1,0,0],[0,1,1]] and [[1,1,1],[2,0,0]] by
   * [[1,2],[3,4],[5,6]] (shared: one tall product) */
  const gfloat av[] = { 1, 0, 0, 0, 1, 1, 1, 1, 1, 2, 0, 0 };
  const gfloat bv[] = { 1, 2, 3, 4, 5, 6 }, b2v[] = { 1, 2, 3, 4, 5, 6, 0, 1, 1, 0, 1, 1 };
  g_autoptr (CnnfiltTensor) a = tu_tensor (av, 1, 2, 2, 3);
  g_autoptr (CnnfiltTensor) b = tu_tensor (bv, 1, 1, 3, 2);
  g_autoptr (CnnfiltTensor) ab = run_binary ("matmul", a, b);
  const gfloat want_ab[] = { 1, 2, 8, 10, 9, 12, 2, 4 };
  tu_assert_tensor (ab, 1, 2, 2, 2, want_ab, 0);
  /* the first matrix by two: [[1,2],[3,4],[5,6]] and [[0,1],[1,0],[1,1]] */
  g_autoptr (CnnfiltTensor) a0 = tu_tensor_at (__FILE__, __LINE__, av, 6, 1, 1, 2, 3);
  g_autoptr (CnnfiltTensor) b2 = tu_tensor (b2v, 1, 2, 3, 2);
  g_autoptr (CnnfiltTensor) ab2 = run_binary ("matmul", a0, b2);
  const gfloat want_ab2[] = { 1, 2, 8, 10, 0, 1, 2, 1 };
  tu_assert_tensor (ab2, 1, 2, 2, 2, want_ab2, 0);
}
END_TEST

/* linear over the last dim (axis 2 of tokens, axis 3 of channels-last
 * values), worked by hand: rows (1 2 3) … (10 11 12), W in×out
 * ((1 .5) (0 .5) (-1 .5)), bias (10 20): (x1 − x3 + 10, (x1 + x2 + x3)/2
 * + 20). oneDNN's matmul (auto), the reference loops and OpenCL. */
START_TEST (test_linear_axis)
{
  const gfloat x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  const gfloat w[] = { 1, 0.5f, 0, 0.5f, -1, 0.5f }, b[] = { 10, 20 };
  const gfloat want[] = { 8, 23, 8, 27.5f, 8, 32, 8, 36.5f };
  const gfloat want_clamped[] = { 8, 23, 8, 27.5f, 8, 30, 8, 30 };
  g_autoptr (CnnfiltTensor) wt = tu_tensor (w, 3, 2, 1, 1);
  g_autoptr (CnnfiltTensor) bt = tu_tensor (b, 2, 1, 1, 1);
  static const gchar *algorithms[] = { "auto", "reference" };
  for (guint axis = 2; axis <= 3; axis++)
    for (guint k = 0; k < G_N_ELEMENTS (algorithms); k++)
      {
        /* 2 sequences of 2 tokens (2×2×3×1), or 1×2×2×3 channels-last */
        g_autoptr (CnnfiltTensor) in = axis == 2 ? tu_tensor (x, 2, 2, 3, 1) : tu_tensor (x, 1, 2, 2, 3);
        g_autoptr (CnnfiltOp) fc = new_op ("linear");
        g_object_set (fc, "weights", wt, "bias", bt, "trans-b", FALSE, "axis", axis, NULL);
        set (fc, "algorithm", algorithms[k]);
        for (guint clamped = 0; clamped < 2; clamped++)
          {
            if (clamped)
              set (fc, "clamp-max", "30");
            g_autoptr (CnnfiltTensor) y = run_op (fc, in);
            if (axis == 2 && clamped)
              tu_assert_tensor (y, 2, 2, 2, 1, want_clamped, 1e-6);
            else if (axis == 2)
              tu_assert_tensor (y, 2, 2, 2, 1, want, 1e-6);
            else if (clamped)
              tu_assert_tensor (y, 1, 2, 2, 2, want_clamped, 1e-6);
            else
              tu_assert_tensor (y, 1, 2, 2, 2, want, 1e-6);
            CnnfiltDevice *device = tu_opencl_device ();
            if (device == NULL)
              continue;
            g_autoptr (CnnfiltGraph) graph = chain (fc, NULL);
            cnnfilt_graph_set_device (graph, device);
            g_autoptr (GError) error = NULL;
            g_autoptr (CnnfiltTensor) on_device = cnnfilt_graph_process (graph, in, &error);
            ck_assert_msg (on_device != NULL, "%s", error ? error->message : "");
            tu_assert_close ("linear on OpenCL", y, on_device, TU_OPENCL_TOLERANCE);
          }
      }

  /* what only the sgemm path takes (beta, a scalar bias), over the last
   * dim, against the reference loops */
  g_autoptr (CnnfiltTensor) tokens = random_tensor (3, 5, 16, 1, 40);
  g_autoptr (CnnfiltTensor) w16 = random_tensor (16, 24, 1, 1, 41);
  g_autoptr (CnnfiltTensor) scalar = random_tensor (1, 1, 1, 1, 42);
  CnnfiltTensor *outs[2];
  for (guint k = 0; k < 2; k++)
    {
      g_autoptr (CnnfiltOp) fc = new_op ("linear");
      g_object_set (fc, "weights", w16, "bias", scalar, "trans-b", FALSE, "axis", 2,
                    "beta", 2.0f, NULL);
      set (fc, "algorithm", algorithms[k]);
      outs[k] = run_op (fc, tokens);
    }
  ck_assert_uint_eq (cnnfilt_tensor_get_h (outs[0]), 24);
  assert_close (outs[1], outs[0]);
  g_object_unref (outs[0]);
  g_object_unref (outs[1]);

  /* refused by name: trans-a off axis 1, features that do not match */
  g_autoptr (CnnfiltOp) fc = new_op ("linear");
  g_object_set (fc, "weights", w16, "trans-b", FALSE, "axis", 2, "trans-a", TRUE, NULL);
  g_autoptr (GError) error = NULL;
  ck_assert (!cnnfilt_op_validate (fc, &error));
  ck_assert_msg (strstr (error->message, "linear: trans-a") != NULL, "%s", error->message);
  g_clear_error (&error);
  g_object_set (fc, "trans-a", FALSE, "axis", 1, NULL);
  g_autoptr (CnnfiltTensor) none = cnnfilt_op_process (fc, tokens, &error);
  ck_assert (none == NULL);
  ck_assert_msg (strstr (error->message, "80 features per row (the dims from axis 1)") != NULL,
                 "%s", error->message);
}
END_TEST

/* A point op after a linear becomes its activation (oneDNN's post-op, or
 * a pass after sgemm, the reference loops and the OpenCL kernel), a relu
 * or clip its clamp: fused against unfused, on each path, out×in and
 * in×out weights. */
START_TEST (test_fuse_linear_activation)
{
  static const gchar *acts[] = { "gelu", "silu", "tanh" };
  static const gchar *algorithms[] = { "auto", "reference" };
  /* 70 rows (oneDNN's matmul on auto), and 3 (sgemm, then passes) */
  g_autoptr (CnnfiltTensor) rows70 = random_tensor (2, 5, 7, 16, 50);
  g_autoptr (CnnfiltTensor) rows3 = random_tensor (1, 1, 3, 16, 55);
  CnnfiltTensor *input = rows70;
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (guint k = 0; k < G_N_ELEMENTS (algorithms); k++)
      for (guint shape = 0; shape < 4; shape++)
        {
          input = shape < 2 ? rows70 : rows3;
          gboolean out_in = shape % 2 == 1;
          g_autoptr (CnnfiltTensor) w1 = out_in ? random_tensor (24, 16, 1, 1, 51)
                                                : random_tensor (16, 24, 1, 1, 51);
          g_autoptr (CnnfiltTensor) b1 = random_tensor (24, 1, 1, 1, 52);
          g_autoptr (CnnfiltTensor) w2 = random_tensor (24, 8, 1, 1, 53);
          CnnfiltTensor *outs[2] = { NULL, NULL };
          for (guint f = 0; f < 2; f++)
            {
              g_autoptr (CnnfiltOp) fc1 = new_op ("linear"), fc2 = new_op ("linear");
              g_autoptr (CnnfiltOp) act = new_op (acts[a]), clip = new_op ("clip");
              g_autoptr (CnnfiltOp) relu = new_op ("relu");
              g_object_set (fc1, "weights", w1, "bias", b1, "trans-b", out_in, "axis", 3, NULL);
              g_object_set (fc2, "weights", w2, "trans-b", FALSE, "axis", 3, NULL);
              set (fc1, "algorithm", algorithms[k]);
              set (fc2, "algorithm", algorithms[k]);
              set (clip, "min", "-0.5");
              set (clip, "max", "0.7");
              /* linear ! clip ! act ! linear ! relu: the clamp before the
               * activation, the relu on the second */
              g_autoptr (CnnfiltGraph) graph = chain (fc1, clip, act, fc2, relu, NULL);
              g_object_set (graph, "fuse", f == 1, NULL);
              g_autoptr (GError) error = NULL;
              outs[f] = cnnfilt_graph_process (graph, input, &error);
              ck_assert_msg (outs[f] != NULL, "%s: %s", acts[a], error ? error->message : "");
              CnnfiltDevice *device = tu_opencl_device ();
              if (f == 1 && device != NULL)
                {
                  cnnfilt_graph_set_device (graph, device);
                  g_autoptr (CnnfiltTensor) on_device = cnnfilt_graph_process (graph, input, &error);
                  ck_assert_msg (on_device != NULL, "%s on OpenCL: %s", acts[a],
                                 error ? error->message : "");
                  tu_assert_close (acts[a], outs[0], on_device, TU_OPENCL_TOLERANCE);
                }
            }
          assert_close (outs[0], outs[1]);
          g_object_unref (outs[0]);
          g_object_unref (outs[1]);
        }
  /* fused, linear ! gelu needs only its output's buffer */
  g_autoptr (CnnfiltTensor) w = random_tensor (16, 24, 1, 1, 54);
  for (guint f = 0; f < 2; f++)
    {
      g_autoptr (CnnfiltOp) fc = new_op ("linear"), act = new_op ("gelu");
      g_object_set (fc, "weights", w, "trans-b", FALSE, "axis", 3, NULL);
      g_autoptr (CnnfiltGraph) graph = chain (fc, act, NULL);
      g_object_set (graph, "fuse", f == 1, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, rows70, &error);
      ck_assert_msg (out != NULL, "%s", error ? error->message : "");
      gsize one = cnnfilt_tensor_get_size (out) * sizeof (gfloat);
      ck_assert_uint_eq (cnnfilt_graph_get_buffer_size (graph), f == 1 ? one : 2 * one);
    }
  g_autoptr (CnnfiltOp) fc = new_op ("linear");
  g_autoptr (GError) error = NULL;
  g_object_set (fc, "weights", w, NULL);
  set (fc, "activation", "elu");
  ck_assert (!cnnfilt_op_validate (fc, &error));
  ck_assert_msg (strstr (error->message, "linear: activation=elu") != NULL, "%s", error->message);
}
END_TEST

START_TEST (test_softmax_linear_flatten)
{
  const gfloat in[] = { 1, 2, 3, 4, 5, 6 };  /* 2 samples × 3 features */
  g_autoptr (CnnfiltTensor) s = tu_run_values ("softmax", in, 2, 3, 1, 1);
  gdouble e1 = exp (1), e2 = exp (2), e3 = exp (3), z = e1 + e2 + e3;
  const gfloat want[] = { e1 / z, e2 / z, e3 / z, e1 / z, e2 / z, e3 / z };
  tu_assert_tensor (s, 2, 3, 1, 1, want, 1e-7);

  /* a value 100 below the top (Swin's attention mask): e⁻¹⁰⁰ is below
   * FLT_MIN, so 0 rather than a subnormal, which would slow everything
   * that reads it; e⁻⁸⁰ is a normal float and stays */
  const gfloat masked[] = { 0, -100, -80 };
  g_autoptr (CnnfiltTensor) m = tu_run_values ("softmax", masked, 1, 3, 1, 1);
  const gfloat *mv = cnnfilt_tensor_get_data (m, NULL);
  ck_assert_float_eq (mv[1], 0.0f);
  ck_assert_float_eq_tol (mv[2], (gfloat) exp (-80), 1e-40);
  ck_assert (mv[2] > 0);
  ck_assert_float_eq_tol (mv[0], 1.0f, 1e-7);

  /* linear: W (2 out × 3 in, PyTorch's layout), bias (2) */
  const gfloat w[] = { 1, 0, -1, 0.5f, 0.5f, 0.5f }, b[] = { 10, 20 };
  g_autoptr (CnnfiltTensor) wt = tu_tensor (w, 2, 3, 1, 1);
  g_autoptr (CnnfiltTensor) bt = tu_tensor (b, 2, 1, 1, 1);
  g_autoptr (CnnfiltTensor) x = tu_tensor (in, 2, 3, 1, 1);
  g_autoptr (CnnfiltOp) fc = new_op ("linear");
  g_object_set (fc, "weights", wt, "bias", bt, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) y = cnnfilt_op_process (fc, x, &error);
  ck_assert_msg (y != NULL, "%s", error ? error->message : "");
  const gfloat fc_want[] = { 1 - 3 + 10, 3 + 20, 4 - 6 + 10, 7.5f + 20 };
  tu_assert_tensor (y, 2, 2, 1, 1, fc_want, 1e-6);

  /* the sgemm path against the reference loops, every transposition */
  g_autoptr (CnnfiltTensor) x3 = random_tensor (5, 4, 3, 2, 30);        /* 5 × 24 */
  g_autoptr (CnnfiltTensor) full_bias = random_tensor (5, 7, 1, 1, 31);
  for (guint t = 0; t < 4; t++)
    {
      gboolean ta = (t & 1) != 0, tb = (t & 2) != 0;
      g_autoptr (CnnfiltTensor) wx = tb ? random_tensor (7, 24, 1, 1, 32) : random_tensor (24, 7, 1, 1, 32);
      g_autoptr (CnnfiltTensor) xa = ta ? random_tensor (24, 5, 1, 1, 33) : g_object_ref (x3);
      g_autoptr (CnnfiltOp) fast = new_op ("linear");
      g_autoptr (CnnfiltOp) ref = new_op ("linear");
      g_object_set (fast, "weights", wx, "bias", full_bias, "trans-a", ta, "trans-b", tb,
                    "alpha", 0.5f, "beta", 2.0f, NULL);
      g_object_set (ref, "weights", wx, "bias", full_bias, "trans-a", ta, "trans-b", tb,
                    "alpha", 0.5f, "beta", 2.0f, NULL);
      set (ref, "algorithm", "reference");
      g_autoptr (CnnfiltTensor) slow_out = cnnfilt_op_process (ref, xa, &error);
      ck_assert_msg (slow_out != NULL, "%s", error ? error->message : "");
      g_autoptr (CnnfiltTensor) fast_out = cnnfilt_op_process (fast, xa, &error);
      ck_assert_msg (fast_out != NULL, "%s", error ? error->message : "");
      assert_close (slow_out, fast_out);
    }

  /* flatten: 2×3×2×2 → 2×12, values unchanged */
  g_autoptr (CnnfiltTensor) big = random_tensor (2, 3, 2, 2, 5);
  g_autoptr (CnnfiltTensor) flat = tu_run ("flatten", big);
  ck_assert_uint_eq (cnnfilt_tensor_get_n (flat), 2);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (flat), 12);
  ck_assert (memcmp (cnnfilt_tensor_get_data (flat, NULL), cnnfilt_tensor_get_data (big, NULL),
                     24 * sizeof (gfloat)) == 0);
  g_autoptr (CnnfiltTensor) back = tu_run ("reshape n=0 c=3 h=2 w=-1", flat);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (back), 2);
}
END_TEST

/* log-softmax, instance-norm and slice (issue 13) on values worked by
 * hand, on the CPU and, where there is one, on the OpenCL device. */
START_TEST (test_log_softmax)
{
  /* along c: x − 3 − log(1 + e⁻¹ + e⁻²), log(1.50321472) = 0.40760596; the
   * second sample, 999 above, the same: exp(1002) would overflow */
  const gfloat in[] = { 1, 2, 3, 1000, 1001, 1002 };
  g_autoptr (CnnfiltTensor) s = tu_run_values ("log-softmax", in, 2, 3, 1, 1);
  const gfloat want[] = { -2.40760596f, -1.40760596f, -0.40760596f,
                          -2.40760596f, -1.40760596f, -0.40760596f };
  tu_assert_tensor (s, 2, 3, 1, 1, want, 1e-6);
  /* along h of 1×1×2×2 (0 1 | 2 3): columns (0, 2) and (1, 3), each
   * (−2 − log(1 + e⁻²), −log(1 + e⁻²)), log(1.13533528) = 0.12692801 */
  const gfloat grid[] = { 0, 1, 2, 3 };
  g_autoptr (CnnfiltTensor) h = tu_run_values ("log-softmax axis=2", grid, 1, 1, 2, 2);
  const gfloat want_h[] = { -2.12692801f, -2.12692801f, -0.12692801f, -0.12692801f };
  tu_assert_tensor (h, 1, 1, 2, 2, want_h, 1e-6);
  /* a probability below float's range: log(softmax) would be −∞, here
   * −200; the other −log(1 + e⁻²⁰⁰), 0 in float */
  const gfloat far[] = { 0, -200 };
  g_autoptr (CnnfiltTensor) f = tu_run_values ("log-softmax axis=3", far, 1, 1, 1, 2);
  const gfloat want_far[] = { 0, -200 };
  tu_assert_tensor (f, 1, 1, 1, 2, want_far, 1e-6);

  /* 2×12×64×64 values (a ViT's attention scores), over the threads'
   * threshold: each line of either op against its sums in double, along
   * w (contiguous lines) and along c (strided) */
  g_autoptr (CnnfiltTensor) big = random_tensor (2, 12, 64, 64, 70);
  const gfloat *x = cnnfilt_tensor_get_data (big, NULL);
  for (guint axis = 1; axis <= 3; axis += 2)
    for (guint log_of = 0; log_of < 2; log_of++)
      {
        g_autofree gchar *text = g_strdup_printf ("%s axis=%u", log_of ? "log-softmax" : "softmax",
                                                  axis);
        g_autoptr (CnnfiltTensor) y = tu_run (text, big);
        const gfloat *got = cnnfilt_tensor_get_data (y, NULL);
        const gsize len = axis == 3 ? 64 : 12, step = axis == 3 ? 1 : 64 * 64;
        const gsize lines = axis == 3 ? 2 * 12 * 64 : 2 * 4096;
        for (gsize line = 0; line < lines; line++)
          {
            /* the first value of the line: along w, line · 64; along c,
             * image (line / 4096) and pixel (line % 4096) */
            gsize first = axis == 3 ? line * 64 : (line / 4096) * 12 * 4096 + line % 4096;
            gdouble top = -INFINITY, sum = 0;
            for (gsize k = 0; k < len; k++)
              top = MAX (top, x[first + k * step]);
            for (gsize k = 0; k < len; k++)
              sum += exp (x[first + k * step] - top);
            for (gsize k = 0; k < len; k++)
              {
                gdouble v = x[first + k * step] - top;
                gdouble want_v = log_of ? v - log (sum) : exp (v) / sum;
                ck_assert_msg (fabs (got[first + k * step] - want_v) <= 1e-6 * MAX (1, fabs (want_v)),
                               "%s: value %" G_GSIZE_FORMAT " is %g, want %g", text,
                               first + k * step, got[first + k * step], want_v);
              }
          }
      }
}
END_TEST

START_TEST (test_instance_norm)
{
  /* 2 images × 2 channels × 4 values; epsilon 0. Channel 0 (1 2 3 4): mean
   * 2.5, variance 1.25, so ∓1.34164079, ∓0.44721360, times 2 plus 1.
   * Channel 1 (10 10 10 30): mean 15, variance 75, so −0.57735027 and
   * 1.73205081, times 0.5 minus 1. Image 1 is image 0 plus 1000 (its
   * statistics are its own; a mean far from 0 keeps its spread). */
  const gfloat xv[] = { 1, 2, 3, 4, 10, 10, 10, 30,
                        1001, 1002, 1003, 1004, 1010, 1010, 1010, 1030 };
  const gfloat gv[] = { 2, 0.5f }, bv[] = { 1, -1 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 2, 1, 4);
  g_autoptr (CnnfiltTensor) g = tu_tensor (gv, 2, 1, 1, 1);
  g_autoptr (CnnfiltTensor) b = tu_tensor (bv, 2, 1, 1, 1);
  g_autoptr (CnnfiltOp) norm = new_op ("instance-norm");
  g_object_set (norm, "scale", g, "bias", b, "epsilon", 0.0f, NULL);
  g_autoptr (CnnfiltTensor) y = run_op_both (norm, x);
  const gfloat want[] = { -1.68328157f, 0.10557281f, 1.89442719f, 3.68328157f,
                          -1.28867513f, -1.28867513f, -1.28867513f, -0.13397460f,
                          -1.68328157f, 0.10557281f, 1.89442719f, 3.68328157f,
                          -1.28867513f, -1.28867513f, -1.28867513f, -0.13397460f };
  tu_assert_tensor (y, 2, 2, 1, 4, want, 1e-5);
  /* no scale or bias: 1 and 0; epsilon 0.75 on (0 1), variance 0.25: ∓1/2 */
  const gfloat pair[] = { 0, 1 }, want_pair[] = { -0.5f, 0.5f };
  g_autoptr (CnnfiltTensor) p = tu_run_values ("instance-norm epsilon=0.75", pair, 1, 1, 2, 1);
  tu_assert_tensor (p, 1, 1, 2, 1, want_pair, 1e-6);

  /* large enough to share among threads: each plane's output has mean
   * bias_c and standard deviation scale_c (epsilon 0) */
  g_autoptr (CnnfiltTensor) big = random_tensor (2, 2, 128, 160, 41);
  g_autoptr (CnnfiltTensor) big_out = run_op_both (norm, big);
  const gsize plane = 128 * 160;
  const gfloat *v = cnnfilt_tensor_get_data (big_out, NULL);
  for (guint k = 0; k < 4; k++)
    {
      gdouble sum = 0, squares = 0;
      for (gsize i = 0; i < plane; i++)
        sum += v[k * plane + i];
      gdouble mean = sum / plane;
      for (gsize i = 0; i < plane; i++)
        squares += (v[k * plane + i] - mean) * (v[k * plane + i] - mean);
      tu_assert_near (bv[k % 2], mean, 1e-5);
      tu_assert_near (gv[k % 2], sqrt (squares / plane), 1e-5);
    }

  /* a scale of the wrong size is refused by name */
  g_autoptr (CnnfiltTensor) three = cnnfilt_tensor_new (3, 1, 1, 1, NULL);
  g_object_set (norm, "scale", three, NULL);
  g_autoptr (CnnfiltGraph) bad = cnnfilt_graph_new ();
  g_autoptr (GError) error = NULL;
  const gchar *xin[] = { "x", NULL };
  ck_assert (cnnfilt_graph_add_input (bad, "x", &error));
  ck_assert (cnnfilt_graph_add_node (bad, "in", norm, xin, &error));
  ck_assert (!cnnfilt_graph_prepare (bad, &(CnnfiltShape) { 2, 2, 1, 4 }, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "in", "scale has 3 values for 2 channels");
}
END_TEST

START_TEST (test_slice)
{
  /* 1×2×3×4 holding 0 … 23: x[0, c, h, w] = 12c + 4h + w */
  gfloat seq[24];
  for (guint i = 0; i < 24; i++)
    seq[i] = i;
  static const struct {
    const gchar *pipeline;
    guint n, c, h, w;
    gfloat want[12];
  } cases[] = {
    /* columns 1 and 2, counted from the start and from the end */
    { "slice axes=3 starts=1 ends=3", 1, 2, 3, 2, { 1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22 } },
    { "slice axes=-1 starts=-3 ends=-1", 1, 2, 3, 2, { 1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22 } },
    /* rows 0 and 2; columns 3 and 1, backwards to before the start */
    { "slice axes=2,3 starts=0,-1 ends=3,-9223372036854775808 steps=2,-2", 1, 2, 2, 2,
      { 3, 1, 11, 9, 15, 13, 23, 21 } },
    /* default axes n and c; ends past the dim clamped */
    { "slice starts=0,1 ends=9223372036854775807,1000", 1, 1, 3, 4,
      { 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 } },
    /* the bounds as expressions of the dims: the first half of the channels */
    { "slice axes=1 starts=0 ends=d1/2", 1, 1, 3, 4, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 } },
    /* a rank-3 model's last dim is h */
    { "slice rank=3 axes=-1 starts=1 ends=2", 1, 2, 1, 4, { 4, 5, 6, 7, 16, 17, 18, 19 } },
    /* every other value backwards along all four */
    { "slice starts=-1,-1,-1,-1 ends=-100,-100,-100,-100 steps=-1,-1,-2,-3", 1, 2, 2, 2,
      { 23, 20, 15, 12, 11, 8, 3, 0 } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) out = tu_run_values (cases[i].pipeline, seq, 1, 2, 3, 4);
      tu_assert_tensor_at (__FILE__, __LINE__, out, cases[i].n, cases[i].c, cases[i].h,
                           cases[i].w, cases[i].want,
                           (gsize) cases[i].n * cases[i].c * cases[i].h * cases[i].w, 0);
    }
  /* brackets and precedence: rows from (3 + 1) / 2 = 2 to 3·2 − 4 + 1 = 3 */
  g_autoptr (CnnfiltTensor) x = tu_tensor (seq, 1, 2, 3, 4);
  g_autoptr (CnnfiltOp) op = new_op ("slice");
  g_object_set (op, "axes", "2", "starts", "(d2 + 1) / 2", "ends", "d2 * 2 - 4 + 1", NULL);
  g_autoptr (CnnfiltTensor) rows = run_op_both (op, x);
  const gfloat want_rows[] = { 8, 9, 10, 11, 20, 21, 22, 23 };
  tu_assert_tensor (rows, 1, 2, 1, 4, want_rows, 0);

  static const struct {
    const gchar *pipeline;
    gint code;
    const gchar *says;
  } refused[] = {
    { "slice axes=1 starts=1 ends=1", CNNFILT_ERROR_SHAPE, "take nothing" },
    { "slice axes=1 starts=0 ends=2 steps=-1", CNNFILT_ERROR_SHAPE, "take nothing" },
    { "slice axes=1 starts=0 ends=2 steps=0", CNNFILT_ERROR_INVALID_ARGUMENT, "other than 0" },
    { "slice axes=1,2 starts=0 ends=2", CNNFILT_ERROR_INVALID_ARGUMENT, "one value per axis" },
    { "slice axes=1,1 starts=0,0 ends=1,1", CNNFILT_ERROR_INVALID_ARGUMENT, "distinct dims" },
    { "slice rank=2 axes=2 starts=0 ends=1", CNNFILT_ERROR_INVALID_ARGUMENT, "from -2 to 1" },
    { "slice starts=0 ends=d4", CNNFILT_ERROR_INVALID_ARGUMENT,
      "ends value 'd4': d is followed by a dim, 0 to 3" },
    { "slice starts=0 ends=2x", CNNFILT_ERROR_INVALID_ARGUMENT, "more after the value" },
    { "slice axes=1 starts=0 ends=d1/(d0-1)", CNNFILT_ERROR_INVALID_ARGUMENT, "divides by 0" },
    { "slice starts=0 ends=9223372036854775807*2", CNNFILT_ERROR_INVALID_ARGUMENT,
      "out of 64-bit range" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      GError *error = tu_run_error (refused[i].pipeline, x);
      tu_assert_error (error, refused[i].code, "slice", refused[i].says);
      g_error_free (error);
    }
  /* brackets deeper than the parser goes: an error, not a crash */
  g_autofree gchar *brackets = g_strnfill (100000, '(');
  g_autofree gchar *deep = g_strdup_printf ("slice starts=0 ends=%s1", brackets);
  GError *deep_error = tu_run_error (deep, x);
  tu_assert_error (deep_error, CNNFILT_ERROR_INVALID_ARGUMENT, "nest too deep");
  g_error_free (deep_error);
}
END_TEST

/* Runs @op on @x with @ref as its second input, on the CPU and on OpenCL
 * where there is a device; the CPU's output. */
static CnnfiltTensor *
run_op_with_ref (CnnfiltOp *op, CnnfiltTensor *x, CnnfiltTensor *ref)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  const gchar *in[] = { "x", "ref", NULL };
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  ck_assert (cnnfilt_graph_add_input (graph, "ref", &error));
  ck_assert (cnnfilt_graph_add_node (graph, "op", op, in, &error));
  CnnfiltTensor *inputs[] = { x, ref };
  ck_assert_msg (cnnfilt_graph_run (graph, inputs, 2, &error), "%s", error ? error->message : "");
  CnnfiltTensor *out = g_object_ref (cnnfilt_graph_get_output (graph, 0));
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      cnnfilt_graph_set_device (graph, device);
      ck_assert_msg (cnnfilt_graph_run (graph, inputs, 2, &error), "on OpenCL: %s",
                     error ? error->message : "");
      tu_assert_close (cnnfilt_op_get_name (op), out, cnnfilt_graph_get_output (graph, 0),
                       TU_OPENCL_TOLERANCE);
    }
  return out;
}

/* expand, numpy's broadcasting worked by hand, its sizes numbers or
 * expressions of a second input's dims (a class token to the batch);
 * reshape's shape, expressions of its input's dims or of a second
 * input's. */
START_TEST (test_expand_reshape_expressions)
{
  /* (1, 2, 1) holding 1 2, to (3, 2, 2): each value twice along w, the
   * two rows three times */
  const gfloat two[] = { 1, 2 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (two, 1, 2, 1, 1);
  g_autoptr (CnnfiltOp) expand = new_op ("expand");
  g_object_set (expand, "shape", "3,2,2", "rank", 3, NULL);
  g_autoptr (CnnfiltTensor) y = run_op_both (expand, x);
  const gfloat want[] = { 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2 };
  tu_assert_tensor (y, 3, 2, 2, 1, want, 0);

  /* the batch and a size from another tensor's dims: (5, 7) gives 5 and
   * 7/7 + 1 = 2 */
  g_autoptr (CnnfiltTensor) ref = cnnfilt_tensor_new (5, 7, 1, 1, NULL);
  g_autoptr (CnnfiltOp) by_ref = new_op ("expand");
  g_object_set (by_ref, "shape", "d0,1,d1/7+1", "rank", 3, NULL);
  g_autoptr (CnnfiltTensor) z = run_op_with_ref (by_ref, x, ref);
  const gfloat want_z[] = { 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2 };
  tu_assert_tensor (z, 5, 2, 2, 1, want_z, 0);

  /* (2, 3, 4) as (3, 8) by its own dims, as (4, 6) by another's */
  gfloat seq[24];
  for (guint i = 0; i < 24; i++)
    seq[i] = i;
  g_autoptr (CnnfiltTensor) t = tu_tensor (seq, 2, 3, 4, 1);
  g_autoptr (CnnfiltTensor) own = tu_run_values ("reshape shape=d1,-1", seq, 2, 3, 4, 1);
  tu_assert_tensor (own, 3, 8, 1, 1, seq, 0);
  g_autoptr (CnnfiltTensor) four = cnnfilt_tensor_new (4, 1, 1, 1, NULL);
  g_autoptr (CnnfiltOp) reshape = new_op ("reshape");
  g_object_set (reshape, "shape", "d0,0*d0+6", NULL);
  g_autoptr (CnnfiltTensor) other = run_op_with_ref (reshape, t, four);
  tu_assert_tensor (other, 4, 6, 1, 1, seq, 0);

  static const struct {
    const gchar *pipeline;
    gint code;
    const gchar *says;
  } refused[] = {
    { "expand rank=3 shape=3,3,1", CNNFILT_ERROR_SHAPE, "dim 1 of the input (1x2x1x1) is 2, which does not broadcast to 3" },
    { "expand rank=3 shape=3,2", CNNFILT_ERROR_INVALID_ARGUMENT, "must give 3 sizes, one per dim" },
    { "expand rank=2 shape=0,1", CNNFILT_ERROR_SHAPE, "the size 0; sizes are 1 to" },
    { "expand rank=2 shape=d7,1", CNNFILT_ERROR_INVALID_ARGUMENT, "shape value 'd7'" },
    { "reshape shape=d0,5", CNNFILT_ERROR_SHAPE, "2 values do not fit 1×5×1×1" },
    { "reshape shape=1,2,1,1,1", CNNFILT_ERROR_INVALID_ARGUMENT, "must give 1 to 4 sizes" },
    { "reshape shape=-1,-1", CNNFILT_ERROR_INVALID_ARGUMENT, "only one dim can be -1" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      GError *error = tu_run_error (refused[i].pipeline, x);
      tu_assert_error (error, refused[i].code, refused[i].pipeline[0] == 'e' ? "expand" : "reshape",
                       refused[i].says);
      g_error_free (error);
    }
}
END_TEST

START_TEST (test_pad_modes)
{
  const gfloat in[] = { 1, 2, 3 };
  const gfloat constant[] = { 9, 9, 1, 2, 3, 9 };
  const gfloat reflect[] = { 3, 2, 1, 2, 3, 2 };
  const gfloat edge[] = { 1, 1, 1, 2, 3, 3 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("pad pad-left=2 pad-right=1 value=9", in, 1, 1, 1, 3);
  tu_assert_tensor (a, 1, 1, 1, 6, constant, 0);
  g_autoptr (CnnfiltTensor) b =
      tu_run_values ("pad pad-left=2 pad-right=1 mode=reflect", in, 1, 1, 1, 3);
  tu_assert_tensor (b, 1, 1, 1, 6, reflect, 0);
  g_autoptr (CnnfiltTensor) c = tu_run_values ("pad pad-left=2 pad-right=1 mode=edge", in, 1, 1, 1, 3);
  tu_assert_tensor (c, 1, 1, 1, 6, edge, 0);
}
END_TEST

/* interpolate and upsample on values worked by hand (the taps of ONNX's
 * reference: resample.c), on the CPU and the OpenCL device. One row, so
 * that only the columns are resized, except where a block says. */
START_TEST (test_interpolate_hand)
{
  static const struct {
    const gchar *pipeline;
    gfloat in[4];
    guint in_w, out_w;
    gfloat want[8];
    gdouble tolerance;
  } cases[] = {
    /* linear, half-pixel: coordinates −0.25 0.25 0.75 1.25, the edge
     * value outside */
    { "interpolate scale-h=1 scale-w=2 mode=linear", { 1, 2 }, 2, 4, { 1, 1.25f, 1.75f, 2 }, 1e-6 },
    /* align-corners: x · 1/3 */
    { "interpolate scale-h=1 scale-w=2 mode=linear coordinate-transformation-mode=align-corners",
      { 1, 2 }, 2, 4, { 1, 4 / 3.0f, 5 / 3.0f, 2 }, 1e-6 },
    /* asymmetric: x / 2, as Upsample and Resize 10 read it */
    { "interpolate scale-h=1 scale-w=2 mode=linear coordinate-transformation-mode=asymmetric",
      { 1, 2 }, 2, 4, { 1, 1.5f, 2, 2 }, 1e-6 },
    /* to one column: half-pixel reads 1.5, pytorch-half-pixel −0.5 */
    { "interpolate height=1 width=1 mode=linear", { 1, 2, 3, 4 }, 4, 1, { 2.5f }, 1e-6 },
    { "interpolate height=1 width=1 mode=linear coordinate-transformation-mode=pytorch-half-pixel",
      { 1, 2, 3, 4 }, 4, 1, { 1 }, 1e-6 },
    /* nearest at x / 2 = 0 0.5 1 1.5 2 2.5: ties down, up; floor, ceil */
    { "interpolate scale-h=1 scale-w=2 coordinate-transformation-mode=asymmetric",
      { 1, 2, 3 }, 3, 6, { 1, 1, 2, 2, 3, 3 }, 0 },
    { "interpolate scale-h=1 scale-w=2 coordinate-transformation-mode=asymmetric "
      "nearest-mode=round-prefer-ceil", { 1, 2, 3 }, 3, 6, { 1, 2, 2, 3, 3, 3 }, 0 },
    { "interpolate scale-h=1 scale-w=2 coordinate-transformation-mode=asymmetric "
      "nearest-mode=floor", { 1, 2, 3 }, 3, 6, { 1, 1, 2, 2, 3, 3 }, 0 },
    { "interpolate scale-h=1 scale-w=2 coordinate-transformation-mode=asymmetric "
      "nearest-mode=ceil", { 1, 2, 3 }, 3, 6, { 1, 2, 2, 3, 3, 3 }, 0 },
    /* halving: half-pixel reads 0.5 and 2.5 (ties down), tf-half-pixel-for-nn 1 and 3 */
    { "interpolate height=1 width=2", { 1, 2, 3, 4 }, 4, 2, { 1, 3 }, 0 },
    { "interpolate height=1 width=2 coordinate-transformation-mode=tf-half-pixel-for-nn",
      { 1, 2, 3, 4 }, 4, 2, { 2, 4 }, 0 },
    /* cubic, a = −0.75, at −0.25 0.25 … 3.25: Keys' weights of r = 0.75,
     * 0.25 alternately, (−0.10546875 0.87890625 0.26171875 −0.03515625)
     * at r = 0.25, the edge value outside (numpy in float64) */
    { "interpolate scale-h=1 scale-w=2 mode=cubic", { 0, 1, 2, 3 }, 4, 8,
      { -0.10546875f, 0.19140625f, 0.66796875f, 1.296875f, 1.703125f, 2.33203125f, 2.80859375f,
        3.10546875f }, 1e-6 },
    /* exclude-outside: at 0.25, tap −1 out and the others over 1.10546875 */
    { "interpolate scale-h=1 scale-w=2 mode=cubic exclude-outside=true", { 0, 1, 2, 3 }, 4, 8,
      { -0.13636364f, 0.17314488f, 0.64528302f, 1.296875f, 1.703125f, 2.35471698f, 2.82685512f,
        3.13636364f }, 1e-6 },
    /* a = −0.5 reproduces quadratics inside: x² at 1.25 and 1.75 */
    { "interpolate scale-h=1 scale-w=2 mode=cubic cubic-coeff-a=-0.5", { 0, 1, 4, 9 }, 4, 8,
      { -0.0703125f, 0.1328125f, 0.5859375f, 1.5625f, 3.0625f, 5.2265625f, 8.0546875f,
        9.3515625f }, 1e-6 },
    /* upsample: x / scale, floored */
    { "upsample scale-h=1 scale-w=3", { 1, 2 }, 2, 6, { 1, 1, 1, 2, 2, 2 }, 0 },
    { "upsample scale-h=1 scale-w=2 mode=linear", { 1, 2 }, 2, 4, { 1, 1.5f, 2, 2 }, 1e-6 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) in = tu_tensor_at (__FILE__, __LINE__, cases[i].in, cases[i].in_w,
                                                   1, 1, 1, cases[i].in_w);
      g_autoptr (CnnfiltTensor) out = tu_run (cases[i].pipeline, in);
      tu_assert_tensor_at (__FILE__, __LINE__, out, 1, 1, 1, cases[i].out_w, cases[i].want,
                           cases[i].out_w, cases[i].tolerance);
    }

  /* bilinear on rows and columns (ONNX's example): each row as above, then
   * the rows 0.75/0.25 and 0.25/0.75 between them; two channels, the
   * second 10 above the first */
  const gfloat grid[] = { 1, 2, 3, 4, 11, 12, 13, 14 };
  g_autoptr (CnnfiltTensor) bilinear =
      tu_run_values ("interpolate scale-h=2 scale-w=2 mode=linear", grid, 1, 2, 2, 2);
  const gfloat want_bilinear[] = { 1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                                   2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4,
                                   11, 11.25f, 11.75f, 12, 11.5f, 11.75f, 12.25f, 12.5f,
                                   12.5f, 12.75f, 13.25f, 13.5f, 13, 13.25f, 13.75f, 14 };
  tu_assert_tensor (bilinear, 1, 2, 4, 4, want_bilinear, 1e-6);
  /* upsample by 2 × 3, nearest (ONNX's Upsample example) */
  g_autoptr (CnnfiltTensor) blocks = tu_run_values ("upsample scale-h=2 scale-w=3", grid, 2, 1, 2, 2);
  const gfloat want_blocks[] = { 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4,
                                 11, 11, 11, 12, 12, 12, 11, 11, 11, 12, 12, 12,
                                 13, 13, 13, 14, 14, 14, 13, 13, 13, 14, 14, 14 };
  tu_assert_tensor (blocks, 2, 1, 4, 6, want_blocks, 0);

  /* large enough to share among threads: align-corners keeps a ramp a
   * ramp, x · 79/169 along the width, the same down every column */
  g_autoptr (CnnfiltTensor) ramp = cnnfilt_tensor_new (2, 3, 64, 80, NULL);
  for (guint p = 0; p < 6; p++)
    for (guint y = 0; y < 64; y++)
      for (guint x = 0; x < 80; x++)
        cnnfilt_tensor_get_plane (ramp, p / 3, p % 3)[y * 80 + x] = 100.0f * p + x;
  g_autoptr (CnnfiltTensor) stretched = tu_run ("interpolate height=150 width=170 mode=linear "
                                                "coordinate-transformation-mode=align-corners", ramp);
  for (guint p = 0; p < 6; p++)
    for (guint y = 0; y < 150; y += 7)
      for (guint x = 0; x < 170; x++)
        tu_assert_near (100.0 * p + x * 79.0 / 169.0,
                        cnnfilt_tensor_get_value (stretched, p / 3, p % 3, y, x), 1e-3);

  /* refusals, by name */
  g_autoptr (CnnfiltTensor) one = tu_tensor (grid, 1, 2, 2, 2);
  g_autoptr (GError) none = tu_run_error ("interpolate scale-w=2", one);
  tu_assert_error (none, CNNFILT_ERROR_INVALID_ARGUMENT, "interpolate: give scale-h or height");
  g_autoptr (GError) both = tu_run_error ("interpolate scale-h=2 height=4 scale-w=2", one);
  tu_assert_error (both, CNNFILT_ERROR_INVALID_ARGUMENT, "scale-h and height exclude each other");
  g_autoptr (GError) channels = tu_run_error ("interpolate scale-h=2 scale-w=2 channels=3", one);
  tu_assert_error (channels, CNNFILT_ERROR_SHAPE, "interpolate", "1 of 2",
                   "only h and w are resized");
  g_autoptr (GError) empty = tu_run_error ("interpolate scale-h=0.4 scale-w=1", one);
  tu_assert_error (empty, CNNFILT_ERROR_SHAPE, "interpolate: 2 by scale-h=0.4 makes 0");
  g_autoptr (GError) bare = tu_run_error ("upsample scale-w=2", one);
  tu_assert_error (bare, CNNFILT_ERROR_INVALID_ARGUMENT, "upsample: give scale-h and scale-w");
}
END_TEST

/* Runs conv-transpose with @weights and @bias on @x with each algorithm
 * (and on the OpenCL device), checks each against @want. */
static void
check_conv_transpose (const gchar *props, CnnfiltTensor *weights, CnnfiltTensor *bias,
                      CnnfiltTensor *x, guint n, guint c, guint h, guint w, const gfloat *want,
                      gsize n_want)
{
  for (guint a = 0; a < 2; a++)
    {
      g_autofree gchar *text = g_strdup_printf ("conv-transpose algorithm=%s %s",
                                                a ? "reference" : "auto", props);
      g_autoptr (CnnfiltOp) op = op_from_text (text);
      g_object_set (op, "weights", weights, "bias", bias, NULL);
      g_autoptr (CnnfiltTensor) out = run_op_both (op, x);
      tu_assert_tensor_at (__FILE__, __LINE__, out, n, c, h, w, want, n_want, 1e-6);
    }
}

/* conv-transpose on values worked by hand: each input value adds the
 * kernel times itself to the output at stride spacing. */
START_TEST (test_conv_transpose_hand)
{
  const gfloat xv[] = { 1, 2, 3, 4 }, kv[] = { 1, 0, 0, -1 }, bv[] = { 0.5f };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) k = tu_tensor (kv, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) b = tu_tensor (bv, 1, 1, 1, 1);
  /* stride 1: the kernels overlap, 1·k at (0,0), 2·k at (0,1) … */
  const gfloat overlap[] = { 1.5f, 2.5f, 0.5f, 3.5f, 3.5f, -1.5f, 0.5f, -2.5f, -3.5f };
  check_conv_transpose ("", k, b, x, 1, 1, 3, 3, overlap, G_N_ELEMENTS (overlap));
  /* stride 2: side by side, and output padding adds a row and a column
   * of bias only */
  const gfloat apart[] = { 1.5f, 0.5f, 2.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, -1.5f, 0.5f,
                           3.5f, 0.5f, 4.5f, 0.5f, 0.5f, 0.5f, -2.5f, 0.5f, -3.5f, 0.5f,
                           0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
  check_conv_transpose ("stride=2 output-padding=1", k, b, x, 1, 1, 5, 5, apart,
                        G_N_ELEMENTS (apart));
  /* padding 1 takes the outer ring off the 4×4 */
  const gfloat inner[] = { -0.5f, 0.5f, 0.5f, 4.5f };
  check_conv_transpose ("stride=2 padding=1", k, b, x, 1, 1, 2, 2, inner, G_N_ELEMENTS (inner));
  /* an output size of 6×5 from the 4×4: total padding −2 rows (one above,
   * one below) and −1 column (at the end), bias only there; oneDNN takes
   * no negative leading pad, so auto runs the plain loops */
  const gfloat larger[] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,
                            1.5f, 0.5f, 2.5f, 0.5f, 0.5f,
                            0.5f, -0.5f, 0.5f, -1.5f, 0.5f,
                            3.5f, 0.5f, 4.5f, 0.5f, 0.5f,
                            0.5f, -2.5f, 0.5f, -3.5f, 0.5f,
                            0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
  check_conv_transpose ("stride=2 output-height=6 output-width=5", k, b, x, 1, 1, 6, 5, larger,
                        G_N_ELEMENTS (larger));
  /* groups=2, dilation-w=2, no bias: x_c (1 2 | 3 4) through w_c (1 10 |
   * 100 1000), input i and tap k at column i + 2k */
  const gfloat gx[] = { 1, 2, 3, 4 }, gw[] = { 1, 10, 100, 1000 };
  g_autoptr (CnnfiltTensor) x2 = tu_tensor (gx, 1, 2, 1, 2);
  g_autoptr (CnnfiltTensor) w2 = tu_tensor (gw, 2, 1, 1, 2);
  const gfloat grouped[] = { 1, 2, 10, 20, 300, 400, 3000, 4000 };
  check_conv_transpose ("groups=2 dilation-w=2", w2, NULL, x2, 1, 2, 1, 4, grouped,
                        G_N_ELEMENTS (grouped));

  /* same-upper with stride 2 and a 3×3 kernel of ones: 2×2 in, 4×4 out,
   * the full 5×5 less its last row and column; a value is the sum of the
   * inputs whose kernels cover it */
  const gfloat ones[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  g_autoptr (CnnfiltTensor) k3 = tu_tensor (ones, 1, 1, 3, 3);
  const gfloat same[] = { 1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4 };
  check_conv_transpose ("stride=2 auto-pad=same-upper", k3, NULL, x, 1, 1, 4, 4, same,
                        G_N_ELEMENTS (same));

  /* refusals, by name: the input's channels, the size of the bias */
  g_autoptr (CnnfiltOp) op = new_op ("conv-transpose");
  g_object_set (op, "weights", w2, NULL);
  g_autoptr (CnnfiltGraph) graph = chain (op, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) none = cnnfilt_graph_process (graph, x, &error);
  ck_assert_ptr_null (none);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "conv-transpose",
                   "the input has 1 channels, the weights expect 2");
  g_clear_error (&error);
  g_object_set (op, "bias", b, "groups", 2, NULL);
  ck_assert (!cnnfilt_op_validate (op, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "bias has 1 values", "make 2 output channels");
  g_clear_error (&error);
  /* padding that leaves nothing of the 3×3 */
  g_autoptr (CnnfiltOp) cut = new_op ("conv-transpose");
  g_object_set (cut, "weights", k, "padding", 2, NULL);
  g_autoptr (CnnfiltGraph) cut_graph = chain (cut, NULL);
  g_autoptr (CnnfiltTensor) nothing = cnnfilt_graph_process (cut_graph, x, &error);
  ck_assert_ptr_null (nothing);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "2 input rows make -1 output rows");
}
END_TEST

/* oneDNN's path, the plain loops and the OpenCL kernel agree on random
 * data (1e-4 of the largest value), over geometries oneDNN takes and some
 * it does not, where auto runs the plain loops too. */
START_TEST (test_conv_transpose_paths_agree)
{
  static const struct {
    guint n, c, h, w, o, kh, kw, groups;
    const gchar *props;
  } cases[] = {
    { 1, 4, 5, 6, 6, 3, 3, 2, "stride=2 padding=1 output-padding=1 dilation=2" },
    { 2, 3, 7, 5, 4, 4, 4, 1, "stride=2 padding=1" },                /* DCGAN's */
    { 1, 6, 4, 4, 6, 3, 3, 6, "stride=2 auto-pad=same-lower" },      /* depthwise */
    { 1, 3, 4, 4, 2, 3, 3, 1, "stride=3 auto-pad=valid pad-top=5" }, /* pads ignored */
    { 1, 2, 3, 4, 3, 3, 2, 1, "stride-h=3 stride-w=2 output-height=12 output-width=10" },
    { 1, 2, 5, 5, 2, 2, 2, 1, "stride=2 output-padding=3" },         /* past the stride */
    { 1, 16, 20, 20, 8, 4, 4, 1, "stride=2 padding=1" },             /* threads */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) x = random_tensor (cases[i].n, cases[i].c, cases[i].h, cases[i].w, i);
      g_autoptr (CnnfiltTensor) w = random_tensor (cases[i].c, cases[i].o / cases[i].groups,
                                                   cases[i].kh, cases[i].kw, 50 + i);
      g_autoptr (CnnfiltTensor) b = random_tensor (cases[i].o, 1, 1, 1, 90 + i);
      g_autofree gchar *text = g_strdup_printf ("conv-transpose groups=%u %s", cases[i].groups,
                                                cases[i].props);
      g_autoptr (CnnfiltOp) fast = op_from_text (text);
      g_autoptr (CnnfiltOp) plain = op_from_text (text);
      set (plain, "algorithm", "reference");
      g_object_set (fast, "weights", w, "bias", b, NULL);
      g_object_set (plain, "weights", w, "bias", b, NULL);
      g_autoptr (CnnfiltTensor) a = run_op_both (fast, x);
      g_autoptr (CnnfiltTensor) r = run_op_both (plain, x);
      tu_assert_close (text, r, a, 1e-4);
    }
}
END_TEST

START_TEST (test_lrn_hand)
{
  /* 3 channels of one pixel, size 3: channel 1 sums all three squares */
  const gfloat in[] = { 1, 2, 3 };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("lrn size=3 alpha=0.3 beta=0.5 bias=1", in, 1, 3, 1, 1);
  const gfloat want[] = { 1 / sqrt (1 + 0.1 * 5), 2 / sqrt (1 + 0.1 * 14), 3 / sqrt (1 + 0.1 * 13) };
  tu_assert_tensor (out, 1, 3, 1, 1, want, 1e-6);
}
END_TEST

START_TEST (test_shape_errors_name_the_node)
{
  g_autoptr (CnnfiltTensor) rgb = random_tensor (1, 3, 8, 8, 1);
  g_autoptr (CnnfiltTensor) w = random_tensor (4, 2, 3, 3, 2);  /* expects 2 channels */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) first = new_op ("identity");
  g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
  g_autoptr (CnnfiltOp) last = new_op ("relu");
  g_object_set (conv, "weights", w, NULL);
  g_autoptr (CnnfiltGraph) graph = chain (first, conv, last, NULL);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, rgb, &error);
  ck_assert (out == NULL);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "conv2d (input 1x3x8x8)", "3 channels", "expect 2");
  g_clear_error (&error);

  /* a kernel larger than the input: no negative or empty output */
  g_autoptr (CnnfiltTensor) small = random_tensor (1, 2, 2, 2, 3);
  out = cnnfilt_graph_process (graph, small, &error);
  ck_assert (out == NULL);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "conv2d", "empty");
  g_clear_error (&error);

  /* zero stride */
  g_autoptr (CnnfiltTensor) two = random_tensor (1, 2, 8, 8, 3);
  g_object_set (cnnfilt_graph_get_op (graph, "conv2d"), "stride", 0, NULL);
  out = cnnfilt_graph_process (graph, two, &error);
  ck_assert (out == NULL);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "conv2d", "stride");
  g_clear_error (&error);

  /* weights missing */
  GError *e = tu_run_error ("conv2d", rgb);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "conv2d", "weights is not set");
  g_error_free (e);

  /* an absurd size (1.1 TB here) fails at prepare, naming what it needs,
   * instead of being promised by overcommit and killed when written */
  g_autoptr (CnnfiltTensor) sixteen = random_tensor (1, 16, 8, 8, 4);
  e = tu_run_error ("pad padding=65536", sixteen);
  tu_assert_error (e, CNNFILT_ERROR_SHAPE, "MiB", "more than this machine's");
  g_error_free (e);

  /* pools: window larger than the input */
  e = tu_run_error ("max-pool kernel=9", rgb);
  tu_assert_error (e, CNNFILT_ERROR_SHAPE, "max-pool");
  g_error_free (e);
}
END_TEST

START_TEST (test_npy_round_trip_and_errors)
{
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *path = g_build_filename (dir, "w.npy", NULL);
  g_autoptr (CnnfiltTensor) t = random_tensor (4, 3, 2, 5, 9);
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_tensor_save_npy (t, path, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) back = cnnfilt_tensor_new_from_npy_file (path, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  tu_assert_tensors_equal (t, back, 0);

  /* a weights file set from pipeline text */
  g_autofree gchar *text = g_strdup_printf ("conv2d weights=%s padding=1", path);
  g_autoptr (CnnfiltTensor) input = random_tensor (1, 3, 6, 6, 10);
  g_autoptr (CnnfiltTensor) out = tu_run (text, input);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (out), 4);

  /* rank 1 (64,) becomes 64×1×1×1; float64 is converted */
  static const char vec[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, "
                            "'shape': (2,), }";
  GString *file = g_string_new_len (vec, sizeof vec - 1);
  while ((file->len + 1) % 64 != 0)
    g_string_append_c (file, ' ');
  g_string_append_c (file, '\n');
  file->str[8] = file->len - 10;
  gdouble values[] = { 1.5, -2.25 };
  g_string_append_len (file, (const gchar *) values, sizeof values);
  g_autoptr (GBytes) bytes = g_bytes_new (file->str, file->len);
  g_autoptr (CnnfiltTensor) v = cnnfilt_tensor_new_from_npy_bytes (bytes, "vec", &error);
  ck_assert_msg (v != NULL, "%s", error ? error->message : "");
  const gfloat want[] = { 1.5f, -2.25f };
  tu_assert_tensor (v, 2, 1, 1, 1, want, 0);

  /* truncated data, int dtype, Fortran order, garbage: errors naming the file */
  g_autoptr (GBytes) cut = g_bytes_new (file->str, file->len - 3);
  g_assert_null (cnnfilt_tensor_new_from_npy_bytes (cut, "cut.npy", &error));
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "cut.npy", "bytes of data");
  g_clear_error (&error);
  g_autofree gchar *ints = g_memdup2 (file->str, file->len + 1);
  memcpy (strstr (ints + 10, "<f8"), "<i8", 3); /* past the NUL of the version */
  g_autoptr (GBytes) ib = g_bytes_new (ints, file->len);
  g_assert_null (cnnfilt_tensor_new_from_npy_bytes (ib, "i.npy", &error));
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "i.npy", "'<i8'");
  g_clear_error (&error);
  g_autofree gchar *fortran = g_memdup2 (file->str, file->len + 1);
  memcpy (strstr (fortran + 10, "False"), "True ", 5);
  g_autoptr (GBytes) fb = g_bytes_new (fortran, file->len);
  g_assert_null (cnnfilt_tensor_new_from_npy_bytes (fb, "f.npy", &error));
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "Fortran");
  g_clear_error (&error);
  g_autoptr (GBytes) junk = g_bytes_new_static ("hello", 5);
  g_assert_null (cnnfilt_tensor_new_from_npy_bytes (junk, "junk", &error));
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "junk", "magic");
  g_clear_error (&error);
  g_string_free (file, TRUE);

  /* a missing file from pipeline text names op, property and file */
  GError *e = tu_run_error ("conv2d weights=/nonexistent/w.npy", input);
  tu_assert_error (e, CNNFILT_ERROR_IO, "conv2d", "weights", "/nonexistent/w.npy");
  g_error_free (e);
  tu_remove_tree (dir);
}
END_TEST

START_TEST (test_threads_setting)
{
  /* the thread count is the device's, and reaches the ops in their run
   * context: one thread inside the ops computes the same as all cores */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltDevice) device = cnnfilt_device_new_from_string ("cpu", &error);
  ck_assert_uint_eq (cnnfilt_device_get_n_threads (device), 0);
  cnnfilt_device_set_n_threads (device, 1);
  guint n = 0;
  g_object_get (device, "n-threads", &n, NULL);
  ck_assert_uint_eq (n, 1);
  g_autoptr (CnnfiltTensor) input = random_tensor (1, 8, 20, 20, 3);
  g_autoptr (CnnfiltTensor) w = random_tensor (16, 8, 3, 3, 4);
  g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
  g_object_set (conv, "weights", w, NULL);
  g_autoptr (CnnfiltTensor) one = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  ck_assert (cnnfilt_op_run_on_device (conv, device, &input, 1, one, &error));
  g_autoptr (CnnfiltTensor) all = cnnfilt_op_process (conv, input, &error);
  assert_close (one, all);
  /* and through a graph on that device */
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  g_autoptr (CnnfiltOp) relu = new_op ("relu");
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  ck_assert (cnnfilt_graph_add_node (graph, "conv", conv, (const gchar *[]) { "x", NULL }, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "relu", relu, (const gchar *[]) { "conv", NULL }, &error));
  cnnfilt_graph_set_device (graph, device);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, input, &error);
  ck_assert_ptr_nonnull (out);
}
END_TEST

#if defined(__x86_64__) || defined(__i386__)
#define TEST_FLUSH_BITS 0x8040u /* MXCSR: flush to zero, denormals are zero */

/* Whether each of @n_threads OpenMP threads of this one has MXCSR's flush
 * bits as @want (the threads a run's ops share their work with). */
static gboolean
omp_threads_flush_bits_are (guint n_threads, guint want)
{
  gint wrong = 0;
#pragma omp parallel num_threads ((int) n_threads) reduction (+ : wrong)
  wrong += (_mm_getcsr () & TEST_FLUSH_BITS) != want;
  return wrong == 0;
}

/* Whether this processor flushes when asked: valgrind's does not (it
 * computes IEEE underflow whatever MXCSR says). */
static gboolean
cpu_honours_flush (void)
{
  const guint saved = _mm_getcsr ();
  _mm_setcsr (saved | TEST_FLUSH_BITS);
  volatile gfloat a = 1e-20f;
  volatile gfloat p = a * a;
  _mm_setcsr (saved);
  return p == 0.0f;
}

START_TEST (test_flush_denormals)
{
  if (!cpu_honours_flush ())
    {
      g_printerr ("test_flush_denormals: skipped: the processor (an emulator?) ignores MXCSR's flush bits\n");
      return;
    }
  /* 1e-20 squared is 1e-40, a denormal: zero while the device flushes
   * them, 1e-40 when it computes IEEE gradual underflow; 1e-40 times 2
   * (denormal in) is 0 or 2e-40. A gate per channel, as in
   * squeeze-and-excitation, so that mul splits the channels over the
   * threads, and each thread gets its own mode back after the run. */
  g_autoptr (GError) error = NULL;
  const guint c = 64, plane = 64 * 64, n = c * plane, half = n / 2;
  g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (1, c, 64, 64, NULL);
  gfloat *v = cnnfilt_tensor_get_data (x, NULL);
  for (guint i = 0; i < n; i++)
    v[i] = i < half ? 1e-20f : 1e-40f;
  g_autoptr (CnnfiltTensor) two = cnnfilt_tensor_new (1, c, 1, 1, NULL);
  gfloat *t = cnnfilt_tensor_get_data (two, NULL);
  for (guint i = 0; i < c; i++)
    t[i] = i < c / 2 ? 1e-20f : 2.0f;
  g_autoptr (CnnfiltDevice) device = cnnfilt_device_new_from_string ("cpu", &error);
  ck_assert (cnnfilt_device_get_flush_denormals (device));
  g_autoptr (CnnfiltOp) mul = new_op ("mul");
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  ck_assert (cnnfilt_graph_add_constant (graph, "two", two, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "mul", mul, (const gchar *[]) { "x", "two", NULL }, &error));
  cnnfilt_graph_set_device (graph, device);
  const guint caller = _mm_getcsr ();
  for (guint threads = 1; threads <= 2; threads++)
    for (guint flush = 0; flush < 2; flush++)
      for (guint via_graph = 0; via_graph < 2; via_graph++)
        {
          cnnfilt_device_set_n_threads (device, threads);
          g_object_set (device, "flush-denormals", flush, NULL);
          g_autoptr (CnnfiltTensor) out = NULL;
          if (via_graph)
            out = cnnfilt_graph_process (graph, x, &error);
          else
            {
              out = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
              CnnfiltTensor *ab[] = { x, two };
              ck_assert (cnnfilt_op_run_on_device (mul, device, ab, 2, out, &error));
            }
          ck_assert_msg (out != NULL, "%s", error ? error->message : "");
          const gfloat *y = cnnfilt_tensor_get_data (out, NULL);
          for (guint i = 0; i < n; i += plane / 2 + 1)
            {
              gfloat want = flush ? 0.0f : i < half ? 1e-20f * 1e-20f : 1e-40f * 2.0f;
              ck_assert_msg (y[i] == want, "threads %u flush %u graph %u: [%u] is %g, not %g",
                             threads, flush, via_graph, i, y[i], want);
            }
          ck_assert_uint_eq (_mm_getcsr () & TEST_FLUSH_BITS, caller & TEST_FLUSH_BITS);
          ck_assert (omp_threads_flush_bits_are (threads, caller & TEST_FLUSH_BITS));
        }
  /* a caller that flushes already keeps its mode, whatever the device says */
  _mm_setcsr (caller | TEST_FLUSH_BITS);
  cnnfilt_device_set_n_threads (device, 1);
  g_object_set (device, "flush-denormals", FALSE, NULL);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, x, &error);
  ck_assert_uint_eq (_mm_getcsr () & TEST_FLUSH_BITS, TEST_FLUSH_BITS);
  ck_assert (cnnfilt_tensor_get_data (out, NULL)[0] == 0.0f);
  cnnfilt_device_set_flush_denormals (device, TRUE);
  g_clear_object (&out);
  out = cnnfilt_graph_process (graph, x, &error);
  ck_assert_uint_eq (_mm_getcsr () & TEST_FLUSH_BITS, TEST_FLUSH_BITS);
  _mm_setcsr (caller);
}
END_TEST
#endif

/* An inception-like block: convolutions whose outputs are joined along
 * channels, read by another convolution; channels-last throughout when
 * fused, NCHW when not, with a graph input joined in (mixed layouts). */
START_TEST (test_concat_channels_last)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 8, 9, 7, 40);
  g_autoptr (CnnfiltTensor) wa = random_tensor (4, 8, 1, 1, 41);
  g_autoptr (CnnfiltTensor) wb = random_tensor (6, 8, 3, 3, 42);
  g_autoptr (CnnfiltTensor) wc = random_tensor (5, 18, 3, 3, 43);
  CnnfiltTensor *outputs[2] = { NULL, NULL };
  for (guint f = 0; f < 2; f++)
    {
      g_autoptr (CnnfiltOp) a = new_op ("conv2d");
      g_autoptr (CnnfiltOp) b = new_op ("conv2d");
      g_autoptr (CnnfiltOp) c = new_op ("conv2d");
      g_autoptr (CnnfiltOp) join = new_op ("concat");
      g_autoptr (CnnfiltOp) relu = new_op ("relu");
      g_object_set (a, "weights", wa, NULL);
      g_object_set (b, "weights", wb, "padding", 1, NULL);
      g_object_set (c, "weights", wc, "padding", 1, NULL);
      g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
      g_object_set (graph, "fuse", f == 1, NULL);
      const gchar *x[] = { "x", NULL }, *ab[] = { "a", "x", "b", NULL }, *j[] = { "j", NULL };
      const gchar *r[] = { "r", NULL };
      ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
      ck_assert (cnnfilt_graph_add_node (graph, "a", a, x, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "b", b, x, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "j", join, ab, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "r", relu, j, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "c", c, r, &error));
      outputs[f] = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (outputs[f] != NULL, "%s", error ? error->message : "");
    }
  assert_close (outputs[0], outputs[1]);
  g_object_unref (outputs[0]);
  g_object_unref (outputs[1]);
}
END_TEST

/* Channel c of a 1×6×1×2 input holds 10c and 10c + 1. In groups of 3
 * channels (0 1 2 | 3 4 5) dealt out in turn: 0 3 1 4 2 5; in groups of
 * 2 (0 1 | 2 3 | 4 5): 0 2 4 1 3 5. Between two convolutions, where the
 * graph keeps the channels last, the same as without fusion. */
START_TEST (test_channel_shuffle)
{
  const gfloat in[] = { 0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51 };
  const gfloat two[] = { 0, 1, 30, 31, 10, 11, 40, 41, 20, 21, 50, 51 };
  const gfloat three[] = { 0, 1, 20, 21, 40, 41, 10, 11, 30, 31, 50, 51 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("channel-shuffle groups=2", in, 1, 6, 1, 2);
  tu_assert_tensor (a, 1, 6, 1, 2, two, 0);
  g_autoptr (CnnfiltTensor) b = tu_run_values ("channel-shuffle groups=3", in, 1, 6, 1, 2);
  tu_assert_tensor (b, 1, 6, 1, 2, three, 0);
  g_autoptr (CnnfiltTensor) c = tu_run_values ("channel-shuffle", in, 1, 6, 1, 2);
  tu_assert_tensor (c, 1, 6, 1, 2, in, 0);

  g_autoptr (CnnfiltTensor) x = tu_tensor (in, 1, 6, 1, 2);
  g_autoptr (GError) uneven = tu_run_error ("channel-shuffle groups=4", x);
  tu_assert_error (uneven, CNNFILT_ERROR_SHAPE, "channel-shuffle", "6 channels", "4 groups");

  g_autoptr (GError) error = NULL;

  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 5, 7, 50);
  g_autoptr (CnnfiltTensor) wa = random_tensor (8, 3, 3, 3, 51);
  g_autoptr (CnnfiltTensor) wb = random_tensor (4, 8, 1, 1, 52);
  CnnfiltTensor *outputs[2] = { NULL, NULL };
  for (guint f = 0; f < 2; f++)
    {
      g_autoptr (CnnfiltOp) conv_a = new_op ("conv2d");
      g_autoptr (CnnfiltOp) shuffle = op_from_text ("channel-shuffle groups=4");
      g_autoptr (CnnfiltOp) conv_b = new_op ("conv2d");
      g_object_set (conv_a, "weights", wa, "padding", 1, NULL);
      g_object_set (conv_b, "weights", wb, NULL);
      g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
      g_object_set (graph, "fuse", f == 1, NULL);
      const gchar *x_in[] = { "x", NULL }, *a_in[] = { "a", NULL }, *s_in[] = { "s", NULL };
      ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
      ck_assert (cnnfilt_graph_add_node (graph, "a", conv_a, x_in, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "s", shuffle, a_in, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "b", conv_b, s_in, &error));
      outputs[f] = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (outputs[f] != NULL, "%s", error ? error->message : "");
    }
  assert_close (outputs[0], outputs[1]);
  /* and against the first conv's channels shuffled by hand */
  g_autoptr (CnnfiltOp) conv_a = new_op ("conv2d");
  g_object_set (conv_a, "weights", wa, "padding", 1, NULL);
  g_autoptr (CnnfiltTensor) mid = cnnfilt_op_process (conv_a, input, &error);
  g_autoptr (CnnfiltTensor) shuffled = cnnfilt_tensor_new (2, 8, 5, 7, &error);
  for (guint n = 0; n < 2; n++)
    for (guint o = 0; o < 8; o++)
      for (guint y = 0; y < 5; y++)
        for (guint w = 0; w < 7; w++)
          cnnfilt_tensor_set_value (shuffled, n, o, y, w,
                                    cnnfilt_tensor_get_value (mid, n, (o % 4) * 2 + o / 4, y, w));
  g_autoptr (CnnfiltOp) conv_b = new_op ("conv2d");
  g_object_set (conv_b, "weights", wb, NULL);
  g_autoptr (CnnfiltTensor) want = cnnfilt_op_process (conv_b, shuffled, &error);
  assert_close (want, outputs[1]);
  g_object_unref (outputs[0]);
  g_object_unref (outputs[1]);
}
END_TEST

/* Transpose reads and writes channels-last on the CPU: after a
 * convolution (read across its channels-last output), as a graph output
 * (written NCHW) and before another convolution (written channels-last),
 * for moves of each dim; the same as with every tensor NCHW. 24 channels
 * and 40×36 pixels leave partial 16×16 blocks in the tiled copy, and
 * make enough values (69120) for it to run on threads. */
START_TEST (test_transpose_channels_last)
{
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 40, 36, 70);
  g_autoptr (CnnfiltTensor) wa = random_tensor (24, 3, 3, 3, 71);
  const guint dims[4] = { 2, 24, 40, 36 };
  static const gchar *const perms[] = { "0,2,3,1", "0,3,1,2", "0,1,3,2", "0,2,1,3", "1,0,2,3" };
  for (guint p = 0; p < G_N_ELEMENTS (perms); p++)
    for (guint then_conv = 0; then_conv < 2; then_conv++)
      {
        guint first = perms[p][2] - '0';
        g_autoptr (CnnfiltTensor) wb = random_tensor (4, dims[first], 1, 1, 72 + p);
        CnnfiltTensor *outputs[2] = { NULL, NULL };
        for (guint f = 0; f < 2; f++)
          {
            g_autoptr (GError) error = NULL;
            g_autoptr (CnnfiltOp) conv_a = new_op ("conv2d");
            g_autoptr (CnnfiltOp) transpose = new_op ("transpose");
            g_autoptr (CnnfiltOp) conv_b = new_op ("conv2d");
            g_object_set (conv_a, "weights", wa, "padding", 1, NULL);
            g_object_set (transpose, "perm", perms[p], NULL);
            g_object_set (conv_b, "weights", wb, NULL);
            g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
            g_object_set (graph, "fuse", f == 1, NULL);
            const gchar *x[] = { "x", NULL }, *a[] = { "a", NULL }, *t[] = { "t", NULL };
            ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
            ck_assert (cnnfilt_graph_add_node (graph, "a", conv_a, x, &error));
            ck_assert (cnnfilt_graph_add_node (graph, "t", transpose, a, &error));
            if (then_conv)
              ck_assert (cnnfilt_graph_add_node (graph, "b", conv_b, t, &error));
            outputs[f] = cnnfilt_graph_process (graph, input, &error);
            ck_assert_msg (outputs[f] != NULL, "%s: %s", perms[p], error ? error->message : "");
          }
        assert_close (outputs[0], outputs[1]);
        g_object_unref (outputs[0]);
        g_object_unref (outputs[1]);
      }
}
END_TEST

/* A squeeze-and-excitation block (MobileNetV3's): the features times a
 * per-channel gate made from their means, between two convolutions. With
 * fusion on, the graph keeps it channels-last, the gate's mul broadcasting
 * a vector over each pixel's channels; the same as channels-first, and as
 * gate and product worked out here. On 6×5 maps the mul runs on one
 * thread, on 64×72 (2×8×64×72 values, over LAYER_PARALLEL_MIN_VALUES) on
 * the run's threads. */
static void
squeeze_excitation_case (guint h, guint w_)
{
  const guint hw = h * w_;
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, h, w_, 60);
  g_autoptr (CnnfiltTensor) wa = random_tensor (8, 3, 3, 3, 61);
  g_autoptr (CnnfiltTensor) wf = random_tensor (8, 8, 1, 1, 62);
  g_autoptr (CnnfiltTensor) wb = random_tensor (4, 8, 1, 1, 63);
  CnnfiltTensor *outputs[2] = { NULL, NULL };
  for (guint f = 0; f < 2; f++)
    {
      g_autoptr (CnnfiltOp) conv_a = new_op ("conv2d");
      g_autoptr (CnnfiltOp) pool = new_op ("global-avg-pool");
      g_autoptr (CnnfiltOp) conv_f = new_op ("conv2d");
      g_autoptr (CnnfiltOp) gate = new_op ("hard-sigmoid");
      g_autoptr (CnnfiltOp) scale = new_op ("mul");
      g_autoptr (CnnfiltOp) conv_b = new_op ("conv2d");
      g_object_set (conv_a, "weights", wa, "padding", 1, NULL);
      g_object_set (conv_f, "weights", wf, NULL);
      g_object_set (conv_b, "weights", wb, NULL);
      g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
      g_object_set (graph, "fuse", f == 1, NULL);
      const gchar *x[] = { "x", NULL }, *a[] = { "a", NULL }, *p[] = { "p", NULL };
      const gchar *q[] = { "q", NULL }, *ga[] = { "g", "a", NULL }, *m[] = { "m", NULL };
      ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
      ck_assert (cnnfilt_graph_add_node (graph, "a", conv_a, x, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "p", pool, a, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "q", conv_f, p, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "g", gate, q, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "m", scale, ga, &error));
      ck_assert (cnnfilt_graph_add_node (graph, "b", conv_b, m, &error));
      outputs[f] = cnnfilt_graph_process (graph, input, &error);
      ck_assert_msg (outputs[f] != NULL, "%s", error ? error->message : "");
    }
  assert_close (outputs[0], outputs[1]);

  g_autoptr (CnnfiltOp) conv_a = new_op ("conv2d");
  g_object_set (conv_a, "weights", wa, "padding", 1, NULL);
  g_autoptr (CnnfiltTensor) features = cnnfilt_op_process (conv_a, input, &error);
  const gfloat *fv = cnnfilt_tensor_get_data (features, NULL), *w = cnnfilt_tensor_get_data (wf, NULL);
  g_autoptr (CnnfiltTensor) gated = cnnfilt_tensor_new (2, 8, h, w_, &error);
  for (guint n = 0; n < 2; n++)
    {
      gdouble mean[8] = { 0 };
      for (guint c = 0; c < 8; c++)
        for (guint i = 0; i < hw; i++)
          mean[c] += fv[(n * 8 + c) * hw + i] / (gdouble) hw;
      for (guint o = 0; o < 8; o++)
        {
          gdouble sum = 0;
          for (guint c = 0; c < 8; c++)
            sum += w[o * 8 + c] * mean[c];
          gdouble g = CLAMP (0.2 * sum + 0.5, 0, 1);
          for (guint i = 0; i < hw; i++)
            cnnfilt_tensor_set_value (gated, n, o, i / w_, i % w_, g * fv[(n * 8 + o) * hw + i]);
        }
    }
  g_autoptr (CnnfiltOp) conv_b = new_op ("conv2d");
  g_object_set (conv_b, "weights", wb, NULL);
  g_autoptr (CnnfiltTensor) want = cnnfilt_op_process (conv_b, gated, &error);
  assert_close (want, outputs[1]);
  g_object_unref (outputs[0]);
  g_object_unref (outputs[1]);
}

START_TEST (test_squeeze_excitation_channels_last)
{
  squeeze_excitation_case (6, 5);
  squeeze_excitation_case (64, 72);
}
END_TEST

/* An elementwise op that notes the layout of the tensor it is given and
 * passes it on: where the graph runs the ops before it. */
typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltLayout seen;
} TestLayoutProbe;
typedef CnnfiltOpClass TestLayoutProbeClass;
static GType test_layout_probe_get_type (void);
G_DEFINE_TYPE (TestLayoutProbe, test_layout_probe, CNNFILT_TYPE_OP)

static gboolean
layout_probe_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                  guint n_inputs, CnnfiltTensor *output, GError **error)
{
  ((TestLayoutProbe *) op)->seen = cnnfilt_tensor_get_layout (inputs[0]);
  gsize n = 0;
  const gfloat *in = cnnfilt_tensor_get_data (inputs[0], &n);
  memcpy (cnnfilt_tensor_get_data (output, NULL), in, n * sizeof (gfloat));
  return TRUE;
}

static CnnfiltLayoutSupport
layout_probe_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE;
}

static void
test_layout_probe_class_init (TestLayoutProbeClass *klass)
{
  klass->name = "test-layout-probe";
  klass->description = "x, noting its layout";
  klass->n_inputs = 1;
  klass->infer = cnnfilt_op_infer_same_shape;
  klass->run = layout_probe_run;
  klass->layouts = layout_probe_layouts;
}

static void
test_layout_probe_init (TestLayoutProbe *self)
{
  self->seen = -1;
}

/* ConvNeXt's layer scale: a convolution's output times a constant of one
 * value per channel (c×1×1), plus a residual, between convolutions. The
 * constant is a graph constant, NCHW, but stored as it would be
 * channels-last, so the mul and add run channels-last (the probe after
 * them sees it), reading the constant as it is; the same values as with
 * every tensor NCHW. A constant with pixels (c×h×w) keeps them NCHW. */
START_TEST (test_layer_scale_channels_last)
{
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 8, 9, 7, 80);
  g_autoptr (CnnfiltTensor) wa = random_tensor (8, 8, 3, 3, 81);
  g_autoptr (CnnfiltTensor) wb = random_tensor (4, 8, 1, 1, 82);
  g_autoptr (CnnfiltTensor) per_channel = random_tensor (1, 8, 1, 1, 83);
  g_autoptr (CnnfiltTensor) per_value = random_tensor (1, 8, 9, 7, 84);
  CnnfiltTensor *scales[] = { per_channel, per_value };
  for (guint k = 0; k < G_N_ELEMENTS (scales); k++)
    {
      CnnfiltTensor *outputs[2] = { NULL, NULL };
      for (guint f = 0; f < 2; f++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (CnnfiltOp) a = new_op ("conv2d"), b = new_op ("conv2d");
          g_autoptr (CnnfiltOp) mul = new_op ("mul"), add = new_op ("add");
          g_autoptr (CnnfiltOp) probe = g_object_new (test_layout_probe_get_type (), NULL);
          g_object_set (a, "weights", wa, "padding", 1, NULL);
          g_object_set (b, "weights", wb, NULL);
          g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
          g_object_set (graph, "fuse", f == 1, NULL);
          ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
          ck_assert (cnnfilt_graph_add_constant (graph, "gamma", scales[k], &error));
          ck_assert (cnnfilt_graph_add_node (graph, "a", a, (const gchar *[]) { "x", NULL }, &error));
          ck_assert (cnnfilt_graph_add_node (graph, "m", mul, (const gchar *[]) { "a", "gamma", NULL },
                                             &error));
          ck_assert (cnnfilt_graph_add_node (graph, "r", add, (const gchar *[]) { "m", "a", NULL },
                                             &error));
          ck_assert (cnnfilt_graph_add_node (graph, "p", probe, (const gchar *[]) { "r", NULL },
                                             &error));
          ck_assert (cnnfilt_graph_add_node (graph, "b", b, (const gchar *[]) { "p", NULL }, &error));
          outputs[f] = cnnfilt_graph_process (graph, input, &error);
          ck_assert_msg (outputs[f] != NULL, "%s", error ? error->message : "");
          CnnfiltLayout want = f == 1 && k == 0 ? CNNFILT_LAYOUT_NHWC : CNNFILT_LAYOUT_NCHW;
          ck_assert_int_eq (((TestLayoutProbe *) probe)->seen, want);
        }
      assert_close (outputs[0], outputs[1]);
      g_object_unref (outputs[0]);
      g_object_unref (outputs[1]);
    }
}
END_TEST

/* ResNet-18's topology (weights random) built with the graph API. */
static void
add_conv_bn (CnnfiltGraph *graph, const gchar *name, const gchar *input, guint c, guint o,
             guint k, guint stride, gboolean relu, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) conv = new_op ("conv2d");
  g_autoptr (CnnfiltOp) bn = new_op ("batchnorm");
  g_autoptr (CnnfiltTensor) w = random_tensor (o, c, k, k, seed);
  g_autoptr (CnnfiltTensor) ones = cnnfilt_tensor_new (o, 1, 1, 1, NULL);
  g_autoptr (CnnfiltTensor) zeros = cnnfilt_tensor_new (o, 1, 1, 1, NULL);
  cnnfilt_tensor_fill (ones, 1.0f);
  g_object_set (conv, "weights", w, "stride", stride, "padding", k / 2, NULL);
  g_object_set (bn, "scale", ones, "bias", zeros, "mean", zeros, "var", ones, NULL);
  g_autofree gchar *conv_name = g_strconcat (name, ".conv", NULL);
  g_autofree gchar *bn_name = g_strconcat (name, relu ? ".bn" : "", NULL);
  const gchar *in[] = { input, NULL }, *cv[] = { conv_name, NULL }, *b[] = { bn_name, NULL };
  ck_assert (cnnfilt_graph_add_node (graph, conv_name, conv, in, &error));
  ck_assert (cnnfilt_graph_add_node (graph, bn_name, bn, cv, &error));
  if (relu)
    {
      g_autoptr (CnnfiltOp) r = new_op ("relu");
      ck_assert (cnnfilt_graph_add_node (graph, name, r, b, &error));
    }
}

static CnnfiltGraph *
resnet18 (void)
{
  g_autoptr (GError) error = NULL;
  CnnfiltGraph *graph = cnnfilt_graph_new ();
  ck_assert (cnnfilt_graph_add_input (graph, "input", &error));
  add_conv_bn (graph, "stem", "input", 3, 64, 7, 2, TRUE, 1);
  g_autoptr (CnnfiltOp) pool = new_op ("max-pool");
  g_object_set (pool, "kernel", 3, "stride", 2, "padding", 1, NULL);
  const gchar *stem[] = { "stem", NULL };
  ck_assert (cnnfilt_graph_add_node (graph, "pool", pool, stem, &error));
  gchar *previous = g_strdup ("pool");
  guint c = 64, seed = 10;
  for (guint stage = 0; stage < 4; stage++)
    for (guint block = 0; block < 2; block++)
      {
        guint o = 64u << stage, stride = stage > 0 && block == 0 ? 2 : 1;
        g_autofree gchar *a = g_strdup_printf ("l%u.%u.a", stage + 1, block);
        g_autofree gchar *b = g_strdup_printf ("l%u.%u.b", stage + 1, block);
        g_autofree gchar *shortcut = g_strdup (previous);
        add_conv_bn (graph, a, previous, c, o, 3, stride, TRUE, seed++);
        add_conv_bn (graph, b, a, o, o, 3, 1, FALSE, seed++);
        if (stride != 1 || c != o)
          {
            g_free (shortcut);
            shortcut = g_strdup_printf ("l%u.%u.down", stage + 1, block);
            add_conv_bn (graph, shortcut, previous, c, o, 1, stride, FALSE, seed++);
          }
        g_autofree gchar *sum = g_strdup_printf ("l%u.%u.add", stage + 1, block);
        g_free (previous);
        previous = g_strdup_printf ("l%u.%u", stage + 1, block);
        const gchar *pair[] = { b, shortcut, NULL }, *s[] = { sum, NULL };
        g_autoptr (CnnfiltOp) add = new_op ("add");
        g_autoptr (CnnfiltOp) relu = new_op ("relu");
        ck_assert (cnnfilt_graph_add_node (graph, sum, add, pair, &error));
        ck_assert (cnnfilt_graph_add_node (graph, previous, relu, s, &error));
        c = o;
      }
  g_autoptr (CnnfiltOp) gap = new_op ("global-avg-pool");
  g_autoptr (CnnfiltOp) fc = new_op ("linear");
  g_autoptr (CnnfiltTensor) w = random_tensor (1000, 512, 1, 1, 99);
  g_object_set (fc, "weights", w, NULL);
  const gchar *last[] = { previous, NULL }, *g[] = { "gap", NULL };
  ck_assert (cnnfilt_graph_add_node (graph, "gap", gap, last, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "fc", fc, g, &error));
  g_free (previous);
  return graph;
}

/* Peak memory of ResNet-18 at batch 1 within twice its two largest live
 * activations: the stem's output (64×112×112) and the pool's (64×56×56). */
START_TEST (test_resnet18_memory)
{
  g_autoptr (CnnfiltGraph) graph = resnet18 ();
  g_autoptr (GError) error = NULL;
  CnnfiltShape shape = { 1, 3, 224, 224 };
  ck_assert_msg (cnnfilt_graph_prepare (graph, &shape, 1, &error), "%s",
                 error ? error->message : "");
  CnnfiltShape out;
  ck_assert (cnnfilt_graph_get_output_shape (graph, 0, &out));
  ck_assert_uint_eq (out.c, 1000);
  gsize bound = 2 * (64 * 112 * 112 + 64 * 56 * 56) * sizeof (gfloat);
  gsize used = cnnfilt_graph_get_buffer_size (graph);
  ck_assert_msg (used <= bound, "ResNet-18 holds %" G_GSIZE_FORMAT " bytes, bound %" G_GSIZE_FORMAT,
                 used, bound);
  /* and it runs, at a small size, the same fused or not */
  g_autoptr (CnnfiltTensor) input = random_tensor (2, 3, 64, 64, 5);
  g_autoptr (CnnfiltTensor) fused = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (fused != NULL, "%s", error ? error->message : "");
  g_object_set (graph, "fuse", FALSE, NULL);
  g_autoptr (CnnfiltTensor) plain = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (plain != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (cnnfilt_tensor_get_n (plain), 2);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (plain), 1000);
  gsize count;
  const gfloat *a = cnnfilt_tensor_get_data (plain, &count), *b = cnnfilt_tensor_get_data (fused, NULL);
  gdouble scale = 0;
  for (gsize i = 0; i < count; i++)
    scale = MAX (scale, fabs (a[i]));
  for (gsize i = 0; i < count; i++)
    ck_assert_msg (fabs (a[i] - b[i]) <= 1e-4 * scale, "logit %" G_GSIZE_FORMAT ": %g vs %g", i,
                   b[i], a[i]);
}
END_TEST

int
main (void)
{
  g_assert (cnnfilt_init (NULL));
  Suite *suite = suite_create ("cnn");
  TCase *pools = tu_tcase ("pools");
  tcase_add_test (pools, test_max_pool_seed_2x2);
  tcase_add_test (pools, test_max_pool_seed_3x3);
  tcase_add_test (pools, test_avg_pool_seed_3x3);
  tcase_add_test (pools, test_avg_pool_padding);
  tcase_add_test (pools, test_pool_ceil_mode);
  tcase_add_test (pools, test_pool_fast_matches_reference);
  suite_add_tcase (suite, pools);
  TCase *conv = tu_tcase ("conv");
  tcase_add_test (conv, test_conv_hand);
  tcase_add_test (conv, test_conv_fast_matches_reference);
  tcase_add_test (conv, test_property_change_after_run);
  tcase_add_test (conv, test_prepare_and_run_in_other_threads);
  tcase_add_test (conv, test_fuse_conv_batchnorm_relu);
  tcase_add_test (conv, test_fuse_batchnorm_clamp);
  tcase_add_test (conv, test_fuse_conv_activation);
  tcase_add_test (conv, test_threads_setting);
#if defined(__x86_64__) || defined(__i386__)
  tcase_add_test (conv, test_flush_denormals);
#endif
  suite_add_tcase (suite, conv);
  TCase *graphs = tu_tcase ("graphs");
  tcase_add_test (graphs, test_residual_dag);
  tcase_add_test (graphs, test_conv_batch_in_parts);
  tcase_add_test (graphs, test_release_values);
  tcase_add_test (graphs, test_weights_held_once);
  tcase_add_test (graphs, test_folded_weights_released);
  tcase_add_test (graphs, test_winograd_where_it_pays);
  tcase_add_test (graphs, test_packing_scratch_given_back);
  tcase_add_test (graphs, test_broadcast_and_concat);
  tcase_add_test (graphs, test_shape_errors_name_the_node);
  tcase_add_test (graphs, test_resnet18_memory);
  tcase_add_test (graphs, test_concat_channels_last);
  tcase_add_test (graphs, test_channel_shuffle);
  tcase_add_test (graphs, test_squeeze_excitation_channels_last);
  tcase_add_test (graphs, test_layer_scale_channels_last);
  tcase_add_test (graphs, test_transpose_channels_last);
  suite_add_tcase (suite, graphs);
  TCase *layers = tu_tcase ("layers");
  tcase_add_test (layers, test_activations);
  tcase_add_test (layers, test_activations_more);
  tcase_add_test (layers, test_eltwise_kernels);
  tcase_add_test (layers, test_sub_div_pow);
  tcase_add_test (layers, test_reduce);
  tcase_add_test (layers, test_log_layer_norm_transpose_matmul);
  tcase_add_test (layers, test_softmax_linear_flatten);
  tcase_add_test (layers, test_broadcast_patterns);
  tcase_add_test (layers, test_linear_axis);
  tcase_add_test (layers, test_expand_reshape_expressions);
  tcase_add_test (layers, test_fuse_linear_activation);
  tcase_add_test (layers, test_log_softmax);
  tcase_add_test (layers, test_instance_norm);
  tcase_add_test (layers, test_slice);
  tcase_add_test (layers, test_pad_modes);
  tcase_add_test (layers, test_interpolate_hand);
  tcase_add_test (layers, test_conv_transpose_hand);
  tcase_add_test (layers, test_conv_transpose_paths_agree);
  tcase_add_test (layers, test_lrn_hand);
  tcase_add_test (layers, test_npy_round_trip_and_errors);
  suite_add_tcase (suite, layers);
  return tu_run_suite (suite);
}
