/* test-io.c: image files <-> tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

/* libvips 8.14 has no autoptr support of its own */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VipsImage, g_object_unref)

static gchar *temp_dir;

static void
setup (void)
{
  temp_dir = tu_make_temp_dir ();
}

static void
teardown (void)
{
  tu_remove_tree (temp_dir);
  g_clear_pointer (&temp_dir, g_free);
}

static gchar *
temp_path (const gchar *name)
{
  return g_build_filename (temp_dir, name, NULL);
}

static void
save_ok (CnnfiltTensor *tensor, const gchar *path)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_save (tensor, path, &error), "saving %s: %s", path,
                 error ? error->message : "");
}

static CnnfiltTensor *
load_ok (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *tensor = cnnfilt_image_load (path, &error);
  ck_assert_msg (tensor != NULL, "loading %s: %s", path, error ? error->message : "");
  return tensor;
}

/* Checks that @error is set with @code and a message that starts with "@path: ". */
static void
assert_path_error (const GError *error, gint code, const gchar *path)
{
  ck_assert_msg (error != NULL, "%s: no error", path);
  ck_assert_msg (error->domain == CNNFILT_ERROR && error->code == code,
                 "%s: expected CNNFILT_ERROR code %d, got %s %d: %s", path, code,
                 g_quark_to_string (error->domain), error->code, error->message);
  g_autofree gchar *prefix = g_strconcat (path, ": ", NULL);
  ck_assert_msg (g_str_has_prefix (error->message, prefix), "'%s' does not start with '%s'",
                 error->message, prefix);
}

/* Checks bit-identical values. */
static void
assert_same_bits (CnnfiltTensor *expected, CnnfiltTensor *got)
{
  CnnfiltShape a, b;
  cnnfilt_tensor_get_shape (expected, &a);
  cnnfilt_tensor_get_shape (got, &b);
  ck_assert_msg (cnnfilt_shape_equal (&a, &b), "shape %ux%ux%ux%u, expected %ux%ux%ux%u", b.n,
                 b.c, b.h, b.w, a.n, a.c, a.h, a.w);
  gsize n = 0;
  const gfloat *x = cnnfilt_tensor_get_data (expected, &n);
  const gfloat *y = cnnfilt_tensor_get_data (got, NULL);
  /* one check per value would cost seconds on images of megapixels */
  if (memcmp (x, y, n * sizeof (gfloat)) == 0)
    return;
  for (gsize i = 0; i < n; i++)
    ck_assert_msg (memcmp (&x[i], &y[i], sizeof (gfloat)) == 0,
                   "index %" G_GSIZE_FORMAT ": expected %.9g, got %.9g", i, x[i], y[i]);
}

/* Values that need every bit of a float32. */
static const gfloat precise[] = {
  0.1f, -3.25f, 1e-7f, 1e30f, -0.0f, 123456.789f, FLT_MIN, 1.0f / 3.0f,
};

START_TEST (test_png_8bit_clamp_and_round)
{
  /* saved as v·255 + 0.5 truncated, after clamping to [0, 1]; NaN as 0 */
  const gfloat values[] = {
    -0.5f, 0.0f, 0.49f / 255, 0.51f / 255, 128.0f / 255, 254.4f / 255, 254.6f / 255,
    1.0f, 1.5f, NAN,
  };
  const guint levels[] = { 0, 0, 0, 1, 128, 254, 255, 255, 255, 0 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 1, 2, 5);
  g_autofree gchar *path = temp_path ("clamp.png");
  save_ok (t, path);
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  gfloat expected[10];
  for (guint i = 0; i < 10; i++)
    expected[i] = levels[i] / 255.0f;
  tu_assert_tensor (back, 1, 1, 2, 5, expected, 1e-7);
}
END_TEST

START_TEST (test_png_channels)
{
  /* 1 to 4 channels of exact 8-bit levels come back as they were */
  for (guint c = 1; c <= 4; c++)
    {
      gfloat values[4 * 3 * 5];
      for (guint i = 0; i < c * 15; i++)
        values[i] = ((i * 37 + c) % 256) / 255.0f;
      g_autoptr (CnnfiltTensor) t = tu_tensor_at (__FILE__, __LINE__, values, c * 15, 1, c, 3, 5);
      g_autofree gchar *name = g_strdup_printf ("c%u.png", c);
      g_autofree gchar *path = temp_path (name);
      save_ok (t, path);
      g_autoptr (CnnfiltTensor) back = load_ok (path);
      tu_assert_tensors_equal (t, back, 1e-7);
    }
}
END_TEST

START_TEST (test_jpeg_round_trip)
{
  /* lossy, but a flat grey and a gentle ramp survive closely */
  gfloat values[3 * 16 * 16];
  for (guint c = 0; c < 3; c++)
    for (guint i = 0; i < 256; i++)
      values[c * 256 + i] = 0.25f + 0.25f * c + (i % 16) / 160.0f;
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 16, 16);
  g_autofree gchar *path = temp_path ("photo.jpg");
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_save_with_options (t, path, -1, 95, &error), "%s",
                 error ? error->message : "");
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  tu_assert_tensors_equal (t, back, 4.0 / 255);
}
END_TEST

START_TEST (test_float_formats_exact)
{
  /* .tif, .tiff and .v keep float32 bit for bit, one channel or three */
  const gchar *names[] = { "f.tif", "f.tiff", "f.v", "F.TIF" };
  gfloat three[3 * G_N_ELEMENTS (precise)];
  for (guint i = 0; i < G_N_ELEMENTS (three); i++)
    three[i] = precise[i % G_N_ELEMENTS (precise)] * (1 + i / 8);
  g_autoptr (CnnfiltTensor) one = tu_tensor (precise, 1, 1, 2, 4);
  g_autoptr (CnnfiltTensor) rgb = tu_tensor (three, 1, 3, 2, 4);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      ck_assert (cnnfilt_image_format_is_float (names[i]));
      g_autofree gchar *path = temp_path (names[i]);
      save_ok (one, path);
      g_autoptr (CnnfiltTensor) back = load_ok (path);
      assert_same_bits (one, back);
      g_autofree gchar *name3 = g_strconcat ("rgb-", names[i], NULL);
      g_autofree gchar *path3 = temp_path (name3);
      save_ok (rgb, path3);
      g_autoptr (CnnfiltTensor) back3 = load_ok (path3);
      assert_same_bits (rgb, back3);
    }
}
END_TEST

