/* test-area-op.c: the window geometry of CnnfiltAreaOp, and a subclass
 * written from the public header only, as a third-party plugin would
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The output sizes and pads are worked by hand from ONNX's definitions
 * (Conv, MaxPool with auto_pad and ceil_mode) and checked against PyTorch's
 * nn.MaxPool2d / nn.Conv2d formulas in the comments.
 */
#include "test-util.h"

static CnnfiltWindow
window_of (gint k, gint s, gint pad)
{
  return (CnnfiltWindow) { .kernel_h = k, .kernel_w = k, .stride_h = s, .stride_w = s,
                           .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad,
                           .dilation_h = 1, .dilation_w = 1 };
}

static void
plan_ok (const CnnfiltWindow *w, guint in_h, guint in_w, CnnfiltWindowPlan *p)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_window_plan (w, in_h, in_w, p, &error), "%s",
                 error ? error->message : "");
}

START_TEST (test_window_plan_worked)
{
  CnnfiltWindowPlan p;
  /* conv 3×3 stride 2 pad 1 on 5: (5 + 2 − 3) / 2 + 1 = 3 */
  CnnfiltWindow w = window_of (3, 2, 1);
  plan_ok (&w, 5, 5, &p);
  ck_assert_uint_eq (p.out_h, 3);
  ck_assert_uint_eq (p.out_w, 3);

  /* stride 0 is the kernel's (pools): 8 / 2 = 4 */
  w = window_of (2, 0, 0);
  plan_ok (&w, 8, 6, &p);
  ck_assert_int_eq (p.stride_h, 2);
  ck_assert_uint_eq (p.out_h, 4);
  ck_assert_uint_eq (p.out_w, 3);

  /* dilation 2: a 3-tap kernel spans 5, so 7 → 3 */
  w = window_of (3, 1, 0);
  w.dilation_h = w.dilation_w = 2;
  plan_ok (&w, 7, 7, &p);
  ck_assert_uint_eq (p.out_h, 3);

  /* same-upper, k 4, s 2 on 7: out ceil(7/2) = 4, total pad (4−1)·2 + 4 − 7 = 3,
   * 1 before and 2 after; same-lower puts the extra first */
  w = window_of (4, 2, 0);
  w.auto_pad = CNNFILT_AUTO_PAD_SAME_UPPER;
  plan_ok (&w, 7, 7, &p);
  ck_assert_uint_eq (p.out_h, 4);
  ck_assert_int_eq (p.pad_top, 1);
  ck_assert_int_eq (p.pad_bottom, 2);
  w.auto_pad = CNNFILT_AUTO_PAD_SAME_LOWER;
  plan_ok (&w, 7, 7, &p);
  ck_assert_int_eq (p.pad_top, 2);
  ck_assert_int_eq (p.pad_bottom, 1);
  /* valid ignores the pad-* fields */
  w = window_of (3, 1, 5);
  w.auto_pad = CNNFILT_AUTO_PAD_VALID;
  plan_ok (&w, 7, 7, &p);
  ck_assert_uint_eq (p.out_h, 5);
  ck_assert_int_eq (p.pad_top, 0);

  /* ceil mode, k 3 s 2 on 6: floor gives 2, ceil 3 (PyTorch MaxPool2d(3, 2,
   * ceil_mode=True) on 6 → 3) */
  w = window_of (3, 2, 0);
  plan_ok (&w, 6, 6, &p);
  ck_assert_uint_eq (p.out_h, 2);
  w.ceil_mode = TRUE;
  plan_ok (&w, 6, 6, &p);
  ck_assert_uint_eq (p.out_h, 3);
  /* ceil mode, k 2 s 2 pad 1 on 5: ceil(5/2) + 1 = 4, but the 4th window
   * would start at 6, in the trailing padding: 3, as PyTorch gives */
  w = window_of (2, 2, 1);
  w.ceil_mode = TRUE;
  plan_ok (&w, 5, 5, &p);
  ck_assert_uint_eq (p.out_h, 3);

  ck_assert (!cnnfilt_window_plan_is_identity (&p));
  w = window_of (1, 1, 0);
  plan_ok (&w, 6, 6, &p);
  ck_assert (cnnfilt_window_plan_is_identity (&p));
}
END_TEST

