/* test-classic.c: the classic plugin's kernel filters
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Convolution here is cross-correlation, as in CNN frameworks:
 * out(y, x) = Σ k(i, j) · in(y·s + i − p, x·s + j − p), the kernel not flipped.
 * So the response to a single 1 in a zero image is the kernel rotated by
 * 180°, which several tests below use to check kernels and orientation.
 */
#include "test-util.h"

#include <math.h>
#include <string.h>

#define EXACT 1e-5

/* Worked examples: valid convolution (padding=0) */

START_TEST (test_example_a)
{
  const gfloat input[] = {
    1, 1, 1, 0, 0,
    0, 1, 1, 1, 0,
    0, 0, 1, 1, 1,
    0, 0, 1, 1, 0,
    0, 1, 1, 0, 0,
  };
  const gfloat expected[] = {
    4, 3, 4,
    2, 4, 3,
    2, 3, 4,
  };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\"1,0,1;0,1,0;1,0,1\" padding=0", input, 1, 1, 5, 5);
  tu_assert_tensor (out, 1, 1, 3, 3, expected, EXACT);
}
END_TEST

START_TEST (test_example_b)
{
  const gfloat input[] = {
    3, 3, 2, 1, 0,
    0, 0, 1, 3, 1,
    3, 1, 2, 2, 3,
    2, 0, 0, 2, 2,
    2, 0, 0, 0, 1,
  };
  const gfloat expected[] = {
    12, 12, 17,
    10, 17, 19,
    9, 6, 14,
  };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix='0,1,2;2,2,0;0,1,2' padding=0", input, 1, 1, 5, 5);
  tu_assert_tensor (out, 1, 1, 3, 3, expected, EXACT);
}
END_TEST

START_TEST (test_example_c_stride)
{
  const gfloat input[] = {
    1, 2, 3, 0, 1, 2, 3,
    0, 1, 2, 3, 0, 1, 2,
    3, 0, 1, 2, 3, 0, 1,
    2, 3, 0, 1, 2, 3, 0,
    1, 2, 3, 0, 1, 2, 3,
    0, 1, 2, 3, 0, 1, 2,
    3, 0, 1, 2, 3, 0, 1,
  };
  /* (7 − 3) / 2 + 1 = 3 */
  const gfloat expected[] = {
    15, 17, 15,
    17, 15, 17,
    15, 17, 15,
  };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\"2,0,1;0,1,2;1,0,2\" stride=2 padding=0", input, 1, 1, 7, 7);
  tu_assert_tensor (out, 1, 1, 3, 3, expected, EXACT);
}
END_TEST

/* 6×6: 10 in the top three rows, 0 below: a horizontal edge */
static const gfloat edge_6x6[] = {
  10, 10, 10, 10, 10, 10,
  10, 10, 10, 10, 10, 10,
  10, 10, 10, 10, 10, 10,
  0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0,
};
static const gfloat edge_6x6_valid[] = {
  0, 0, 0, 0,
  40, 40, 40, 40,
  40, 40, 40, 40,
  0, 0, 0, 0,
};

START_TEST (test_example_d_kernel)
{
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\"1,2,1;0,0,0;-1,-2,-1\" padding=0", edge_6x6, 1, 1, 6, 6);
  tu_assert_tensor (out, 1, 1, 4, 4, edge_6x6_valid, EXACT);
}
END_TEST

START_TEST (test_example_d_sobel_y)
{
  /* Sobel y is [1 2 1; 0 0 0; -1 -2 -1] (positive where brighter above);
   * with replicate borders the output keeps the 6×6 size and its interior
   * (rows 1..4, columns 1..4) is the valid result. The replicated rows and
   * columns repeat the image's, so the whole map is rows 0 0 40 40 0 0. */
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("sobel direction=y border=replicate", edge_6x6, 1, 1, 6, 6);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (out), 6);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (out), 6);
  for (guint y = 0; y < 4; y++)
    for (guint x = 0; x < 4; x++)
      {
        gfloat got = cnnfilt_tensor_get_value (out, 0, 0, y + 1, x + 1);
        ck_assert_msg (fabsf (got - edge_6x6_valid[y * 4 + x]) <= EXACT,
                       "interior (%u, %u): expected %g, got %g", y + 1, x + 1,
                       edge_6x6_valid[y * 4 + x], got);
      }
  const gfloat full[] = {
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    40, 40, 40, 40, 40, 40,
    40, 40, 40, 40, 40, 40,
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
  };
  tu_assert_tensor (out, 1, 1, 6, 6, full, EXACT);

  /* sobel's default border is replicate */
  g_autoptr (CnnfiltTensor) out2 = tu_run_values ("sobel direction=y", edge_6x6, 1, 1, 6, 6);
  tu_assert_tensor (out2, 1, 1, 6, 6, full, EXACT);
}
END_TEST

/* Output sizes: (i + 2p − k) / s + 1, floored */

static gchar *
ones_matrix (guint k)
{
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < k; i++)
    for (guint j = 0; j < k; j++)
      g_string_append (text, j == 0 ? (i == 0 ? "1" : ";1") : ",1");
  return g_string_free (text, FALSE);
}