START_TEST (test_reload_after_overwrite)
{
  /* A file loaded, overwritten and loaded again gives the new contents,
   * not the image cached from the first load.
   * libvips' operation cache once gave the first contents back for these. */
  const gchar *names[] = { "r.tif", "r.png", "r.v", "r.pfm", "r.csv", "r.mat" };
  const gfloat dark[] = { 0.2f, 0.2f, 0.2f, 0.2f };
  const gfloat light[] = { 0.6f, 0.6f, 0.6f, 0.6f };
  g_autoptr (CnnfiltTensor) a = tu_tensor (dark, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) b = tu_tensor (light, 1, 1, 2, 2);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *path = temp_path (names[i]);
      save_ok (a, path);
      g_autoptr (CnnfiltTensor) first = load_ok (path);
      tu_assert_tensors_equal (a, first, 0.5 / 255);
      save_ok (b, path);
      g_autoptr (CnnfiltTensor) second = load_ok (path);
      tu_assert_tensors_equal (b, second, 0.5 / 255);
    }
}
END_TEST

START_TEST (test_pfm_exact)
{
  /* PFM holds grey or RGB float32 */
  g_autoptr (CnnfiltTensor) one = tu_tensor (precise, 1, 1, 4, 2);
  g_autofree gchar *path = temp_path ("f.pfm");
  save_ok (one, path);
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  assert_same_bits (one, back);

  gfloat three[3 * 8];
  for (guint i = 0; i < 24; i++)
    three[i] = precise[i % 8] / (1 + i);
  g_autoptr (CnnfiltTensor) rgb = tu_tensor (three, 1, 3, 2, 4);
  g_autofree gchar *path3 = temp_path ("rgb.pfm");
  save_ok (rgb, path3);
  g_autoptr (CnnfiltTensor) back3 = load_ok (path3);
  assert_same_bits (rgb, back3);
}
END_TEST

/* Reads a text file into lines, dropping the empty last one. */
static GStrv
read_lines (const gchar *path)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, NULL, &error), "%s: %s", path,
                 error ? error->message : "");
  ck_assert_msg (g_str_has_suffix (text, "\n"), "%s does not end with a newline", path);
  text[strlen (text) - 1] = '\0';
  return g_strsplit (text, "\n", -1);
}

static void
assert_text_values (const gchar *line, const gchar *separator, const gfloat *expected, guint n)
{
  g_auto (GStrv) cells = g_strsplit (line, separator, -1);
  ck_assert_msg (g_strv_length (cells) == n, "'%s': %u values, expected %u", line,
                 g_strv_length (cells), n);
  for (guint i = 0; i < n; i++)
    {
      gchar *end = NULL;
      gfloat v = (gfloat) g_ascii_strtod (cells[i], &end);
      ck_assert_msg (*end == '\0', "'%s' is not a number", cells[i]);
      ck_assert_msg (memcmp (&v, &expected[i], sizeof v) == 0, "'%s' reads as %.9g, expected %.9g",
                     cells[i], v, expected[i]);
    }
}

START_TEST (test_csv_exact)
{
  g_autoptr (CnnfiltTensor) t = tu_tensor (precise, 1, 1, 2, 4);
  g_autofree gchar *path = temp_path ("m.csv");
  save_ok (t, path);
  /* one line per row, values split by commas, every digit needed */
  g_auto (GStrv) lines = read_lines (path);
  ck_assert_uint_eq (g_strv_length (lines), 2);
  assert_text_values (lines[0], ",", precise, 4);
  assert_text_values (lines[1], ",", precise + 4, 4);
  /* and libvips reads it back to the same floats */
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  assert_same_bits (t, back);
}
END_TEST

START_TEST (test_mat_exact)
{
  g_autoptr (CnnfiltTensor) t = tu_tensor (precise, 1, 1, 4, 2);
  g_autofree gchar *path = temp_path ("m.mat");
  save_ok (t, path);
  /* the libvips matrix format: "width height scale offset", then rows */
  g_auto (GStrv) lines = read_lines (path);
  ck_assert_uint_eq (g_strv_length (lines), 5);
  ck_assert_str_eq (lines[0], "2 4 1 0");
  for (guint y = 0; y < 4; y++)
    assert_text_values (lines[y + 1], " ", precise + 2 * y, 2);
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  assert_same_bits (t, back);
}
END_TEST