START_TEST (test_window_plan_errors)
{
  CnnfiltWindowPlan p;
  g_autoptr (GError) error = NULL;
  CnnfiltWindow w = window_of (5, 1, 0);
  ck_assert (!cnnfilt_window_plan (&w, 3, 9, &p, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "5 rows", "padded input (3)", NULL);
  g_clear_error (&error);

  w = window_of (3, -1, 0);
  ck_assert (!cnnfilt_window_plan (&w, 9, 9, &p, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "stride-h", NULL);
  g_clear_error (&error);

  w = window_of (0, 1, 0);
  ck_assert (!cnnfilt_window_plan (&w, 9, 9, &p, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "kernel-h", NULL);
}
END_TEST

/* The plugins' windowed ops are area ops, and resolve what their
 * properties mean. */
START_TEST (test_plugin_area_ops)
{
  g_autoptr (GError) error = NULL;
  const gchar *area[] = { "conv2d", "max-pool", "avg-pool", "sobel", "kernel", "gaussian-blur",
                          "box-blur", "laplacian" };
  for (guint i = 0; i < G_N_ELEMENTS (area); i++)
    {
      g_autoptr (CnnfiltOp) op = cnnfilt_op_new (area[i], &error);
      ck_assert_msg (op != NULL, "%s", error ? error->message : "");
      ck_assert_msg (CNNFILT_IS_AREA_OP (op), "%s is not an area op", area[i]);
    }
  g_autoptr (CnnfiltOp) relu = cnnfilt_op_new ("relu", &error);
  ck_assert (!CNNFILT_IS_AREA_OP (relu));

  /* sobel: 3×3, centred padding, replicate border */
  g_autoptr (CnnfiltOp) sobel = cnnfilt_op_new ("sobel", &error);
  CnnfiltWindow w;
  ck_assert (cnnfilt_area_op_resolve (CNNFILT_AREA_OP (sobel), &w, &error));
  ck_assert_int_eq (w.kernel_h, 3);
  ck_assert_int_eq (w.pad_top, 1);
  ck_assert_int_eq (w.pad_right, 1);
  ck_assert_int_eq (w.border, CNNFILT_BORDER_REPLICATE);

  /* kernel: a 2×4 matrix with stride 2 and padding 0 on 6×9: 3×3 */
  g_autoptr (CnnfiltOp) k = cnnfilt_op_new ("kernel", &error);
  ck_assert (cnnfilt_op_set_property_from_string (k, "matrix", "1,2,3,4;5,6,7,8", &error));
  ck_assert (cnnfilt_op_set_property_from_string (k, "stride", "2", &error));
  ck_assert (cnnfilt_op_set_property_from_string (k, "padding", "0", &error));
  CnnfiltWindowPlan p;
  ck_assert (cnnfilt_area_op_plan (CNNFILT_AREA_OP (k), 6, 9, &p, &error));
  ck_assert_int_eq (p.kernel_h, 2);
  ck_assert_int_eq (p.kernel_w, 4);
  ck_assert_uint_eq (p.out_h, 3);
  ck_assert_uint_eq (p.out_w, 3);
  ck_assert_int_eq (p.border, CNNFILT_BORDER_ZERO);

  /* conv2d: the kernel is the weights'; none is an error naming the op */
  g_autoptr (CnnfiltOp) conv = cnnfilt_op_new ("conv2d", &error);
  ck_assert (!cnnfilt_area_op_resolve (CNNFILT_AREA_OP (conv), &w, &error));
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "conv2d: ", "weights", NULL);
  g_clear_error (&error);
  g_autoptr (CnnfiltTensor) weights = cnnfilt_tensor_new (4, 2, 3, 5, NULL);
  g_object_set (conv, "weights", weights, "dilation", 2, "stride-h", 2, NULL);
  ck_assert (cnnfilt_area_op_resolve (CNNFILT_AREA_OP (conv), &w, &error));
  ck_assert_int_eq (w.kernel_h, 3);
  ck_assert_int_eq (w.kernel_w, 5);
  /* the receptive field model info reads: 3 taps dilated by 2 span 5, 5 span 9 */
  CnnfiltOpWindow rf;
  ck_assert (cnnfilt_op_get_window (conv, &rf));
  ck_assert_uint_eq (rf.kernel_h, 5);
  ck_assert_uint_eq (rf.kernel_w, 9);
  ck_assert_uint_eq (rf.stride_h, 2);
  ck_assert_uint_eq (rf.stride_w, 1);
}
END_TEST

/* A min filter as a third-party plugin would write it: public header only,
 * the window rows in its table, the base's infer. */
typedef struct {
  CnnfiltAreaOp parent_instance;
} TestMinFilter;
typedef CnnfiltAreaOpClass TestMinFilterClass;

static GType test_min_filter_get_type (void);
G_DEFINE_TYPE (TestMinFilter, test_min_filter, CNNFILT_TYPE_AREA_OP)

static const CnnfiltOpProp min_filter_props[] = {
  CNNFILT_AREA_OP_KERNEL_PROPS (3),
  CNNFILT_AREA_OP_STRIDE_PROPS (1, ""),
  CNNFILT_AREA_OP_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate", "the edge stays"),
};

static gboolean
min_filter_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!cnnfilt_area_op_plan (CNNFILT_AREA_OP (op), in.h, in.w, &p, error))
    return FALSE;
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      {
        const gfloat *src = cnnfilt_tensor_get_plane (inputs[0], n, c);
        gfloat *dst = cnnfilt_tensor_get_plane (output, n, c);
        for (guint y = 0; y < p.out_h; y++)
          for (guint x = 0; x < p.out_w; x++)
            {
              gfloat m = G_MAXFLOAT;
              for (gint i = 0; i < p.kernel_h; i++)
                for (gint j = 0; j < p.kernel_w; j++)
                  {
                    gint iy = CLAMP ((gint) y * p.stride_h - p.pad_top + i, 0, (gint) in.h - 1);
                    gint ix = CLAMP ((gint) x * p.stride_w - p.pad_left + j, 0, (gint) in.w - 1);
                    m = MIN (m, src[iy * in.w + ix]);
                  }
              dst[y * p.out_w + x] = m;
            }
      }
  return TRUE;
}