static void
assert_infer (guint k, guint stride, gint padding, guint c, guint size, guint expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("kernel", &error);
  ck_assert_msg (op != NULL, "%s", error ? error->message : "");
  g_autofree gchar *matrix = ones_matrix (k);
  g_object_set (op, "matrix", matrix, "stride", stride, "padding", padding, NULL);
  CnnfiltShape in = { 1, c, size, size }, out = { 0, 0, 0, 0 };
  ck_assert_msg (cnnfilt_op_infer (op, &in, 1, &out, &error), "infer %ux%u: %s", k, k,
                 error ? error->message : "");
  ck_assert_msg (out.n == 1 && out.c == c && out.h == expected && out.w == expected,
                 "%u with a %ux%u kernel, stride %u, padding %d: expected %u, got %ux%ux%ux%u",
                 size, k, k, stride, padding, expected, out.n, out.c, out.h, out.w);
}

START_TEST (test_example_e_output_size)
{
  assert_infer (5, 1, 2, 1, 32, 32);   /* (32 + 4 − 5) / 1 + 1 */
  assert_infer (11, 4, 0, 3, 227, 55); /* (227 − 11) / 4 + 1 */
  assert_infer (3, 2, 1, 1, 7, 4);     /* (7 + 2 − 3) / 2 + 1 */
  assert_infer (3, 2, 0, 1, 8, 3);     /* (8 − 3) / 2 + 1 = 3.5, floored */
  assert_infer (5, 1, -1, 1, 32, 32);  /* "same" */
  assert_infer (3, 1, 0, 1, 3, 1);

  /* the same through a graph */
  g_autofree gchar *matrix = ones_matrix (11);
  g_autofree gchar *pipeline = g_strdup_printf ("kernel matrix=\"%s\" stride=4 padding=0", matrix);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");
  CnnfiltShape in = { 1, 3, 227, 227 }, out;
  ck_assert_msg (cnnfilt_graph_prepare (graph, &in, 1, &error), "%s",
                 error ? error->message : "");
  ck_assert (cnnfilt_graph_get_output_shape (graph, 0, &out));
  ck_assert_uint_eq (out.n, 1);
  ck_assert_uint_eq (out.c, 3);
  ck_assert_uint_eq (out.h, 55);
  ck_assert_uint_eq (out.w, 55);
}
END_TEST

START_TEST (test_output_size_run)
{
  /* 8×8 of ones, 3×3 ones kernel, stride 2, no padding: 3×3 of 9 */
  gfloat input[64];
  for (guint i = 0; i < 64; i++)
    input[i] = 1;
  const gfloat nines[] = { 9, 9, 9, 9, 9, 9, 9, 9, 9 };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=1,1,1;1,1,1;1,1,1 stride=2 padding=0", input, 1, 1, 8, 8);
  tu_assert_tensor (out, 1, 1, 3, 3, nines, EXACT);

  /* padding 1 with zeros: 4×4, the corners see 4 ones, the edges 6 */
  const gfloat padded[] = {
    4, 6, 6, 6,
    6, 9, 9, 9,
    6, 9, 9, 9,
    6, 9, 9, 9,
  };
  g_autoptr (CnnfiltTensor) out2 =
      tu_run_values ("kernel matrix=1,1,1;1,1,1;1,1,1 stride=2 padding=1", input, 1, 1, 8, 8);
  tu_assert_tensor (out2, 1, 1, 4, 4, padded, EXACT);
}
END_TEST

START_TEST (test_kernel_too_large)
{
  const gfloat input[9] = { 0 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (input, 1, 1, 3, 3);
  g_autoptr (GError) error =
      tu_run_error ("kernel matrix=1,1,1,1;1,1,1,1;1,1,1,1;1,1,1,1 padding=0", t);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "4x4", "3x3");
}
END_TEST

START_TEST (test_kernel_scale_offset)
{
  const gfloat input[] = { 1, 2, 3, 4 };
  /* (1 + 2 + 3 + 4) · 0.25 + 0.5 */
  const gfloat expected[] = { 3.0f };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\"1,1;1,1\" scale=0.25 offset=0.5 padding=0", input, 1, 1, 2, 2);
  tu_assert_tensor (out, 1, 1, 1, 1, expected, EXACT);
}
END_TEST

/* Borders, on one row [1 2 3 4 5] shifted by two with a 1×5 kernel:
 * zero       0 0 | 1 2 3 4 5 | 0 0
 * replicate  1 1 | 1 2 3 4 5 | 5 5
 * reflect    3 2 | 1 2 3 4 5 | 4 3   (numpy 'reflect': the edge is not repeated) */