START_TEST (test_save_atomic)
{
  const gfloat grey[] = { 0, 0.5f, 1, 0.25f };
  g_autoptr (CnnfiltTensor) t = tu_tensor (grey, 1, 1, 2, 2);
  g_autofree gchar *path = temp_path ("out.png");

  /* success: the file and nothing else */
  save_ok (t, path);
  g_autofree gchar *after_save = tu_list_dir (temp_dir);
  ck_assert_str_eq (after_save, "out.png");

  /* overwriting replaces the file, still nothing else */
  const gfloat white[] = { 1, 1, 1, 1 };
  g_autoptr (CnnfiltTensor) w = tu_tensor (white, 1, 1, 2, 2);
  save_ok (w, path);
  g_autoptr (CnnfiltTensor) back = load_ok (path);
  tu_assert_tensor (back, 1, 1, 2, 2, white, 1e-7);
  g_autofree gchar *after_overwrite = tu_list_dir (temp_dir);
  ck_assert_str_eq (after_overwrite, "out.png");

  gchar *before_contents = NULL;
  gsize before_length = 0;
  ck_assert (g_file_get_contents (path, &before_contents, &before_length, NULL));

  /* failures leave no file and no temporary, and never touch an existing
   * file at the target */
  gfloat five_values[5 * 4];
  for (guint i = 0; i < 20; i++)
    five_values[i] = i / 20.0f;
  g_autoptr (CnnfiltTensor) five = tu_tensor_at (__FILE__, __LINE__, five_values, 20, 1, 5, 2, 2);
  g_autoptr (CnnfiltTensor) three = tu_tensor_at (__FILE__, __LINE__, five_values, 12, 1, 3, 2, 2);
  g_autoptr (CnnfiltTensor) batch = tu_tensor_at (__FILE__, __LINE__, five_values, 20, 2, 1, 2, 5);
  g_autofree gchar *five_png = temp_path ("five.png");
  g_autofree gchar *three_csv = temp_path ("three.csv");
  g_autofree gchar *three_mat = temp_path ("three.mat");
  g_autofree gchar *batch_png = temp_path ("batch.png");
  g_autofree gchar *unknown = temp_path ("out.xyz");
  g_autofree gchar *nowhere = g_build_filename (temp_dir, "no", "such", "folder", "x.png", NULL);
  static const gint codes[] = {
    CNNFILT_ERROR_UNSUPPORTED, CNNFILT_ERROR_UNSUPPORTED, CNNFILT_ERROR_UNSUPPORTED,
    CNNFILT_ERROR_SHAPE, CNNFILT_ERROR_UNSUPPORTED, CNNFILT_ERROR_IO, CNNFILT_ERROR_UNSUPPORTED,
  };
  CnnfiltTensor *tensors[] = { five, three, three, batch, t, t, five };
  const gchar *paths[] = { five_png, three_csv, three_mat, batch_png, unknown, nowhere, path };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!cnnfilt_image_save (tensors[i], paths[i], &error), "%s saved", paths[i]);
      assert_path_error (error, codes[i], paths[i]);
      g_autofree gchar *listing = tu_list_dir (temp_dir);
      ck_assert_msg (g_str_equal (listing, "out.png"), "after saving %s: %s", paths[i], listing);
    }
  /* out.png as it was */
  g_autofree gchar *after_contents = NULL;
  gsize after_length = 0;
  ck_assert (g_file_get_contents (path, &after_contents, &after_length, NULL));
  ck_assert_uint_eq (after_length, before_length);
  ck_assert_int_eq (memcmp (after_contents, before_contents, before_length), 0);
  g_free (before_contents);

  /* bad options */
  g_autoptr (GError) error = NULL;
  ck_assert (!cnnfilt_image_save_with_options (t, path, 10, -1, &error));
  assert_path_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, path);
}
END_TEST

START_TEST (test_load_errors)
{
  g_autoptr (GError) error = NULL;

  /* missing */
  g_autofree gchar *missing = temp_path ("missing.png");
  ck_assert_ptr_null (cnnfilt_image_load (missing, &error));
  assert_path_error (error, CNNFILT_ERROR_IO, missing);
  g_clear_error (&error);

  /* zero bytes */
  g_autofree gchar *empty = temp_path ("empty.png");
  ck_assert (g_file_set_contents (empty, "", 0, NULL));
  ck_assert_ptr_null (cnnfilt_image_load (empty, &error));
  assert_path_error (error, CNNFILT_ERROR_FORMAT, empty);
  g_clear_error (&error);

  /* text named .png */
  g_autofree gchar *text = temp_path ("x.png");
  ck_assert (g_file_set_contents (text, "hello, I am not a picture\n", -1, NULL));
  ck_assert_ptr_null (cnnfilt_image_load (text, &error));
  assert_path_error (error, CNNFILT_ERROR_FORMAT, text);
  g_clear_error (&error);

  /* a folder */
  ck_assert_ptr_null (cnnfilt_image_load (temp_dir, &error));
  assert_path_error (error, CNNFILT_ERROR_IO, temp_dir);
  g_clear_error (&error);

  /* a real JPEG cut in half: an error, never a half-grey picture */
  gfloat values[3 * 64 * 64];
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = ((i * 7919) % 251) / 250.0f;
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 64, 64);
  g_autofree gchar *whole = temp_path ("whole.jpg");
  save_ok (t, whole);
  g_autoptr (CnnfiltTensor) fine = load_ok (whole);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (fine), 3);
  gchar *contents = NULL;
  gsize length = 0;
  ck_assert (g_file_get_contents (whole, &contents, &length, NULL));
  ck_assert_uint_gt (length, 1000);
  g_autofree gchar *truncated = temp_path ("truncated.jpg");
  ck_assert (g_file_set_contents (truncated, contents, length / 2, NULL));
  g_free (contents);
  ck_assert_ptr_null (cnnfilt_image_load (truncated, &error));
  ck_assert_msg (error != NULL && error->domain == CNNFILT_ERROR &&
                 (error->code == CNNFILT_ERROR_FORMAT || error->code == CNNFILT_ERROR_IO),
                 "truncated JPEG: %s", error ? error->message : "no error");
  assert_path_error (error, error->code, truncated);
  g_clear_error (&error);

  /* load_into leaves the error path the same */
  g_autoptr (CnnfiltTensor) into = cnnfilt_tensor_new (1, 1, 1, 1, NULL);
  ck_assert (!cnnfilt_image_load_into (truncated, into, &error));
  assert_path_error (error, error->code, truncated);
}
END_TEST

START_TEST (test_16bit_png)
{
  /* written with libvips directly: 16-bit grey, then 16-bit RGB */
  ck_assert_int_eq (VIPS_INIT ("test-io"), 0);
  const guint16 grey[] = { 0, 65535, 32768, 1000, 1, 65534 };
  VipsImage *image = vips_image_new_from_memory_copy (grey, sizeof grey, 3, 2, 1, VIPS_FORMAT_USHORT);
  ck_assert_ptr_nonnull (image);
  image->Type = VIPS_INTERPRETATION_GREY16;
  g_autofree gchar *path = temp_path ("deep.png");
  ck_assert_msg (vips_pngsave (image, path, "bitdepth", 16, NULL) == 0, "%s", vips_error_buffer ());
  g_object_unref (image);

  g_autoptr (CnnfiltTensor) back = load_ok (path);
  gfloat expected[6];
  for (guint i = 0; i < 6; i++)
    expected[i] = grey[i] / 65535.0f;
  tu_assert_tensor (back, 1, 1, 2, 3, expected, 1e-7);
  /* 1/65535 is not 0: the 16 bits are kept, not cut to 8 */
  ck_assert_float_gt (cnnfilt_tensor_get_value (back, 0, 0, 1, 1), 0.0f);
  ck_assert_float_lt (cnnfilt_tensor_get_value (back, 0, 0, 1, 1), 0.5f / 255);

  const guint16 rgb[] = { 65535, 0, 0,  0, 32768, 0,  0, 0, 257,  12345, 23456, 34567 };
  VipsImage *colour = vips_image_new_from_memory_copy (rgb, sizeof rgb, 2, 2, 3, VIPS_FORMAT_USHORT);
  ck_assert_ptr_nonnull (colour);
  colour->Type = VIPS_INTERPRETATION_RGB16;
  g_autofree gchar *path3 = temp_path ("deep-rgb.png");
  ck_assert_msg (vips_pngsave (colour, path3, "bitdepth", 16, NULL) == 0, "%s", vips_error_buffer ());
  g_object_unref (colour);
  g_autoptr (CnnfiltTensor) back3 = load_ok (path3);
  /* interleaved RGB to planes */
  gfloat planes[12];
  for (guint p = 0; p < 4; p++)
    for (guint c = 0; c < 3; c++)
      planes[c * 4 + p] = rgb[p * 3 + c] / 65535.0f;
  tu_assert_tensor (back3, 1, 3, 2, 2, planes, 1e-7);
}
END_TEST

