/* test-image-ops.c: the image plugin (grayscale, rgb, normalize, threshold,
 * invert, resize)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <math.h>

#define EXACT 1e-6

/* grayscale */

START_TEST (test_grayscale_rec601)
{
  /* one RGB pixel (0.2, 0.4, 0.6) and one (1, 0, 0):
   * 0.299·0.2 + 0.587·0.4 + 0.114·0.6 = 0.0598 + 0.2348 + 0.0684 = 0.363 */
  const gfloat rgb[] = { 0.2f, 1.0f,  0.4f, 0.0f,  0.6f, 0.0f };
  const gfloat expected[] = { 0.363f, 0.299f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("grayscale", rgb, 1, 3, 1, 2);
  tu_assert_tensor (out, 1, 1, 1, 2, expected, EXACT);
  g_autoptr (CnnfiltTensor) out2 = tu_run_values ("grayscale weights=rec601", rgb, 1, 3, 1, 2);
  tu_assert_tensor (out2, 1, 1, 1, 2, expected, EXACT);

  /* white stays white */
  const gfloat white[] = { 1, 1, 1 };
  const gfloat one[] = { 1 };
  g_autoptr (CnnfiltTensor) w = tu_run_values ("grayscale", white, 1, 3, 1, 1);
  tu_assert_tensor (w, 1, 1, 1, 1, one, EXACT);
}
END_TEST

START_TEST (test_grayscale_rec709)
{
  /* 0.2126·0.2 + 0.7152·0.4 + 0.0722·0.6 = 0.04252 + 0.28608 + 0.04332 = 0.37192 */
  const gfloat rgb[] = { 0.2f, 0.4f, 0.6f };
  const gfloat expected[] = { 0.37192f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("grayscale weights=rec709", rgb, 1, 3, 1, 1);
  tu_assert_tensor (out, 1, 1, 1, 1, expected, EXACT);
}
END_TEST

START_TEST (test_grayscale_passthrough)
{
  /* one channel: unchanged */
  const gfloat grey[] = { 0.1f, 0.5f, 0.9f, -2.0f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("grayscale", grey, 1, 1, 2, 2);
  tu_assert_tensor (out, 1, 1, 2, 2, grey, 0);

  /* grey + alpha: the grey channel, alpha dropped */
  const gfloat grey_alpha[] = { 0.1f, 0.5f, 0.9f, 0.3f,  1, 0, 0.5f, 1 };
  const gfloat expected[] = { 0.1f, 0.5f, 0.9f, 0.3f };
  g_autoptr (CnnfiltTensor) out2 = tu_run_values ("grayscale weights=rec709", grey_alpha, 1, 2, 2, 2);
  tu_assert_tensor (out2, 1, 1, 2, 2, expected, 0);
}
END_TEST

START_TEST (test_rgb)
{
  /* grey repeated three times; grey + alpha likewise; RGBA loses alpha */
  const gfloat grey[] = { 0.1f, 0.9f };
  const gfloat grey3[] = { 0.1f, 0.9f,  0.1f, 0.9f,  0.1f, 0.9f };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("rgb", grey, 1, 1, 1, 2);
  tu_assert_tensor (a, 1, 3, 1, 2, grey3, 0);
  const gfloat grey_alpha[] = { 0.1f, 0.9f,  0.5f, 0.0f };
  g_autoptr (CnnfiltTensor) b = tu_run_values ("rgb", grey_alpha, 1, 2, 1, 2);
  tu_assert_tensor (b, 1, 3, 1, 2, grey3, 0);
  const gfloat rgba[] = { 0.2f, 1.0f,  0.4f, 0.0f,  0.6f, 0.5f,  0.0f, 0.25f,
                          0.3f, 0.1f,  0.5f, 0.2f,  0.7f, 0.3f,  1.0f, 1.0f };
  const gfloat rgb[] = { 0.2f, 1.0f,  0.4f, 0.0f,  0.6f, 0.5f,
                         0.3f, 0.1f,  0.5f, 0.2f,  0.7f, 0.3f };
  g_autoptr (CnnfiltTensor) c = tu_run_values ("rgb", rgba, 2, 4, 1, 2);
  tu_assert_tensor (c, 2, 3, 1, 2, rgb, 0);
  g_autoptr (CnnfiltTensor) d = tu_run_values ("rgb", rgb, 2, 3, 1, 2);
  tu_assert_tensor (d, 2, 3, 1, 2, rgb, 0);
}
END_TEST

START_TEST (test_grayscale_rgba)
{
  /* RGBA: the same as RGB, whatever the alpha */
  const gfloat rgba[] = { 0.2f, 1.0f,  0.4f, 0.0f,  0.6f, 0.0f,  0.0f, 0.25f };
  const gfloat expected[] = { 0.363f, 0.299f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("grayscale", rgba, 1, 4, 1, 2);
  tu_assert_tensor (out, 1, 1, 1, 2, expected, EXACT);

  /* a batch: each image on its own */
  const gfloat batch[] = { 0.2f, 0.4f, 0.6f,  1, 0, 0 };
  g_autoptr (CnnfiltTensor) out2 = tu_run_values ("grayscale", batch, 2, 3, 1, 1);
  tu_assert_tensor (out2, 2, 1, 1, 1, expected, EXACT);

  /* five channels are not an image */
  const gfloat five[] = { 1, 2, 3, 4, 5 };
  g_autoptr (CnnfiltTensor) t = tu_tensor (five, 1, 5, 1, 1);
  g_autoptr (GError) error = tu_run_error ("grayscale", t);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "grayscale", "5");
}
END_TEST

/* normalize */

START_TEST (test_normalize)
{
  /* (x − min) / (max − min): min −1, max 3 */
  const gfloat values[] = { -1, 0, 3, 1 };
  const gfloat expected[] = { 0, 0.25f, 1, 0.5f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("normalize", values, 1, 1, 2, 2);
  tu_assert_tensor (out, 1, 1, 2, 2, expected, EXACT);

  /* a constant image becomes 0, not NaN */
  const gfloat flat[] = { 0.7f, 0.7f, 0.7f };
  const gfloat zeros[] = { 0, 0, 0 };
  g_autoptr (CnnfiltTensor) out2 = tu_run_values ("normalize", flat, 1, 1, 1, 3);
  tu_assert_tensor (out2, 1, 1, 1, 3, zeros, 0);
}
END_TEST

START_TEST (test_normalize_channels)
{
  /* two channels: [0 2] and [1 4] */
  const gfloat values[] = { 0, 2,  1, 4 };
  /* default: one range over the image, 0..4 */
  const gfloat together[] = { 0, 0.5f,  0.25f, 1 };
  /* per-channel: 0..2 and 1..4 */
  const gfloat apart[] = { 0, 1,  0, 1 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("normalize", values, 1, 2, 1, 2);
  tu_assert_tensor (a, 1, 2, 1, 2, together, EXACT);
  g_autoptr (CnnfiltTensor) b = tu_run_values ("normalize per-channel=true", values, 1, 2, 1, 2);
  tu_assert_tensor (b, 1, 2, 1, 2, apart, EXACT);

  /* a batch: each image has its own range */
  const gfloat batch[] = { 0, 10,  5, 6 };
  const gfloat each[] = { 0, 1,  0, 1 };
  g_autoptr (CnnfiltTensor) c = tu_run_values ("normalize", batch, 2, 1, 1, 2);
  tu_assert_tensor (c, 2, 1, 1, 2, each, EXACT);
}
END_TEST

/* threshold */

START_TEST (test_threshold)
{
  /* strictly above: the threshold itself gives 0 */
  const gfloat values[] = { 0.0f, 0.49f, 0.5f, 0.5001f, 1.0f, -3.0f };
  const gfloat above[] = { 0, 0, 0, 1, 1, 0 };
  const gfloat inverted[] = { 1, 1, 1, 0, 0, 1 };
  g_autoptr (CnnfiltTensor) a = tu_run_values ("threshold", values, 1, 1, 2, 3);
  tu_assert_tensor (a, 1, 1, 2, 3, above, 0);
  g_autoptr (CnnfiltTensor) b = tu_run_values ("threshold value=0.5", values, 1, 1, 2, 3);
  tu_assert_tensor (b, 1, 1, 2, 3, above, 0);
  g_autoptr (CnnfiltTensor) c = tu_run_values ("threshold value=0.5 invert=true", values, 1, 1, 2, 3);
  tu_assert_tensor (c, 1, 1, 2, 3, inverted, 0);

  const gfloat low[] = { 1, 1, 1, 1, 1, 0 };
  g_autoptr (CnnfiltTensor) d = tu_run_values ("threshold value=-1", values, 1, 1, 2, 3);
  tu_assert_tensor (d, 1, 1, 2, 3, low, 0);
}
END_TEST

/* invert */

START_TEST (test_invert)
{
  const gfloat values[] = { 0, 0.25f, 1, 1.5f, -0.5f, 0.8f };
  const gfloat expected[] = { 1, 0.75f, 0, -0.5f, 1.5f, 0.2f };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("invert", values, 1, 2, 1, 3);
  tu_assert_tensor (out, 1, 2, 1, 3, expected, EXACT);
  /* twice is the identity */
  g_autoptr (CnnfiltTensor) twice = tu_run_values ("invert ! invert", values, 1, 2, 1, 3);
  tu_assert_tensor (twice, 1, 2, 1, 3, values, EXACT);
}
END_TEST

/* resize */

START_TEST (test_resize_bilinear_up)
{
  /* 2×2 → 4×4 with pixel centres at half-integers (PyTorch
   * align_corners=False): output x samples source (x + 0.5)·(2/4) − 0.5 =
   * −0.25, 0.25, 0.75, 1.25, clamped to the edge, so each row
   * [a b] becomes [a, 0.75a + 0.25b, 0.25a + 0.75b, b]:
   *   [0 1] → 0 0.25 0.75 1      [2 3] → 2 2.25 2.75 3
   * and the columns the same way. */
  const gfloat input[] = { 0, 1, 2, 3 };
  const gfloat expected[] = {
    0.0f, 0.25f, 0.75f, 1.0f,
    0.5f, 0.75f, 1.25f, 1.5f,
    1.5f, 1.75f, 2.25f, 2.5f,
    2.0f, 2.25f, 2.75f, 3.0f,
  };
  g_autoptr (CnnfiltTensor) a =
      tu_run_values ("resize width=4 height=4 method=bilinear", input, 1, 1, 2, 2);
  tu_assert_tensor (a, 1, 1, 4, 4, expected, EXACT);
  /* auto picks bilinear when enlarging, and scale=2 gives the same size */
  g_autoptr (CnnfiltTensor) b = tu_run_values ("resize scale=2", input, 1, 1, 2, 2);
  tu_assert_tensor (b, 1, 1, 4, 4, expected, EXACT);
  /* width alone keeps the aspect ratio */
  g_autoptr (CnnfiltTensor) c = tu_run_values ("resize width=4", input, 1, 1, 2, 2);
  tu_assert_tensor (c, 1, 1, 4, 4, expected, EXACT);
}
END_TEST

START_TEST (test_resize_area_down)
{
  /* 4×4 → 2×2 by area: the mean of each 2×2 block */
  const gfloat input[] = {
    1, 2, 3, 4,
    5, 6, 7, 8,
    9, 10, 11, 12,
    13, 14, 15, 16,
  };
  /* (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4 */
  const gfloat expected[] = { 3.5f, 5.5f, 11.5f, 13.5f };
  g_autoptr (CnnfiltTensor) a =
      tu_run_values ("resize width=2 height=2 method=area", input, 1, 1, 4, 4);
  tu_assert_tensor (a, 1, 1, 2, 2, expected, EXACT);
  /* auto picks area when shrinking */
  g_autoptr (CnnfiltTensor) b = tu_run_values ("resize scale=0.5", input, 1, 1, 4, 4);
  tu_assert_tensor (b, 1, 1, 2, 2, expected, EXACT);
  /* ... which shows at a third: the means of 0 9 0 and 0 0 0, where
   * bilinear would sample the middle pixels only (9 and 0) */
  const gfloat spike[] = { 0, 9, 0, 0, 0, 0 };
  const gfloat thirds[] = { 3, 0 };
  g_autoptr (CnnfiltTensor) e = tu_run_values ("resize width=2 height=1", spike, 1, 1, 1, 6);
  tu_assert_tensor (e, 1, 1, 1, 2, thirds, EXACT);

  /* 3 → 1 on a row: the mean of all three */
  const gfloat row[] = { 1, 2, 6 };
  const gfloat mean[] = { 3 };
  g_autoptr (CnnfiltTensor) c = tu_run_values ("resize width=1 height=1 method=area", row, 1, 1, 1, 3);
  tu_assert_tensor (c, 1, 1, 1, 1, mean, EXACT);

  /* 4 → 3: covered fractions, output x spans [4x/3, 4(x+1)/3):
   *   x0: (1·a + 1/3·b) · 3/4, x1: (2/3·b + 2/3·c) · 3/4, x2: (1/3·c + 1·d) · 3/4 */
  const gfloat four[] = { 0, 3, 6, 9 };
  const gfloat three[] = { 0.75f, 4.5f, 8.25f };
  g_autoptr (CnnfiltTensor) d = tu_run_values ("resize width=3 height=1 method=area", four, 1, 1, 1, 4);
  tu_assert_tensor (d, 1, 1, 1, 3, three, 1e-5);
}
END_TEST

START_TEST (test_resize_nearest)
{
  /* enlarging by 2 repeats each pixel */
  const gfloat input[] = { 1, 2, 3, 4 };
  const gfloat expected[] = {
    1, 1, 2, 2,
    1, 1, 2, 2,
    3, 3, 4, 4,
    3, 3, 4, 4,
  };
  g_autoptr (CnnfiltTensor) a =
      tu_run_values ("resize width=4 height=4 method=nearest", input, 1, 1, 2, 2);
  tu_assert_tensor (a, 1, 1, 4, 4, expected, 0);

  /* by 3 */
  const gfloat row[] = { 5, 7 };
  const gfloat tripled[] = { 5, 5, 5, 7, 7, 7 };
  g_autoptr (CnnfiltTensor) b = tu_run_values ("resize width=6 height=1 method=nearest", row, 1, 1, 1, 2);
  tu_assert_tensor (b, 1, 1, 1, 6, tripled, 0);

  /* shrinking picks the source pixel under each output centre, source
   * x = floor((x + 0.5) · 2): columns 1 and 3 (as PIL and PyTorch's
   * 'nearest-exact') */
  const gfloat wide[] = { 10, 11, 12, 13 };
  const gfloat picked[] = { 11, 13 };
  g_autoptr (CnnfiltTensor) c = tu_run_values ("resize width=2 height=1 method=nearest", wide, 1, 1, 1, 4);
  tu_assert_tensor (c, 1, 1, 1, 2, picked, 0);
}
END_TEST

START_TEST (test_resize_channels_and_errors)
{
  /* every channel and image resized alike */
  const gfloat input[] = { 0, 1, 2, 3,  10, 11, 12, 13,  4, 4, 4, 4 };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("resize width=1 height=1", input, 1, 3, 2, 2);
  const gfloat means[] = { 1.5f, 11.5f, 4 };
  tu_assert_tensor (out, 1, 3, 1, 1, means, EXACT);

  /* a size is needed, and scale excludes width and height */
  g_autoptr (GError) e1 = tu_run_error ("resize", NULL);
  tu_assert_error (e1, CNNFILT_ERROR_INVALID_ARGUMENT, "resize");
  g_autoptr (GError) e2 = tu_run_error ("resize scale=2 width=4", NULL);
  tu_assert_error (e2, CNNFILT_ERROR_INVALID_ARGUMENT, "scale");
  g_autoptr (GError) e3 = tu_run_error ("resize method=cubic width=4", NULL);
  tu_assert_error (e3, CNNFILT_ERROR_INVALID_ARGUMENT, "method", "cubic", "bilinear");

  /* a scale that leaves no pixel is a shape error at run time */
  g_autoptr (CnnfiltTensor) t = tu_tensor (input, 1, 3, 2, 2);
  g_autoptr (GError) e4 = tu_run_error ("resize scale=0.1", t);
  tu_assert_error (e4, CNNFILT_ERROR_SHAPE, "resize");
}
END_TEST

START_TEST (test_crop_standardize_shorter)
{
  /* 1×1×4×6: the middle 2×2 (offsets rounded half to even: (4−2)/2 = 1,
   * (6−3)/2 = 1.5 → 2) */
  const gfloat in[] = { 0, 1, 2, 3, 4, 5,   10, 11, 12, 13, 14, 15,
                        20, 21, 22, 23, 24, 25,   30, 31, 32, 33, 34, 35 };
  g_autoptr (CnnfiltTensor) crop = tu_run_values ("center-crop width=3 height=2", in, 1, 1, 4, 6);
  const gfloat crop_want[] = { 12, 13, 14, 22, 23, 24 };
  tu_assert_tensor (crop, 1, 1, 2, 3, crop_want, 0);
  GError *e = tu_run_error ("center-crop width=7 height=2", crop);
  tu_assert_error (e, CNNFILT_ERROR_SHAPE, "center-crop", "7x2", "3x2");
  g_error_free (e);

  /* per channel, and one value for all */
  const gfloat rgb[] = { 0.5f, 1, 0, 0.25f };
  g_autoptr (CnnfiltTensor) s = tu_run_values ("standardize mean=0.5,0 std=0.25,0.5", rgb, 1, 2, 1, 2);
  const gfloat s_want[] = { 0, 2, 0, 0.5f };
  tu_assert_tensor (s, 1, 2, 1, 2, s_want, 1e-6);
  g_autoptr (CnnfiltTensor) one = tu_run_values ("standardize mean=1 std=2", rgb, 1, 2, 1, 2);
  const gfloat one_want[] = { -0.25f, 0, -0.5f, -0.375f };
  tu_assert_tensor (one, 1, 2, 1, 2, one_want, 1e-6);
  g_autoptr (CnnfiltTensor) two = tu_tensor (rgb, 1, 2, 1, 2);
  e = tu_run_error ("standardize", two); /* ImageNet's three values, two channels */
  tu_assert_error (e, CNNFILT_ERROR_SHAPE, "standardize", "3 values for 2 channels");
  g_error_free (e);
  e = tu_run_error ("standardize std=1,0,x", two);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "standardize", "std");
  g_error_free (e);

  /* resize shorter=2 on 4×6: the shorter side (height) to 2, width 3 */
  g_autoptr (CnnfiltTensor) r = tu_run_values ("resize shorter=2", in, 1, 1, 4, 6);
  ck_assert_uint_eq (cnnfilt_tensor_get_h (r), 2);
  ck_assert_uint_eq (cnnfilt_tensor_get_w (r), 3);
  e = tu_run_error ("resize shorter=2 scale=0.5", r);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "resize", "exclude");
  g_error_free (e);

  /* a strip of 300:1 resized to a shorter side of 256 would be 76,800
   * long: its longer side stops at the limit, 65,536, both ways round */
  const CnnfiltShape strips[2] = { { 1, 3, 1, 300 }, { 1, 3, 300, 1 } };
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string ("resize shorter=256", &error);
      g_assert_no_error (error);
      CnnfiltShape out;
      ck_assert (cnnfilt_graph_prepare (graph, &strips[i], 1, &error));
      ck_assert (cnnfilt_graph_get_output_shape (graph, 0, &out));
      ck_assert_uint_eq (i == 0 ? out.h : out.w, 256);
      ck_assert_uint_eq (i == 0 ? out.w : out.h, 65536);
    }
}
END_TEST

static Suite *
image_ops_suite (void)
{
  Suite *suite = suite_create ("image-ops");
  TCase *colour = tu_tcase ("colour");
  tcase_add_test (colour, test_grayscale_rec601);
  tcase_add_test (colour, test_grayscale_rec709);
  tcase_add_test (colour, test_grayscale_passthrough);
  tcase_add_test (colour, test_grayscale_rgba);
  tcase_add_test (colour, test_rgb);
  tcase_add_test (colour, test_normalize);
  tcase_add_test (colour, test_normalize_channels);
  tcase_add_test (colour, test_threshold);
  tcase_add_test (colour, test_invert);
  suite_add_tcase (suite, colour);

  TCase *resize = tu_tcase ("resize");
  tcase_add_test (resize, test_resize_bilinear_up);
  tcase_add_test (resize, test_resize_area_down);
  tcase_add_test (resize, test_resize_nearest);
  tcase_add_test (resize, test_resize_channels_and_errors);
  tcase_add_test (resize, test_crop_standardize_shorter);
  suite_add_tcase (suite, resize);
  return suite;
}

int
main (void)
{
  return tu_run_suite (image_ops_suite ());
}
