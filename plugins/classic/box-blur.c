/* box-blur.c: mean over a square window, separable
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'box-blur radius=3' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
  guint radius;
} CnnfiltBoxBlur;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltBoxBlurClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltBoxBlur, cnnfilt_box_blur, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp box_blur_props[] = {
  { "radius", "Half the window size: 1 is a 3×3 mean", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltBoxBlur, radius), 1, 500, 1, NULL, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would darken the edges of the image"),
};

static guint
cnnfilt_box_blur_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  guint size = 2 * ((CnnfiltBoxBlur *) filter)->radius + 1;
  g_autofree gfloat *weights = g_new (gfloat, size);
  for (guint i = 0; i < size; i++)
    weights[i] = 1.0f / size;
  kernels[0] = filter_kernel_new_separable (weights, size, weights, size);
  return 1;
}

static void
cnnfilt_box_blur_class_init (CnnfiltBoxBlurClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "box-blur";
  op_class->description = "Box blur: the mean of the (2·radius+1)² window, separable";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_box_blur_make_kernels;
  cnnfilt_op_class_install_properties (op_class, box_blur_props, G_N_ELEMENTS (box_blur_props));
}

static void
cnnfilt_box_blur_class_finalize (CnnfiltBoxBlurClass *klass)
{
}

static void
cnnfilt_box_blur_init (CnnfiltBoxBlur *self)
{
}