START_TEST (test_load_into_reuses)
{
  const gfloat grey[] = { 0, 1, 0, 1, 0, 1 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (grey, 1, 1, 2, 3);
  g_autofree gchar *path = temp_path ("small.png");
  save_ok (t, path);
  g_autoptr (CnnfiltTensor) into = cnnfilt_tensor_new (1, 3, 10, 10, NULL);
  const gfloat *before = cnnfilt_tensor_get_data (into, NULL);
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_load_into (path, into, &error), "%s", error ? error->message : "");
  ck_assert_ptr_eq (cnnfilt_tensor_get_data (into, NULL), before);
  tu_assert_tensor (into, 1, 1, 2, 3, grey, 1e-7);
}
END_TEST

START_TEST (test_format_helpers)
{
  ck_assert (cnnfilt_image_format_is_float ("a.tif"));
  ck_assert (cnnfilt_image_format_is_float ("dir.png/a.TIFF"));
  ck_assert (cnnfilt_image_format_is_float ("a.pfm"));
  ck_assert (cnnfilt_image_format_is_float ("a.csv"));
  ck_assert (cnnfilt_image_format_is_float ("a.mat"));
  ck_assert (cnnfilt_image_format_is_float ("a.v"));
  ck_assert (!cnnfilt_image_format_is_float ("a.png"));
  ck_assert (!cnnfilt_image_format_is_float ("a.jpg"));
  ck_assert (!cnnfilt_image_format_is_float ("tif"));
  ck_assert (cnnfilt_image_format_is_known ("photo.JPG"));
  ck_assert (cnnfilt_image_format_is_known ("photo.webp"));
  ck_assert (cnnfilt_image_format_is_known ("/x/y.png"));
  ck_assert (!cnnfilt_image_format_is_known ("notes.txt"));
  ck_assert (!cnnfilt_image_format_is_known ("README"));
  ck_assert (!cnnfilt_image_format_is_known ("a.png.bak"));
}
END_TEST

/* libvips directly, to write files with what cnnfilt_image_save() never
 * writes: EXIF orientations, sizes of thousands of pixels. */
static void
vips_save_ok (VipsImage *image, const gchar *path)
{
  ck_assert_int_eq (VIPS_INIT ("test-io"), 0);
  ck_assert_msg (vips_image_write_to_file (image, path, "Q", 95, NULL) == 0, "%s: %s", path,
                 vips_error_buffer ());
}

static void
load_full_ok (const gchar *path, CnnfiltTensor *tensor, CnnfiltLoadFlags flags,
              guint64 max_pixels, guint shrink_to)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_load_full (path, tensor, flags, max_pixels, shrink_to, &error),
                 "loading %s: %s", path, error ? error->message : "");
}

/* Four flat quarters, 8-bit RGB: red, green, blue, grey. */
static const gdouble quarter_colours[4][3] = {
  { 200, 40, 40 }, { 40, 200, 40 }, { 40, 40, 200 }, { 120, 120, 120 },
};

static VipsImage *
quarters_image (gint width, gint height)
{
  ck_assert_int_eq (VIPS_INIT ("test-io"), 0);
  VipsImage *image = NULL;
  ck_assert (vips_black (&image, width, height, "bands", 3, NULL) == 0);
  for (guint q = 0; q < 4; q++)
    ck_assert (vips_draw_rect (image, (gdouble *) quarter_colours[q], 3, (q % 2) * width / 2,
                               (q / 2) * height / 2, width / 2, height / 2, "fill", TRUE,
                               NULL) == 0);
  image->Type = VIPS_INTERPRETATION_sRGB;
  return image;
}

/* The colours at the centre of each quarter of @tensor, within @tolerance. */
static void
assert_quarters (CnnfiltTensor *tensor, gdouble tolerance)
{
  guint h = cnnfilt_tensor_get_h (tensor), w = cnnfilt_tensor_get_w (tensor);
  ck_assert_uint_eq (cnnfilt_tensor_get_c (tensor), 3);
  for (guint q = 0; q < 4; q++)
    for (guint c = 0; c < 3; c++)
      tu_assert_near (quarter_colours[q][c] / 255,
                      cnnfilt_tensor_get_value (tensor, 0, c, (q / 2) * h / 2 + h / 4,
                                                (q % 2) * w / 2 + w / 4),
                      tolerance);
}