START_TEST (test_border_modes_kernel)
{
  const gfloat row[] = { 1, 2, 3, 4, 5 };
  static const struct {
    const gchar *pipeline;
    gfloat expected[5];
  } cases[] = {
    /* out(x) = in(x − 2) */
    { "kernel matrix=1,0,0,0,0 border=zero", { 0, 0, 1, 2, 3 } },
    { "kernel matrix=1,0,0,0,0 border=replicate", { 1, 1, 1, 2, 3 } },
    { "kernel matrix=1,0,0,0,0 border=reflect", { 3, 2, 1, 2, 3 } },
    /* out(x) = in(x + 2) */
    { "kernel matrix=0,0,0,0,1 border=zero", { 3, 4, 5, 0, 0 } },
    { "kernel matrix=0,0,0,0,1 border=replicate", { 3, 4, 5, 5, 5 } },
    { "kernel matrix=0,0,0,0,1 border=reflect", { 3, 4, 5, 4, 3 } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (CnnfiltTensor) out = tu_run_values (cases[i].pipeline, row, 1, 1, 1, 5);
      for (guint x = 0; x < 5; x++)
        ck_assert_msg (fabsf (cnnfilt_tensor_get_value (out, 0, 0, 0, x) - cases[i].expected[x]) <= EXACT,
                       "%s: x %u: expected %g, got %g", cases[i].pipeline, x, cases[i].expected[x],
                       cnnfilt_tensor_get_value (out, 0, 0, 0, x));
    }

  /* and vertically: a 5×1 kernel on a 5×1 column, out(y) = in(y − 2) */
  const gfloat expected_reflect[] = { 3, 2, 1, 2, 3 };
  g_autoptr (CnnfiltTensor) column =
      tu_run_values ("kernel matrix=1;0;0;0;0 border=reflect", row, 1, 1, 5, 1);
  tu_assert_tensor (column, 1, 1, 5, 1, expected_reflect, EXACT);

  /* reflect further than the image is long: period 2·(n − 1) */
  const gfloat two[] = { 1, 2 };
  /* padded: 1 2 | 1 2 | 1 2, so in(x − 2) is 1 2 */
  const gfloat expected_far[] = { 1, 2 };
  g_autoptr (CnnfiltTensor) far = tu_run_values ("kernel matrix=1,0,0,0,0 border=reflect", two, 1, 1, 1, 2);
  tu_assert_tensor (far, 1, 1, 1, 2, expected_far, EXACT);
}
END_TEST

/* Sobel on a small image, by hand, with each border mode.
 *
 *   I = 1 2 4 8        Gx = [-1 0 1; -2 0 2; -1 0 1]
 *       0 1 3 6        Gy = [ 1 2 1;  0 0 0; -1 -2 -1]
 *       2 2 0 1
 *
 * The padded images (one pixel each side):
 *   zero:        replicate:       reflect:
 *   0 0 0 0 0 0  1 1 2 4 8 8      1 0 1 3 6 3
 *   0 1 2 4 8 0  1 1 2 4 8 8      2 1 2 4 8 4
 *   0 0 1 3 6 0  0 0 1 3 6 6      1 0 1 3 6 3
 *   0 2 2 0 1 0  2 2 2 0 1 1      2 2 2 0 1 0
 *   0 0 0 0 0 0  2 2 2 0 1 1      1 0 1 3 6 3
 *
 * Top-left pixel, Gx = Σ rows w·(right − left) with w = 1 2 1:
 *   zero:      1·(0−0) + 2·(2−0) + 1·(1−0) = 5
 *   replicate: 1·(2−1) + 2·(2−1) + 1·(1−0) = 4
 *   reflect:   1·(1−1) + 2·(2−2) + 1·(1−1) = 0
 * and Gy = Σ columns w·(above − below):
 *   zero:      1·(0−0) + 2·(0−0) + 1·(0−1) = −1
 *   replicate: 1·(1−0) + 2·(1−0) + 1·(2−1) = 4
 *   reflect:   1·(1−1) + 2·(0−0) + 1·(1−1) = 0
 */
static const gfloat sobel_image[] = {
  1, 2, 4, 8,
  0, 1, 3, 6,
  2, 2, 0, 1,
};

START_TEST (test_sobel_borders)
{
  static const struct {
    const gchar *border;
    gfloat x[12];
    gfloat y[12];
  } cases[] = {
    { "zero",
      { 5, 9, 17, -11,  6, 7, 15, -10,  5, -1, 3, -3 },
      { -1, -5, -13, -15,  -2, 3, 15, 18,  1, 5, 13, 15 } },
    { "replicate",
      { 4, 12, 23, 15,  3, 7, 15, 11,  1, -3, 2, 6 },
      { 4, 4, 5, 7,  -3, 3, 15, 25,  -7, -1, 10, 18 } },
    { "reflect",
      { 0, 12, 22, 0,  0, 7, 15, 0,  0, 2, 8, 0 },
      { 0, 0, 0, 0,  -2, 3, 15, 22,  0, 0, 0, 0 } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *px = g_strdup_printf ("sobel direction=x border=%s", cases[i].border);
      g_autofree gchar *py = g_strdup_printf ("sobel direction=y border=%s", cases[i].border);
      g_autofree gchar *pm = g_strdup_printf ("sobel direction=magnitude border=%s", cases[i].border);
      g_autoptr (CnnfiltTensor) gx = tu_run_values (px, sobel_image, 1, 1, 3, 4);
      g_autoptr (CnnfiltTensor) gy = tu_run_values (py, sobel_image, 1, 1, 3, 4);
      g_autoptr (CnnfiltTensor) gm = tu_run_values (pm, sobel_image, 1, 1, 3, 4);
      tu_assert_tensor (gx, 1, 1, 3, 4, cases[i].x, EXACT);
      tu_assert_tensor (gy, 1, 1, 3, 4, cases[i].y, EXACT);
      gfloat magnitude[12];
      for (guint j = 0; j < 12; j++)
        magnitude[j] = sqrtf (cases[i].x[j] * cases[i].x[j] + cases[i].y[j] * cases[i].y[j]);
      tu_assert_tensor (gm, 1, 1, 3, 4, magnitude, EXACT);
    }

  /* the defaults are magnitude and replicate */
  g_autoptr (CnnfiltTensor) plain = tu_run_values ("sobel", sobel_image, 1, 1, 3, 4);
  g_autoptr (CnnfiltTensor) explicit =
      tu_run_values ("sobel direction=magnitude border=replicate", sobel_image, 1, 1, 3, 4);
  tu_assert_tensors_equal (explicit, plain, 0);
}
END_TEST

/* A single 1 in the middle of a 5×5 zero image, zero border */
static const gfloat impulse_5x5[] = {
  0, 0, 0, 0, 0,
  0, 0, 0, 0, 0,
  0, 0, 1, 0, 0,
  0, 0, 0, 0, 0,
  0, 0, 0, 0, 0,
};

/* The response to impulse_5x5: the 3×3 kernel rotated by 180°, centred. */
static void
assert_impulse_response (const gchar *pipeline, const gfloat kernel[9])
{
  gfloat expected[25] = { 0 };
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      expected[(3 - i) * 5 + (3 - j)] = kernel[i * 3 + j];
  g_autoptr (CnnfiltTensor) out = tu_run_values (pipeline, impulse_5x5, 1, 1, 5, 5);
  gsize size = 0;
  const gfloat *got = cnnfilt_tensor_get_data (out, &size);
  ck_assert_uint_eq (size, 25);
  for (guint k = 0; k < 25; k++)
    ck_assert_msg (fabsf (got[k] - expected[k]) <= EXACT, "%s: (%u, %u): expected %g, got %g",
                   pipeline, k / 5, k % 5, expected[k], got[k]);
}

START_TEST (test_gradient_kernels)
{
  const gfloat sobel_x[9] = { -1, 0, 1, -2, 0, 2, -1, 0, 1 };
  const gfloat sobel_y[9] = { 1, 2, 1, 0, 0, 0, -1, -2, -1 };
  const gfloat scharr_x[9] = { -3, 0, 3, -10, 0, 10, -3, 0, 3 };
  const gfloat scharr_y[9] = { 3, 10, 3, 0, 0, 0, -3, -10, -3 };
  const gfloat prewitt_x[9] = { -1, 0, 1, -1, 0, 1, -1, 0, 1 };
  const gfloat prewitt_y[9] = { 1, 1, 1, 0, 0, 0, -1, -1, -1 };
  assert_impulse_response ("sobel direction=x border=zero", sobel_x);
  assert_impulse_response ("sobel direction=y border=zero", sobel_y);
  assert_impulse_response ("scharr direction=x border=zero", scharr_x);
  assert_impulse_response ("scharr direction=y border=zero", scharr_y);
  assert_impulse_response ("prewitt direction=x border=zero", prewitt_x);
  assert_impulse_response ("prewitt direction=y border=zero", prewitt_y);

  /* magnitude: sqrt(x² + y²) tap by tap */
  gfloat scharr_m[9];
  for (guint i = 0; i < 9; i++)
    scharr_m[i] = sqrtf (scharr_x[i] * scharr_x[i] + scharr_y[i] * scharr_y[i]);
  assert_impulse_response ("scharr border=zero", scharr_m);
}
END_TEST

START_TEST (test_gradient_orientation)
{
  /* A ramp brighter to the right, I(y, x) = x: Gx is positive, Σ smooth · 2
   * (sobel 4·2, scharr 16·2, prewitt 3·2); Gy is 0. Brighter above,
   * I(y, x) = −y: Gy positive. */
  gfloat right[20], up[20];
  for (guint y = 0; y < 4; y++)
    for (guint x = 0; x < 5; x++)
      {
        right[y * 5 + x] = x;
        up[y * 5 + x] = -(gfloat) y;
      }
  static const struct {
    const gchar *op;
    gfloat slope;
  } cases[] = { { "sobel", 8 }, { "scharr", 32 }, { "prewitt", 6 } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *px = g_strdup_printf ("%s direction=x", cases[i].op);
      g_autofree gchar *py = g_strdup_printf ("%s direction=y", cases[i].op);
      g_autoptr (CnnfiltTensor) gx = tu_run_values (px, right, 1, 1, 4, 5);
      g_autoptr (CnnfiltTensor) gy_flat = tu_run_values (py, right, 1, 1, 4, 5);
      g_autoptr (CnnfiltTensor) gy = tu_run_values (py, up, 1, 1, 4, 5);
      g_autoptr (CnnfiltTensor) gx_flat = tu_run_values (px, up, 1, 1, 4, 5);
      for (guint y = 1; y < 3; y++)
        for (guint x = 1; x < 4; x++)
          {
            tu_assert_near (cases[i].slope, cnnfilt_tensor_get_value (gx, 0, 0, y, x), EXACT);
            tu_assert_near (cases[i].slope, cnnfilt_tensor_get_value (gy, 0, 0, y, x), EXACT);
            tu_assert_near (0, cnnfilt_tensor_get_value (gx_flat, 0, 0, y, x), EXACT);
            tu_assert_near (0, cnnfilt_tensor_get_value (gy_flat, 0, 0, y, x), EXACT);
          }
    }
}
END_TEST

START_TEST (test_laplacian)
{
  const gfloat four[9] = { 0, 1, 0, 1, -4, 1, 0, 1, 0 };
  const gfloat eight[9] = { 1, 1, 1, 1, -8, 1, 1, 1, 1 };
  assert_impulse_response ("laplacian border=zero", four);
  assert_impulse_response ("laplacian neighbours=4 border=zero", four);
  assert_impulse_response ("laplacian neighbours=8 border=zero", eight);

  /* A constant image: 0 everywhere with the default replicate border; with
   * a zero border the frame responds, −(missing neighbours):
   * 4-neighbour corner −2, edge −1; 8-neighbour corner −5, edge −3. */
  const gfloat ones[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  const gfloat zeros[12] = { 0 };
  g_autoptr (CnnfiltTensor) flat4 = tu_run_values ("laplacian", ones, 1, 1, 3, 4);
  g_autoptr (CnnfiltTensor) flat8 = tu_run_values ("laplacian neighbours=8", ones, 1, 1, 3, 4);
  tu_assert_tensor (flat4, 1, 1, 3, 4, zeros, EXACT);
  tu_assert_tensor (flat8, 1, 1, 3, 4, zeros, EXACT);
  const gfloat frame4[12] = { -2, -1, -1, -2,  -1, 0, 0, -1,  -2, -1, -1, -2 };
  const gfloat frame8[12] = { -5, -3, -3, -5,  -3, 0, 0, -3,  -5, -3, -3, -5 };
  g_autoptr (CnnfiltTensor) zero4 = tu_run_values ("laplacian border=zero", ones, 1, 1, 3, 4);
  g_autoptr (CnnfiltTensor) zero8 =
      tu_run_values ("laplacian neighbours=8 border=zero", ones, 1, 1, 3, 4);
  tu_assert_tensor (zero4, 1, 1, 3, 4, frame4, EXACT);
  tu_assert_tensor (zero8, 1, 1, 3, 4, frame8, EXACT);

  /* only 4 and 8 */
  g_autoptr (GError) error = tu_run_error ("laplacian neighbours=6", NULL);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "neighbours");
}
END_TEST

START_TEST (test_emboss)
{
  /* not symmetric, so this also shows the kernel is not flipped */
  const gfloat emboss[9] = { -2, -1, 0, -1, 1, 1, 0, 1, 2 };
  assert_impulse_response ("emboss border=zero", emboss);

  /* the taps sum to 1: a constant image stays as it is (replicate border) */
  const gfloat grey[6] = { 0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("emboss", grey, 1, 1, 2, 3);
  tu_assert_tensor (out, 1, 1, 2, 3, grey, EXACT);
}
END_TEST

static void
fill_random (gfloat *values, gsize n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < n; i++)
    values[i] = (gfloat) g_rand_double (rand);
}

START_TEST (test_sharpen)
{
  const gfloat classic[9] = { 0, -1, 0, -1, 5, -1, 0, -1, 0 };
  assert_impulse_response ("sharpen amount=1 border=zero", classic);
  assert_impulse_response ("sharpen border=zero", classic); /* 1 is the default */
  const gfloat half[9] = { 0, -0.5f, 0, -0.5f, 3, -0.5f, 0, -0.5f, 0 };
  assert_impulse_response ("sharpen amount=0.5 border=zero", half);

  /* amount=1 equals the explicit kernel, replicate border, on any image */
  gfloat image[6 * 7];
  fill_random (image, G_N_ELEMENTS (image), 7);
  g_autoptr (CnnfiltTensor) a = tu_run_values ("sharpen amount=1", image, 1, 1, 6, 7);
  g_autoptr (CnnfiltTensor) b =
      tu_run_values ("kernel matrix=\"0,-1,0;-1,5,-1;0,-1,0\" border=replicate", image, 1, 1, 6, 7);
  tu_assert_tensors_equal (b, a, EXACT);

  /* amount=0 is the identity */
  g_autoptr (CnnfiltTensor) same = tu_run_values ("sharpen amount=0", image, 1, 1, 6, 7);
  tu_assert_tensor (same, 1, 1, 6, 7, image, EXACT);
}
END_TEST

START_TEST (test_gaussian_constant)
{
  /* The weights sum to 1: a constant image stays constant with the
   * (default) replicate border, whatever sigma. */
  gfloat grey[9 * 11];
  for (guint i = 0; i < G_N_ELEMENTS (grey); i++)
    grey[i] = 0.7f;
  const gchar *pipelines[] = { "gaussian-blur", "gaussian-blur sigma=0.5",
                               "gaussian-blur sigma=2.5", "gaussian-blur sigma=4 border=reflect" };
  for (guint i = 0; i < G_N_ELEMENTS (pipelines); i++)
    {
      g_autoptr (CnnfiltTensor) out = tu_run_values (pipelines[i], grey, 1, 1, 9, 11);
      tu_assert_tensor (out, 1, 1, 9, 11, grey, EXACT);
    }

  /* and an impulse spreads to a total of 1 when the kernel fits */
  gfloat impulse[15 * 15] = { 0 };
  impulse[7 * 15 + 7] = 1;
  g_autoptr (CnnfiltTensor) spread =
      tu_run_values ("gaussian-blur sigma=1 border=zero", impulse, 1, 1, 15, 15);
  gsize n = 0;
  const gfloat *values = cnnfilt_tensor_get_data (spread, &n);
  gdouble sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += values[i];
  tu_assert_near (1.0, sum, EXACT);
  /* radius ceil(3σ) = 3: nothing further than 3 pixels from the centre */
  for (guint y = 0; y < 15; y++)
    for (guint x = 0; x < 15; x++)
      if (ABS ((gint) y - 7) > 3 || ABS ((gint) x - 7) > 3)
        ck_assert_msg (values[y * 15 + x] == 0.0f, "(%u, %u) is %g", y, x, values[y * 15 + x]);
}
END_TEST

START_TEST (test_gaussian_direct)
{
  /* sigma=1 against a direct 2-D Gaussian: weights exp(−(i² + j²) / 2) for
   * |i|, |j| ≤ 3, divided by their sum, and replicate borders (clamped
   * coordinates). */
  const guint h = 9, w = 11;
  gfloat image[9 * 11], expected[9 * 11];
  fill_random (image, G_N_ELEMENTS (image), 11);
  gdouble weights[7][7], total = 0;
  for (gint i = -3; i <= 3; i++)
    for (gint j = -3; j <= 3; j++)
      total += weights[i + 3][j + 3] = exp (-(i * i + j * j) / 2.0);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        gdouble sum = 0;
        for (gint i = -3; i <= 3; i++)
          for (gint j = -3; j <= 3; j++)
            {
              gint sy = CLAMP ((gint) y + i, 0, (gint) h - 1);
              gint sx = CLAMP ((gint) x + j, 0, (gint) w - 1);
              sum += weights[i + 3][j + 3] * image[sy * w + sx];
            }
        expected[y * w + x] = (gfloat) (sum / total);
      }
  g_autoptr (CnnfiltTensor) out = tu_run_values ("gaussian-blur sigma=1", image, 1, 1, 9, 11);
  tu_assert_tensor (out, 1, 1, 9, 11, expected, EXACT);
}
END_TEST

START_TEST (test_box_blur)
{
  /* radius=1: the 3×3 mean, replicate borders */
  const guint h = 5, w = 6;
  gfloat image[5 * 6], expected[5 * 6];
  fill_random (image, G_N_ELEMENTS (image), 3);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        gdouble sum = 0;
        for (gint i = -1; i <= 1; i++)
          for (gint j = -1; j <= 1; j++)
            sum += image[CLAMP ((gint) y + i, 0, (gint) h - 1) * w +
                         CLAMP ((gint) x + j, 0, (gint) w - 1)];
        expected[y * w + x] = (gfloat) (sum / 9);
      }
  g_autoptr (CnnfiltTensor) out = tu_run_values ("box-blur radius=1", image, 1, 1, 5, 6);
  tu_assert_tensor (out, 1, 1, 5, 6, expected, EXACT);
  g_autoptr (CnnfiltTensor) plain = tu_run_values ("box-blur", image, 1, 1, 5, 6);
  tu_assert_tensor (plain, 1, 1, 5, 6, expected, EXACT);

  /* the same as the kernel op with a 3×3 of 1/9 */
  g_autoptr (CnnfiltTensor) kernel = tu_run_values (
      "kernel matrix=\"1,1,1;1,1,1;1,1,1\" scale=0.111111111 border=replicate", image, 1, 1, 5, 6);
  tu_assert_tensors_equal (kernel, out, EXACT);

  /* zero border: the top-left corner averages its 2×2 block over 9 */
  g_autoptr (CnnfiltTensor) zero = tu_run_values ("box-blur border=zero", image, 1, 1, 5, 6);
  tu_assert_near ((image[0] + image[1] + image[6] + image[7]) / 9.0,
                  cnnfilt_tensor_get_value (zero, 0, 0, 0, 0), EXACT);

  /* radius=2 on a 5×5 of 0..24: the centre is the mean of everything, 12 */
  gfloat ramp[25];
  for (guint i = 0; i < 25; i++)
    ramp[i] = i;
  g_autoptr (CnnfiltTensor) wide = tu_run_values ("box-blur radius=2", ramp, 1, 1, 5, 5);
  tu_assert_near (12.0, cnnfilt_tensor_get_value (wide, 0, 0, 2, 2), EXACT);
}
END_TEST