static void
test_min_filter_class_init (TestMinFilterClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "test-min-filter";
  op_class->description = "The smallest value of each window";
  op_class->run = min_filter_run;
  cnnfilt_op_class_install_properties (op_class, min_filter_props,
                                       G_N_ELEMENTS (min_filter_props));
}

static void
test_min_filter_init (TestMinFilter *self)
{
}

START_TEST (test_third_party_area_op)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = g_object_new (test_min_filter_get_type (), NULL);
  ck_assert (cnnfilt_op_set_property_from_string (op, "padding", "1", &error));
  gint kernel_h = 0, border = -1;
  g_object_get (op, "kernel-h", &kernel_h, "border", &border, NULL);
  ck_assert_int_eq (kernel_h, 3);
  ck_assert_int_eq (border, CNNFILT_BORDER_REPLICATE);

  const gfloat values[] = { 5, 3, 8,
                            1, 9, 4,
                            7, 2, 6 };
  g_autoptr (CnnfiltTensor) in = tu_tensor (values, 1, 1, 3, 3);
  CnnfiltShape shape, out_shape;
  cnnfilt_tensor_get_shape (in, &shape);
  ck_assert (cnnfilt_op_infer (op, &shape, 1, &out_shape, &error));
  ck_assert_uint_eq (out_shape.h, 3);
  ck_assert_uint_eq (out_shape.w, 3);
  g_autoptr (CnnfiltTensor) out = cnnfilt_tensor_new (1, 1, 3, 3, NULL);
  CnnfiltTensor *inputs[] = { in };
  ck_assert_msg (cnnfilt_op_run (op, inputs, 1, out, &error), "%s", error ? error->message : "");
  /* each output: the minimum of its 3×3 neighbourhood, edges replicated */
  const gfloat expected[] = { 1, 1, 3,
                              1, 1, 2,
                              1, 1, 2 };
  tu_assert_tensor (out, 1, 1, 3, 3, expected, 0);

  /* stride 2 without padding on 3×3: one window */
  ck_assert (cnnfilt_op_set_property_from_string (op, "padding", "0", &error));
  ck_assert (cnnfilt_op_set_property_from_string (op, "stride", "2", &error));
  ck_assert (cnnfilt_op_infer (op, &shape, 1, &out_shape, &error));
  ck_assert_uint_eq (out_shape.h, 1);
  /* a window larger than the input: the error names the op */
  ck_assert (cnnfilt_op_set_property_from_string (op, "kernel", "4", &error));
  ck_assert (!cnnfilt_op_infer (op, &shape, 1, &out_shape, &error));
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "test-min-filter: ", NULL);
}
END_TEST

static Suite *
area_op_suite (void)
{
  Suite *suite = suite_create ("area-op");
  TCase *tc = tu_tcase ("area-op");
  tcase_add_test (tc, test_window_plan_worked);
  tcase_add_test (tc, test_window_plan_errors);
  tcase_add_test (tc, test_plugin_area_ops);
  tcase_add_test (tc, test_third_party_area_op);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return tu_run_suite (area_op_suite ());
}