START_TEST (test_max_pixels)
{
  /* 300 × 200 is 60000 pixels: refused by a limit one less, with the
   * message a command line shows as it is */
  gfloat values[200 * 300] = { 0 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 1, 200, 300);
  g_autofree gchar *path = temp_path ("wide.png");
  save_ok (t, path);
  g_autoptr (CnnfiltTensor) into = cnnfilt_tensor_new (1, 1, 1, 1, NULL);
  g_autoptr (GError) error = NULL;
  ck_assert (!cnnfilt_image_load_full (path, into, CNNFILT_LOAD_DEFAULT, 59999, 0, &error));
  assert_path_error (error, CNNFILT_ERROR_UNSUPPORTED, path);
  g_autofree gchar *expected = g_strdup_printf (
    "%s: 300×200 exceeds the limit of 59999 pixels (max-pixels)", path);
  ck_assert_str_eq (error->message, expected);
  g_clear_error (&error);
  load_full_ok (path, into, CNNFILT_LOAD_DEFAULT, 60000, 0);
  load_full_ok (path, into, CNNFILT_LOAD_DEFAULT, 0, 0);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (into), 300);

  /* the limit is checked on the header: a PGM that says 30000 × 30000
   * and holds 10 bytes is refused for its size, not for being cut short,
   * by the defaults of cnnfilt_image_load() */
  g_autofree gchar *huge = temp_path ("huge.pgm");
  ck_assert (g_file_set_contents (huge, "P5\n30000 30000\n255\n0123456789", -1, NULL));
  ck_assert_ptr_null (cnnfilt_image_load (huge, &error));
  g_autofree gchar *expected_huge = g_strdup_printf (
    "%s: 30000×30000 exceeds the limit of 100000000 pixels (max-pixels)", huge);
  ck_assert_ptr_nonnull (error);
  ck_assert_str_eq (error->message, expected_huge);
  g_clear_error (&error);

  /* .npy: height × width */
  g_autofree gchar *npy = temp_path ("wide.npy");
  save_ok (t, npy);
  ck_assert (!cnnfilt_image_load_full (npy, into, CNNFILT_LOAD_DEFAULT, 59999, 0, &error));
  assert_path_error (error, CNNFILT_ERROR_UNSUPPORTED, npy);
  tu_assert_contains (error->message, "300×200 exceeds the limit of 59999 pixels");
  g_clear_error (&error);
  load_full_ok (npy, into, CNNFILT_LOAD_DEFAULT, 60000, 0);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (into), 200);
}
END_TEST

START_TEST (test_not_regular_file)
{
  /* a FIFO is refused from its metadata, never opened: opening it would
   * block until a writer came */
  g_autofree gchar *fifo = temp_path ("pipe.jpg");
  ck_assert_int_eq (mkfifo (fifo, 0600), 0);
  const gchar *paths[] = { fifo, "/dev/null", "/dev/zero" };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        continue;
      g_autoptr (GError) error = NULL;
      ck_assert_ptr_null (cnnfilt_image_load (paths[i], &error));
      assert_path_error (error, CNNFILT_ERROR_IO, paths[i]);
      g_autofree gchar *expected = g_strconcat (paths[i], ": not a regular file", NULL);
      ck_assert_str_eq (error->message, expected);
      g_clear_error (&error);
      guint w = 0;
      ck_assert (!cnnfilt_image_read_header (paths[i], &w, NULL, NULL, &error));
      ck_assert_str_eq (error->message, expected);
    }
  /* a folder keeps its own reason */
  g_autoptr (GError) error = NULL;
  ck_assert (!cnnfilt_image_read_header (temp_dir, NULL, NULL, NULL, &error));
  g_autofree gchar *folder = g_strconcat (temp_dir, ": is a folder", NULL);
  ck_assert_str_eq (error->message, folder);
}
END_TEST

START_TEST (test_autorotate)
{
  /* Stored 64 wide and 32 high, black with a white 16 × 16 square at the
   * top-left, and EXIF orientation 6: shown turned a quarter clockwise,
   * 32 wide and 64 high, the square at the top-right. */
  ck_assert_int_eq (VIPS_INIT ("test-io"), 0);
  VipsImage *image = NULL;
  ck_assert (vips_black (&image, 64, 32, "bands", 3, NULL) == 0);
  ck_assert (vips_draw_rect1 (image, 255, 0, 0, 16, 16, "fill", TRUE, NULL) == 0);
  image->Type = VIPS_INTERPRETATION_sRGB;
  vips_image_set_int (image, "orientation", 6);
  g_autofree gchar *path = temp_path ("turned.jpg");
  vips_save_ok (image, path);
  g_object_unref (image);

  guint w = 0, h = 0, c = 0;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_read_header (path, &w, &h, &c, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_eq (w, 32);
  ck_assert_uint_eq (h, 64);
  ck_assert_uint_eq (c, 3);

  g_autoptr (CnnfiltTensor) upright = load_ok (path);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (upright), 32);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (upright), 64);
  for (guint ch = 0; ch < 3; ch++)
    {
      tu_assert_near (1.0, cnnfilt_tensor_get_value (upright, 0, ch, 8, 24), 4.0 / 255);
      tu_assert_near (0.0, cnnfilt_tensor_get_value (upright, 0, ch, 8, 8), 4.0 / 255);
      tu_assert_near (0.0, cnnfilt_tensor_get_value (upright, 0, ch, 56, 24), 4.0 / 255);
      tu_assert_near (0.0, cnnfilt_tensor_get_value (upright, 0, ch, 56, 8), 4.0 / 255);
    }

  /* as stored */
  g_autoptr (CnnfiltTensor) raw = cnnfilt_tensor_new (1, 1, 1, 1, NULL);
  load_full_ok (path, raw, CNNFILT_LOAD_NO_AUTOROTATE, 0, 0);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (raw), 64);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (raw), 32);
  tu_assert_near (1.0, cnnfilt_tensor_get_value (raw, 0, 0, 8, 8), 4.0 / 255);
  tu_assert_near (0.0, cnnfilt_tensor_get_value (raw, 0, 0, 8, 40), 4.0 / 255);
  tu_assert_near (0.0, cnnfilt_tensor_get_value (raw, 0, 0, 24, 8), 4.0 / 255);
}
END_TEST