/* Channels and images are filtered independently: each plane of the
 * output equals the op run on that plane alone. */
static void
assert_planewise (const gchar *pipeline, guint n, guint c, guint h, guint w, guint32 seed)
{
  gsize plane = (gsize) h * w;
  g_autofree gfloat *values = g_new (gfloat, n * c * plane);
  fill_random (values, n * c * plane, seed);
  g_autoptr (CnnfiltTensor) input = tu_tensor_at (__FILE__, __LINE__, values, n * c * plane,
                                                 n, c, h, w);
  g_autoptr (CnnfiltTensor) all = tu_run_at (__FILE__, __LINE__, pipeline, input);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (all, &shape);
  ck_assert_uint_eq (shape.n, n);
  ck_assert_uint_eq (shape.c, c);
  for (guint i = 0; i < n; i++)
    for (guint k = 0; k < c; k++)
      {
        g_autoptr (CnnfiltTensor) one = tu_run_values_at (__FILE__, __LINE__, pipeline,
                                                          values + (i * c + k) * plane, plane,
                                                          1, 1, h, w);
        ck_assert_uint_eq (cnnfilt_tensor_get_h (one), shape.h);
        ck_assert_uint_eq (cnnfilt_tensor_get_w (one), shape.w);
        const gfloat *expected = cnnfilt_tensor_get_data (one, NULL);
        const gfloat *got = cnnfilt_tensor_get_plane (all, i, k);
        for (gsize j = 0; j < (gsize) shape.h * shape.w; j++)
          ck_assert_msg (fabsf (got[j] - expected[j]) <= EXACT,
                         "%s: image %u channel %u index %" G_GSIZE_FORMAT ": expected %g, got %g",
                         pipeline, i, k, j, expected[j], got[j]);
      }
}

