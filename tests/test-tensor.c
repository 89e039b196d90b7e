/* test-tensor.c: CnnfiltTensor and CnnfiltShape
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <string.h>

START_TEST (test_new_is_zeros)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (2, 3, 4, 5, &error);
  ck_assert_ptr_nonnull (t);
  ck_assert_ptr_null (error);
  ck_assert_uint_eq (cnnfilt_tensor_get_n (t), 2);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (t), 3);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 4);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (t), 5);
  ck_assert_uint_eq (cnnfilt_tensor_get_size (t), 120);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (t, &shape);
  ck_assert_uint_eq (shape.n, 2);
  ck_assert_uint_eq (shape.c, 3);
  ck_assert_uint_eq (shape.h, 4);
  ck_assert_uint_eq (shape.w, 5);

  gsize n = 0;
  const gfloat *data = cnnfilt_tensor_get_data (t, &n);
  ck_assert_uint_eq (n, 120);
  ck_assert_msg (((guintptr) data % 64) == 0, "host buffer %p is not 64-byte aligned", data);
  for (gsize i = 0; i < n; i++)
    ck_assert_msg (data[i] == 0.0f, "value %" G_GSIZE_FORMAT " is %g, not 0", i, data[i]);
}
END_TEST

START_TEST (test_new_from_data)
{
  gfloat values[] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new_from_data (values, 6, 1, 2, 1, 3, &error);
  ck_assert_ptr_nonnull (t);
  /* the tensor holds a copy */
  values[0] = 100;
  const gfloat expected[] = { 1, 2, 3, 4, 5, 6 };
  tu_assert_tensor (t, 1, 2, 1, 3, expected, 0);
  /* NCHW order: channel 1, row 0, column 2 is the last value */
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 1, 0, 2), 6.0f);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 1, 0, 0), 4.0f);
}
END_TEST

START_TEST (test_new_from_data_size_mismatch)
{
  const gfloat values[] = { 1, 2, 3, 4, 5 };
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new_from_data (values, 5, 1, 1, 2, 3, &error);
  ck_assert_ptr_null (t);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "5 values", "1x1x2x3", "6");

  g_clear_error (&error);
  g_autoptr (CnnfiltTensor) t2 = cnnfilt_tensor_new_from_data (values, 5, 1, 1, 1, 4, &error);
  ck_assert_ptr_null (t2);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "1x1x1x4");
}
END_TEST

START_TEST (test_new_from_bytes)
{
  const gfloat values[] = { 0.5f, -1.25f, 3e-8f, 1e20f };
  g_autoptr (GBytes) bytes = g_bytes_new (values, sizeof values);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new_from_bytes (bytes, 1, 1, 2, 2, &error);
  ck_assert_ptr_nonnull (t);
  tu_assert_tensor (t, 1, 1, 2, 2, values, 0);

  /* and back: get_bytes gives the same bytes */
  g_autoptr (GBytes) out = cnnfilt_tensor_get_bytes (t);
  ck_assert_msg (g_bytes_equal (bytes, out), "get_bytes differs from the bytes given");

  /* get_values is a copy */
  gsize n = 0;
  g_autofree gfloat *copy = cnnfilt_tensor_get_values (t, &n);
  ck_assert_uint_eq (n, 4);
  ck_assert_int_eq (memcmp (copy, values, sizeof values), 0);
  copy[0] = 42;
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 0, 0, 0), 0.5f);
}
END_TEST

START_TEST (test_new_from_bytes_errors)
{
  const gfloat values[] = { 1, 2, 3, 4 };
  g_autoptr (GError) error = NULL;

  /* not a whole number of floats */
  g_autoptr (GBytes) odd = g_bytes_new (values, 7);
  g_autoptr (CnnfiltTensor) t1 = cnnfilt_tensor_new_from_bytes (odd, 1, 1, 1, 2, &error);
  ck_assert_ptr_null (t1);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "7 bytes");
  g_clear_error (&error);

  /* four floats for a shape of six */
  g_autoptr (GBytes) four = g_bytes_new (values, sizeof values);
  g_autoptr (CnnfiltTensor) t2 = cnnfilt_tensor_new_from_bytes (four, 1, 1, 2, 3, &error);
  ck_assert_ptr_null (t2);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "16 bytes", "1x1x2x3", "24");
  g_clear_error (&error);

  /* no bytes and an empty shape */
  g_autoptr (GBytes) none = g_bytes_new (NULL, 0);
  g_autoptr (CnnfiltTensor) t3 = cnnfilt_tensor_new_from_bytes (none, 0, 1, 1, 1, &error);
  ck_assert_ptr_null (t3);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "0x1x1x1");
}
END_TEST