START_TEST (test_read_header)
{
  gfloat values[3 * 3 * 5] = { 0 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 3, 5);
  const gchar *names[] = { "h.png", "h.tif", "h.npy" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *path = temp_path (names[i]);
      save_ok (t, path);
      guint w = 0, h = 0, c = 0;
      g_autoptr (GError) error = NULL;
      ck_assert_msg (cnnfilt_image_read_header (path, &w, &h, &c, &error), "%s",
                     error ? error->message : "");
      ck_assert_uint_eq (w, 5);
      ck_assert_uint_eq (h, 3);
      ck_assert_uint_eq (c, 3);
    }
  /* a header is enough: the PGM that says 30000 × 30000 and holds 10 bytes */
  g_autofree gchar *huge = temp_path ("huge.pgm");
  ck_assert (g_file_set_contents (huge, "P5\n30000 30000\n255\n0123456789", -1, NULL));
  guint w = 0, h = 0, c = 0;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_image_read_header (huge, &w, &h, &c, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_eq (w, 30000);
  ck_assert_uint_eq (h, 30000);
  ck_assert_uint_eq (c, 1);
  /* and errors are those of loading */
  g_autofree gchar *text = temp_path ("x.png");
  ck_assert (g_file_set_contents (text, "hello, I am not a picture\n", -1, NULL));
  ck_assert (!cnnfilt_image_read_header (text, &w, &h, &c, &error));
  assert_path_error (error, CNNFILT_ERROR_FORMAT, text);
}
END_TEST

START_TEST (test_shrink_to)
{
  /* A 2048 × 1536 JPEG, for a caller who resizes the shorter side to 256:
   * 1536 is more than 2 × 256, so it is decoded at half size (a third
   * would go below 512; JPEG offers halves, quarters and eighths). */
  g_autoptr (VipsImage) image = quarters_image (2048, 1536);
  g_autofree gchar *jpeg = temp_path ("big.jpg");
  vips_save_ok (image, jpeg);
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (1, 1, 1, 1, NULL);
  load_full_ok (jpeg, t, CNNFILT_LOAD_DEFAULT, 0, 256);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (t), 1024);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 768);
  assert_quarters (t, 3.0 / 255);

  /* to 30: an eighth is 256 × 192, and a box filter of 3 keeps 64 ≥ 60 */
  load_full_ok (jpeg, t, CNNFILT_LOAD_DEFAULT, 0, 30);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 64);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (t), 85);
  assert_quarters (t, 3.0 / 255);

  /* to 768: 1536 is not more than twice that, so the file loads as it is,
   * bit for bit */
  g_autoptr (CnnfiltTensor) full = load_ok (jpeg);
  load_full_ok (jpeg, t, CNNFILT_LOAD_DEFAULT, 0, 768);
  assert_same_bits (full, t);

  /* PNG: by a box filter of 1000 / 200 = 5, as it streams */
  g_autoptr (VipsImage) png_image = quarters_image (1200, 1000);
  g_autofree gchar *png = temp_path ("big.png");
  vips_save_ok (png_image, png);
  load_full_ok (png, t, CNNFILT_LOAD_DEFAULT, 0, 100);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (t), 240);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 200);
  assert_quarters (t, 0.5 / 255);
  g_autoptr (CnnfiltTensor) png_full = load_ok (png);
  load_full_ok (png, t, CNNFILT_LOAD_DEFAULT, 0, 500);
  assert_same_bits (png_full, t);

  /* WebP: scaled by libwebp while decoding, 800 / 200 = 4 */
  g_autoptr (VipsImage) webp_image = quarters_image (1000, 800);
  g_autofree gchar *webp = temp_path ("big.webp");
  vips_save_ok (webp_image, webp);
  load_full_ok (webp, t, CNNFILT_LOAD_DEFAULT, 0, 100);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (t), 250);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (t), 200);
  assert_quarters (t, 6.0 / 255);
}
END_TEST

static const gchar red_svg[] =
  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"10\">"
  "<rect width=\"20\" height=\"10\" fill=\"#ff0000\"/></svg>\n";

static gboolean
has_vips_loader (const gchar *nickname)
{
  ck_assert_int_eq (VIPS_INIT ("test-io"), 0);
  return vips_type_find ("VipsOperation", nickname) != 0;
}

/* The first 100 bytes of a TIFF: no longer a TIFF for libvips' TIFF
 * loader, still one for ImageMagick's. */
static gchar *
write_cut_tiff (void)
{
  gfloat values[3 * 20 * 20] = { 0 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 20, 20);
  g_autofree gchar *whole = temp_path ("whole.tif");
  save_ok (t, whole);
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  ck_assert (g_file_get_contents (whole, &contents, &length, NULL));
  ck_assert_uint_gt (length, 100);
  gchar *cut = temp_path ("cut.tif");
  ck_assert (g_file_set_contents (cut, contents, 100, NULL));
  return cut;
}

START_TEST (test_untrusted_loaders)
{
  /* An SVG named .jpg, as a folder filtered by suffix would let in: libvips
   * would render it; refused, naming what was found. */
  g_autofree gchar *fake = temp_path ("photo.jpg");
  ck_assert (g_file_set_contents (fake, red_svg, -1, NULL));
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (cnnfilt_image_load (fake, &error));
  if (has_vips_loader ("svgload"))
    {
      assert_path_error (error, CNNFILT_ERROR_UNSUPPORTED, fake);
      g_autofree gchar *expected = g_strdup_printf (
        "%s: content is SVG, not what the .jpg suffix says; refused "
        "(set CNNFILT_TRUSTED_INPUT=1 for trusted files)", fake);
      ck_assert_str_eq (error->message, expected);
      g_clear_error (&error);
      ck_assert (!cnnfilt_image_read_header (fake, NULL, NULL, NULL, &error));
      ck_assert_str_eq (error->message, expected);

      /* the same file named .svg is what it says: rendered, RGBA */
      g_autofree gchar *svg = temp_path ("drawing.svg");
      ck_assert (g_file_set_contents (svg, red_svg, -1, NULL));
      g_autoptr (CnnfiltTensor) red = load_ok (svg);
      ck_assert_uint_eq (cnnfilt_tensor_get_c (red), 4);
      ck_assert_uint_eq (cnnfilt_tensor_get_h (red), 10);
      ck_assert_uint_eq (cnnfilt_tensor_get_w (red), 20);
      tu_assert_near (1.0, cnnfilt_tensor_get_value (red, 0, 0, 5, 10), 1e-6);
      tu_assert_near (0.0, cnnfilt_tensor_get_value (red, 0, 1, 5, 10), 1e-6);
      tu_assert_near (1.0, cnnfilt_tensor_get_value (red, 0, 3, 5, 10), 1e-6);
    }
  else
    g_printerr ("test_untrusted_loaders: libvips here has no svgload; SVG rendering not tested\n");
  g_clear_error (&error);

  /* A PNG named .jpg: misnamed photos are common, and PNG is safe */
  const gfloat grey[] = { 0, 128 / 255.0f, 1, 64 / 255.0f };
  g_autoptr (CnnfiltTensor) t = tu_tensor (grey, 1, 1, 2, 2);
  g_autofree gchar *png = temp_path ("misnamed.png");
  save_ok (t, png);
  g_autofree gchar *misnamed = temp_path ("misnamed.jpg");
  ck_assert (g_rename (png, misnamed) == 0);
  g_autoptr (CnnfiltTensor) back = load_ok (misnamed);
  tu_assert_tensors_equal (t, back, 1e-7);

  /* A TIFF cut short is no TIFF for libvips' own loader, but ImageMagick
   * would try it: refused */
  g_autofree gchar *cut = write_cut_tiff ();
  ck_assert_ptr_null (cnnfilt_image_load (cut, &error));
  ck_assert_msg (g_str_has_prefix (error->message, cut), "%s", error->message);
  if (has_vips_loader ("magickload"))
    {
      assert_path_error (error, CNNFILT_ERROR_UNSUPPORTED, cut);
      tu_assert_contains (error->message, "ImageMagick");
      tu_assert_contains (error->message, "refused (set CNNFILT_TRUSTED_INPUT=1");
    }
}
END_TEST