START_TEST (test_channels_and_batch)
{
  const gchar *pipelines[] = {
    "sobel direction=x", "sobel", "scharr direction=y border=reflect", "laplacian neighbours=8",
    "emboss border=zero", "sharpen amount=2", "gaussian-blur sigma=1.5", "box-blur radius=2",
    "kernel matrix=\"1,0,1;0,1,0;1,0,1\" padding=0",
    "kernel matrix=\"2,0,1;0,1,2;1,0,2\" stride=2 padding=1 border=reflect",
  };
  for (guint i = 0; i < G_N_ELEMENTS (pipelines); i++)
    {
      assert_planewise (pipelines[i], 1, 3, 7, 6, 100 + i); /* 3 channels */
      assert_planewise (pipelines[i], 2, 1, 6, 5, 200 + i); /* a batch of 2 */
      assert_planewise (pipelines[i], 2, 3, 5, 8, 300 + i); /* both */
    }
}
END_TEST

START_TEST (test_batch_worked_values)
{
  /* examples (a) and (b)'s inputs as a batch of two, both with kernel (a):
   * image 0 gives (a)'s answer, image 1 its own (by hand below). */
  const gfloat input[] = {
    1, 1, 1, 0, 0,  0, 1, 1, 1, 0,  0, 0, 1, 1, 1,  0, 0, 1, 1, 0,  0, 1, 1, 0, 0,
    3, 3, 2, 1, 0,  0, 0, 1, 3, 1,  3, 1, 2, 2, 3,  2, 0, 0, 2, 2,  2, 0, 0, 0, 1,
  };
  /* image 1: out(y, x) = in(y,x) + in(y,x+2) + in(y+1,x+1) + in(y+2,x) + in(y+2,x+2)
   *   row 0: 3+2+0+3+2=10, 3+1+1+1+2=8, 2+0+3+2+3=10
   *   row 1: 0+1+1+2+0=4,  0+3+2+0+2=7, 1+1+2+0+2=6
   *   row 2: 3+2+0+2+0=7,  1+2+0+0+0=3, 2+3+2+0+1=8 */
  const gfloat expected[] = {
    4, 3, 4,  2, 4, 3,  2, 3, 4,
    10, 8, 10,  4, 7, 6,  7, 3, 8,
  };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\"1,0,1;0,1,0;1,0,1\" padding=0", input, 2, 1, 5, 5);
  tu_assert_tensor (out, 2, 1, 3, 3, expected, EXACT);
}
END_TEST