START_TEST (test_set_shape_reuse_and_grow)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (1, 1, 4, 4, &error);
  ck_assert_ptr_nonnull (t);
  const gfloat *first = cnnfilt_tensor_get_data (t, NULL);

  /* smaller: same buffer */
  CnnfiltShape small = { 1, 1, 2, 2 };
  ck_assert (cnnfilt_tensor_set_shape (t, &small, &error));
  ck_assert_ptr_eq (cnnfilt_tensor_get_data (t, NULL), first);
  ck_assert_uint_eq (cnnfilt_tensor_get_size (t), 4);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 2);

  /* back to the original size: still the same buffer */
  CnnfiltShape same = { 2, 2, 2, 2 };
  ck_assert (cnnfilt_tensor_set_shape (t, &same, &error));
  ck_assert_ptr_eq (cnnfilt_tensor_get_data (t, NULL), first);
  ck_assert_uint_eq (cnnfilt_tensor_get_size (t), 16);

  /* larger: grows, every value is writable and readable */
  CnnfiltShape big = { 2, 3, 64, 50 };
  ck_assert (cnnfilt_tensor_set_shape (t, &big, &error));
  ck_assert_uint_eq (cnnfilt_tensor_get_size (t), 2 * 3 * 64 * 50);
  gsize n = 0;
  gfloat *data = cnnfilt_tensor_get_data (t, &n);
  ck_assert_uint_eq (n, 19200);
  ck_assert_msg (((guintptr) data % 64) == 0, "grown buffer %p is not 64-byte aligned", data);
  for (gsize i = 0; i < n; i++)
    data[i] = (gfloat) i;
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 1, 2, 63, 49), 19199.0f);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 1, 0, 0, 0), 9600.0f);

  /* fill reaches every value of the current shape */
  cnnfilt_tensor_fill (t, 2.5f);
  for (gsize i = 0; i < n; i++)
    ck_assert_msg (data[i] == 2.5f, "value %" G_GSIZE_FORMAT " is %g after fill", i, data[i]);
}
END_TEST

START_TEST (test_invalid_shapes)
{
  static const guint shapes[][4] = {
    { 0, 1, 1, 1 }, { 1, 0, 1, 1 }, { 1, 1, 0, 1 }, { 1, 1, 1, 0 }, { 0, 0, 0, 0 },
    /* products that overflow 64 bits, or exceed any memory */
    { 65535, 65535, 65535, 65535 },
    { G_MAXUINT, G_MAXUINT, G_MAXUINT, G_MAXUINT },
    { 1, G_MAXUINT, G_MAXUINT, 2 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const guint *s = shapes[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (s[0], s[1], s[2], s[3], &error);
      ck_assert_msg (t == NULL, "shape %u: %ux%ux%ux%u accepted", i, s[0], s[1], s[2], s[3]);
      ck_assert_msg (error != NULL && error->domain == CNNFILT_ERROR &&
                     error->code == CNNFILT_ERROR_SHAPE,
                     "shape %u: expected CNNFILT_ERROR_SHAPE, got %s", i,
                     error ? error->message : "no error");
      g_autofree gchar *text = g_strdup_printf ("%ux%ux%ux%u", s[0], s[1], s[2], s[3]);
      tu_assert_contains (error->message, text);

      CnnfiltShape shape = { s[0], s[1], s[2], s[3] };
      ck_assert_uint_eq (cnnfilt_shape_get_size (&shape), 0);
    }

  /* set_shape refuses too, and keeps the old shape and values */
  const gfloat values[] = { 1, 2, 3, 4 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 1, 2, 2);
  CnnfiltShape huge = { 65535, 65535, 65535, 65535 };
  g_autoptr (GError) error = NULL;
  ck_assert (!cnnfilt_tensor_set_shape (t, &huge, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "65535x65535x65535x65535");
  tu_assert_tensor (t, 1, 1, 2, 2, values, 0);

  /* new_from_data with an invalid shape */
  g_clear_error (&error);
  g_autoptr (CnnfiltTensor) t2 = cnnfilt_tensor_new_from_data (values, 4, 1, 0, 2, 2, &error);
  ck_assert_ptr_null (t2);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "1x0x2x2");
}
END_TEST

START_TEST (test_get_set_value)
{
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (2, 3, 4, 5, NULL);
  ck_assert_ptr_nonnull (t);
  cnnfilt_tensor_set_value (t, 1, 2, 3, 4, 7.5f);
  cnnfilt_tensor_set_value (t, 0, 1, 2, 3, -2.0f);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 1, 2, 3, 4), 7.5f);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 1, 2, 3), -2.0f);

  /* NCHW layout: offset ((n·C + c)·H + y)·W + x */
  const gfloat *data = cnnfilt_tensor_get_data (t, NULL);
  ck_assert_float_eq (data[((1 * 3 + 2) * 4 + 3) * 5 + 4], 7.5f);
  ck_assert_float_eq (data[((0 * 3 + 1) * 4 + 2) * 5 + 3], -2.0f);
  /* and nothing else changed */
  gsize nonzero = 0;
  for (gsize i = 0; i < cnnfilt_tensor_get_size (t); i++)
    nonzero += data[i] != 0.0f;
  ck_assert_uint_eq (nonzero, 2);

  /* planes */
  ck_assert_ptr_eq (cnnfilt_tensor_get_plane (t, 0, 0), data);
  ck_assert_ptr_eq (cnnfilt_tensor_get_plane (t, 1, 2), data + (1 * 3 + 2) * 20);
  ck_assert_float_eq (cnnfilt_tensor_get_plane (t, 1, 2)[3 * 5 + 4], 7.5f);
}
END_TEST