START_TEST (test_trusted_input)
{
  /* CNNFILT_TRUSTED_INPUT=1 is read once, when libvips starts: only a test
   * in a process of its own can set it. */
  if (g_strcmp0 (g_getenv ("CK_FORK"), "no") == 0)
    {
      g_printerr ("test_trusted_input: skipped with CK_FORK=no\n");
      return;
    }
  g_setenv ("CNNFILT_TRUSTED_INPUT", "1", TRUE);
  g_autofree gchar *fake = temp_path ("photo.jpg");
  ck_assert (g_file_set_contents (fake, red_svg, -1, NULL));
  if (has_vips_loader ("svgload"))
    {
      g_autoptr (CnnfiltTensor) red = load_ok (fake);
      ck_assert_uint_eq (cnnfilt_tensor_get_c (red), 4);
    }
  /* the cut TIFF is read by ImageMagick, which fails or gives something;
   * either way it is not refused */
  g_autofree gchar *cut = write_cut_tiff ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) any = cnnfilt_image_load (cut, &error);
  if (error != NULL)
    ck_assert_msg (strstr (error->message, "refused") == NULL, "%s", error->message);
  g_unsetenv ("CNNFILT_TRUSTED_INPUT");
}
END_TEST

/* Broken files of many kinds, and what loading each says when it is the
 * only load in the process. */
typedef struct {
  GPtrArray *paths;
  GPtrArray *messages;
} BrokenFiles;

static void
add_broken (BrokenFiles *files, const gchar *name, const gchar *contents, gsize length)
{
  gchar *path = temp_path (name);
  ck_assert (g_file_set_contents (path, contents, length, NULL));
  g_ptr_array_add (files->paths, path);
}

/* @image saved as @name, then cut to each fraction of @fractions (in
 * percent) as name-cutN.suffix. */
static void
add_cuts (BrokenFiles *files, CnnfiltTensor *image, const gchar *name, const guint *percents,
          guint n)
{
  g_autofree gchar *whole = temp_path (name);
  save_ok (image, whole);
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  ck_assert (g_file_get_contents (whole, &contents, &length, NULL));
  g_unlink (whole);
  const gchar *dot = strrchr (name, '.');
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *cut = g_strdup_printf ("%.*s-cut%u%s", (int) (dot - name), name,
                                               percents[i], dot);
      add_broken (files, cut, contents, length * percents[i] / 100);
    }
}

static void
make_broken_files (BrokenFiles *files)
{
  files->paths = g_ptr_array_new_with_free_func (g_free);
  files->messages = g_ptr_array_new_with_free_func (g_free);
  static gfloat noise[3 * 96 * 96];
  for (guint i = 0; i < G_N_ELEMENTS (noise); i++)
    noise[i] = ((i * 7919) % 251) / 250.0f;
  g_autoptr (CnnfiltTensor) image = tu_tensor (noise, 1, 3, 96, 96);
  static const guint cuts[] = { 5, 10, 20, 35, 50, 65, 80, 90, 95, 98 };
  add_cuts (files, image, "photo.jpg", cuts, 10);
  add_cuts (files, image, "drawing.png", cuts + 1, 8);
  add_cuts (files, image, "scan.tif", cuts + 4, 4);
  add_cuts (files, image, "web.webp", cuts + 3, 4);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  for (guint i = 0; i < 6; i++)
    {
      guint8 bytes[600];
      for (guint j = 0; j < sizeof bytes; j++)
        bytes[j] = g_rand_int_range (rand, 0, 256);
      g_autofree gchar *name = g_strdup_printf ("random%u.png", i);
      add_broken (files, name, (const gchar *) bytes, sizeof bytes);
    }
  const gchar *suffixes[] = { "jpg", "png", "tif", "webp" };
  for (guint i = 0; i < 4; i++)
    {
      g_autofree gchar *empty = g_strdup_printf ("empty.%s", suffixes[i]);
      add_broken (files, empty, "", 0);
      g_autofree gchar *text = g_strdup_printf ("notes.%s", suffixes[i]);
      add_broken (files, text, "hello, I am not a picture\n", 26);
    }
  for (guint i = 0; i < files->paths->len; i++)
    {
      const gchar *path = files->paths->pdata[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltTensor) loaded = cnnfilt_image_load (path, &error);
      ck_assert_msg (loaded == NULL, "%s loads", path);
      g_ptr_array_add (files->messages, g_strdup (error->message));
    }
}

/* A message is the file's: its path, then a reason, and no other format's
 * library in it. */