START_TEST (test_matrix_errors)
{
  static const struct {
    const gchar *matrix;
    const gchar *part;
  } cases[] = {
    { "1,2;3", "row 2" },          /* ragged */
    { "1,2,3;4,5", "row 2" },
    { "1,x;3,4", "'x'" },          /* not a number */
    { "1,2;3,4e", "'4e'" },
    { "1,nan;1,1", "nan" },
    { "", "empty" },
    { "   ", "empty" },
    { "1,2;;3,4", "row 2" },       /* an empty row */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* through the parser, which validates each op */
      g_autofree gchar *pipeline = g_strdup_printf ("kernel matrix=\"%s\"", cases[i].matrix);
      g_autoptr (GError) error = tu_run_error (pipeline, NULL);
      tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "matrix", cases[i].part);

      /* and through the op API */
      g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("kernel", NULL);
      ck_assert_ptr_nonnull (op);
      g_object_set (op, "matrix", cases[i].matrix, NULL);
      g_autoptr (GError) error2 = NULL;
      ck_assert_msg (!cnnfilt_op_validate (op, &error2), "matrix '%s' validates", cases[i].matrix);
      tu_assert_error (error2, CNNFILT_ERROR_INVALID_ARGUMENT, "matrix", cases[i].part);
      /* infer refuses it too, rather than running with a broken kernel */
      CnnfiltShape in = { 1, 1, 8, 8 }, out;
      g_autoptr (GError) error3 = NULL;
      ck_assert (!cnnfilt_op_infer (op, &in, 1, &out, &error3));
      tu_assert_error (error3, CNNFILT_ERROR_INVALID_ARGUMENT, "matrix");
    }

  /* a trailing ';' and spaces are fine */
  const gfloat input[] = { 1, 2, 3, 4 };
  const gfloat expected[] = { 10 };
  g_autoptr (CnnfiltTensor) out =
      tu_run_values ("kernel matrix=\" 1 1 ; 1, 1 ;\" padding=0", input, 1, 1, 2, 2);
  tu_assert_tensor (out, 1, 1, 1, 1, expected, EXACT);
}
END_TEST