START_TEST (test_get_value_out_of_range)
{
  /* A bad index is a programming error: a critical warning and 0, never a
   * read outside the buffer. */
  tu_log_capture_start ();
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  const gfloat values[] = { 1, 2, 3, 4 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 1, 2, 2);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 0, 2, 0), 0.0f);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 1, 0, 0), 0.0f);
  cnnfilt_tensor_set_value (t, 1, 0, 0, 0, 9.0f);
  ck_assert_uint_eq (tu_log_count (G_LOG_LEVEL_CRITICAL, "Cnnfilt", NULL), 3);
  tu_assert_tensor (t, 1, 1, 2, 2, values, 0);
}
END_TEST

START_TEST (test_copy_is_independent)
{
  const gfloat values[] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 1, 2);
  g_autoptr (CnnfiltTensor) copy = cnnfilt_tensor_copy (t);
  ck_assert_ptr_nonnull (copy);
  ck_assert_ptr_ne (copy, t);
  ck_assert_ptr_ne (cnnfilt_tensor_get_data (copy, NULL), cnnfilt_tensor_get_data (t, NULL));
  tu_assert_tensor (copy, 1, 3, 1, 2, values, 0);

  cnnfilt_tensor_set_value (t, 0, 0, 0, 0, 100);
  cnnfilt_tensor_fill (t, -1);
  tu_assert_tensor (copy, 1, 3, 1, 2, values, 0);

  cnnfilt_tensor_set_value (copy, 0, 2, 0, 1, 60);
  ck_assert_float_eq (cnnfilt_tensor_get_value (t, 0, 2, 0, 1), -1);

  /* reshaping the original does not touch the copy */
  CnnfiltShape bigger = { 1, 1, 100, 100 };
  ck_assert (cnnfilt_tensor_set_shape (t, &bigger, NULL));
  ck_assert_uint_eq (cnnfilt_tensor_get_size (copy), 6);
}
END_TEST

START_TEST (test_shape_helpers)
{
  CnnfiltShape *a = cnnfilt_shape_new (1, 3, 224, 224);
  CnnfiltShape *b = cnnfilt_shape_copy (a);
  ck_assert_ptr_ne (a, b);
  ck_assert (cnnfilt_shape_equal (a, b));
  ck_assert_uint_eq (cnnfilt_shape_get_size (a), 3 * 224 * 224);
  g_autofree gchar *text = cnnfilt_shape_to_string (a);
  ck_assert_str_eq (text, "1x3x224x224");
  b->w = 225;
  ck_assert (!cnnfilt_shape_equal (a, b));
  b->w = 224;
  b->n = 2;
  ck_assert (!cnnfilt_shape_equal (a, b));
  cnnfilt_shape_free (a);
  cnnfilt_shape_free (b);
}
END_TEST

static Suite *
tensor_suite (void)
{
  Suite *suite = suite_create ("tensor");
  TCase *tc = tu_tcase ("tensor");
  tcase_add_test (tc, test_new_is_zeros);
  tcase_add_test (tc, test_new_from_data);
  tcase_add_test (tc, test_new_from_data_size_mismatch);
  tcase_add_test (tc, test_new_from_bytes);
  tcase_add_test (tc, test_new_from_bytes_errors);
  tcase_add_test (tc, test_set_shape_reuse_and_grow);
  tcase_add_test (tc, test_invalid_shapes);
  tcase_add_test (tc, test_get_set_value);
  tcase_add_test (tc, test_get_value_out_of_range);
  tcase_add_test (tc, test_copy_is_independent);
  tcase_add_test (tc, test_shape_helpers);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return tu_run_suite (tensor_suite ());
}