static gchar *
wrong_message (const gchar *path, const gchar *message)
{
  g_autofree gchar *prefix = g_strconcat (path, ": ", NULL);
  if (!g_str_has_prefix (message, prefix) || strlen (message) == strlen (prefix))
    return g_strdup_printf ("%s: message '%s'", path, message);
  g_autofree gchar *reason = g_ascii_strdown (message + strlen (prefix), -1);
  const gchar *others[][3] = {
    { ".jpg", "png", "tiff" }, { ".png", "jpeg", "tiff" }, { ".tif", "png", "jpeg" },
    { ".webp", "png", "jpeg" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    if (g_str_has_suffix (path, others[i][0]) &&
        (strstr (reason, others[i][1]) != NULL || strstr (reason, others[i][2]) != NULL))
      return g_strdup_printf ("%s: a reason of another format: '%s'", path, message);
  return NULL;
}

typedef struct {
  BrokenFiles *files;
  guint first;
  GMutex *lock;
  GPtrArray *wrong;
} RaceWorker;

#define RACE_ROUNDS 6

static gpointer
race_worker (gpointer data)
{
  RaceWorker *w = data;
  guint n = w->files->paths->len;
  g_autoptr (CnnfiltTensor) tensor = cnnfilt_tensor_new (1, 1, 1, 1, NULL);
  for (guint round = 0; round < RACE_ROUNDS; round++)
    for (guint k = 0; k < n; k++)
      {
        /* each thread in its own order, so that different kinds fail at
         * the same time */
        guint i = (w->first + k * (2 * w->first + 1)) % n;
        const gchar *path = w->files->paths->pdata[i];
        g_autoptr (GError) error = NULL;
        gchar *wrong = NULL;
        if (cnnfilt_image_load_into (path, tensor, &error))
          wrong = g_strdup_printf ("%s loaded", path);
        else if ((wrong = wrong_message (path, error->message)) == NULL &&
                 !g_str_equal (error->message, w->files->messages->pdata[i]))
          wrong = g_strdup_printf ("%s: '%s' in threads, '%s' alone", path, error->message,
                                   (const gchar *) w->files->messages->pdata[i]);
        if (wrong != NULL)
          {
            g_mutex_lock (w->lock);
            g_ptr_array_add (w->wrong, wrong);
            g_mutex_unlock (w->lock);
          }
      }
  return NULL;
}

START_TEST (test_error_reasons_in_threads)
{
  /* libvips keeps one error buffer for the whole process. Four threads
   * loading broken files at once must each get their own file's reason,
   * word for word what loading the file alone says. */
  BrokenFiles files;
  make_broken_files (&files);
  ck_assert_uint_ge (files.paths->len, 40);
  for (guint i = 0; i < files.paths->len; i++)
    {
      g_autofree gchar *wrong = wrong_message (files.paths->pdata[i], files.messages->pdata[i]);
      ck_assert_msg (wrong == NULL, "alone: %s", wrong);
    }

  GMutex lock;
  g_mutex_init (&lock);
  g_autoptr (GPtrArray) wrong = g_ptr_array_new_with_free_func (g_free);
  RaceWorker workers[4];
  GThread *threads[4];
  for (guint t = 0; t < 4; t++)
    {
      workers[t] = (RaceWorker) { &files, t * 11, &lock, wrong };
      threads[t] = g_thread_new ("race", race_worker, &workers[t]);
    }
  for (guint t = 0; t < 4; t++)
    g_thread_join (threads[t]);
  g_mutex_clear (&lock);
  ck_assert_msg (wrong->len == 0, "%u of %u loads: %s", wrong->len,
                 4 * RACE_ROUNDS * files.paths->len,
                 wrong->len ? (const gchar *) wrong->pdata[0] : "");
  g_ptr_array_unref (files.paths);
  g_ptr_array_unref (files.messages);
}
END_TEST

START_TEST (test_vips_warnings_quiet)
{
  /* libvips' warnings never reach the terminal as VIPS-WARNING lines: they
   * become info messages "libvips: ..." of the Cnnfilt domain, shown with
   * G_MESSAGES_DEBUG=Cnnfilt, and one repeated at once is shown once. */
  tu_log_capture_start ();
  g_autofree gchar *missing = temp_path ("missing.png");
  ck_assert_ptr_null (cnnfilt_image_load (missing, NULL));
  g_log ("VIPS", G_LOG_LEVEL_WARNING, "a warning of libvips");
  g_log ("VIPS", G_LOG_LEVEL_WARNING, "a warning of libvips");
  ck_assert_uint_eq (tu_log_count (G_LOG_LEVEL_INFO, "Cnnfilt", "libvips: a warning of libvips"), 1);

  /* a JPEG cut in half: libvips warns "error in tile 0 x N" in each of the
   * two runs of the failed load (the second for its reason alone) */
  gfloat values[3 * 64 * 64];
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = ((i * 7919) % 251) / 250.0f;
  g_autoptr (CnnfiltTensor) t = tu_tensor (values, 1, 3, 64, 64);
  g_autofree gchar *whole = temp_path ("whole.jpg");
  save_ok (t, whole);
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  ck_assert (g_file_get_contents (whole, &contents, &length, NULL));
  g_autofree gchar *truncated = temp_path ("truncated.jpg");
  ck_assert (g_file_set_contents (truncated, contents, length / 2, NULL));
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (cnnfilt_image_load (truncated, &error));
  ck_assert_uint_eq (tu_log_count (G_LOG_LEVEL_INFO, "Cnnfilt", "libvips: error in tile"), 1);
  g_autofree gchar *log = tu_log_dump ();
  ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, "VIPS", NULL) == 0,
                 "%s", log);
}
END_TEST

static Suite *
io_suite (void)
{
  Suite *suite = suite_create ("io");
  TCase *tc = tu_tcase ("io");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_png_8bit_clamp_and_round);
  tcase_add_test (tc, test_png_channels);
  tcase_add_test (tc, test_jpeg_round_trip);
  tcase_add_test (tc, test_float_formats_exact);
  tcase_add_test (tc, test_reload_after_overwrite);
  tcase_add_test (tc, test_pfm_exact);
  tcase_add_test (tc, test_csv_exact);
  tcase_add_test (tc, test_mat_exact);
  tcase_add_test (tc, test_save_atomic);
  tcase_add_test (tc, test_load_errors);
  tcase_add_test (tc, test_16bit_png);
  tcase_add_test (tc, test_load_into_reuses);
  tcase_add_test (tc, test_format_helpers);
  tcase_add_test (tc, test_max_pixels);
  tcase_add_test (tc, test_not_regular_file);
  tcase_add_test (tc, test_autorotate);
  tcase_add_test (tc, test_read_header);
  tcase_add_test (tc, test_shrink_to);
  tcase_add_test (tc, test_untrusted_loaders);
  tcase_add_test (tc, test_trusted_input);
  tcase_add_test (tc, test_error_reasons_in_threads);
  tcase_add_test (tc, test_vips_warnings_quiet);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return tu_run_suite (io_suite ());
}