START_TEST (test_op_api_direct)
{
  /* cnnfilt_op_process without a graph, properties set from strings */
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("kernel", &error);
  ck_assert_ptr_nonnull (op);
  ck_assert_str_eq (cnnfilt_op_get_name (op), "kernel");
  ck_assert_uint_eq (cnnfilt_op_get_n_inputs (op), 1);
  ck_assert (cnnfilt_op_set_property_from_string (op, "matrix", "1,0,1;0,1,0;1,0,1", &error));
  ck_assert (cnnfilt_op_set_property_from_string (op, "padding", "0", &error));
  g_autofree gchar *padding = cnnfilt_op_get_property_as_string (op, "padding");
  ck_assert_str_eq (padding, "0");
  g_autofree gchar *border = cnnfilt_op_get_property_as_string (op, "border");
  ck_assert_str_eq (border, "zero");
  ck_assert_ptr_null (cnnfilt_op_get_property_as_string (op, "no-such-property"));

  const gfloat input[] = {
    1, 1, 1, 0, 0,  0, 1, 1, 1, 0,  0, 0, 1, 1, 1,  0, 0, 1, 1, 0,  0, 1, 1, 0, 0,
  };
  const gfloat expected[] = { 4, 3, 4, 2, 4, 3, 2, 3, 4 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (input, 1, 1, 5, 5);
  g_autoptr (CnnfiltTensor) out = cnnfilt_op_process (op, t, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  tu_assert_tensor (out, 1, 1, 3, 3, expected, EXACT);

  /* the wrong number of inputs */
  CnnfiltShape shapes[2] = { { 1, 1, 5, 5 }, { 1, 1, 5, 5 } }, o;
  ck_assert (!cnnfilt_op_infer (op, shapes, 2, &o, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "kernel", "1 input", "2 given");
}
END_TEST

static Suite *
classic_suite (void)
{
  Suite *suite = suite_create ("classic");
  TCase *examples = tu_tcase ("examples");
  tcase_add_test (examples, test_example_a);
  tcase_add_test (examples, test_example_b);
  tcase_add_test (examples, test_example_c_stride);
  tcase_add_test (examples, test_example_d_kernel);
  tcase_add_test (examples, test_example_d_sobel_y);
  tcase_add_test (examples, test_example_e_output_size);
  tcase_add_test (examples, test_output_size_run);
  tcase_add_test (examples, test_kernel_too_large);
  tcase_add_test (examples, test_kernel_scale_offset);
  suite_add_tcase (suite, examples);

  TCase *filters = tu_tcase ("filters");
  tcase_add_test (filters, test_border_modes_kernel);
  tcase_add_test (filters, test_sobel_borders);
  tcase_add_test (filters, test_gradient_kernels);
  tcase_add_test (filters, test_gradient_orientation);
  tcase_add_test (filters, test_laplacian);
  tcase_add_test (filters, test_emboss);
  tcase_add_test (filters, test_sharpen);
  tcase_add_test (filters, test_gaussian_constant);
  tcase_add_test (filters, test_gaussian_direct);
  tcase_add_test (filters, test_box_blur);
  tcase_add_test (filters, test_channels_and_batch);
  tcase_add_test (filters, test_batch_worked_values);
  tcase_add_test (filters, test_matrix_errors);
  tcase_add_test (filters, test_op_api_direct);
  suite_add_tcase (suite, filters);
  return suite;
}

int
main (void)
{
  return tu_run_suite (classic_suite ());
}
