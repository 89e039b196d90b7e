/* gaussian-blur.c: separable Gaussian blur
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'gaussian-blur sigma=2 ! grayscale ! sobel' -o out/ photos/
 */
#include "filter.h"

#include <math.h>

typedef struct {
  CnnfiltFilter parent_instance;
  gdouble sigma;
} CnnfiltGaussianBlur;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltGaussianBlurClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGaussianBlur, cnnfilt_gaussian_blur, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp gaussian_blur_props[] = {
  { "sigma", "Standard deviation in pixels", CNNFILT_OP_PROP_DOUBLE,
    CNNFILT_OP_PROP_FIELD (CnnfiltGaussianBlur, sigma), 0.1, 100.0, 1.0, NULL, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would darken the edges of the image"),
};

/* Weights exp(-x² / 2σ²) for |x| ≤ ceil(3σ), summing to 1; the 2-D kernel is
 * their outer product and runs as two 1-D passes. */
static guint
cnnfilt_gaussian_blur_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2],
                                    GError **error)
{
  gdouble sigma = ((CnnfiltGaussianBlur *) filter)->sigma;
  guint radius = (guint) ceil (3.0 * sigma);
  guint size = 2 * radius + 1;
  g_autofree gfloat *weights = g_new (gfloat, size);
  gdouble sum = 0;
  for (guint i = 0; i < size; i++)
    {
      gdouble x = (gdouble) i - radius;
      sum += exp (-x * x / (2.0 * sigma * sigma));
    }
  for (guint i = 0; i < size; i++)
    {
      gdouble x = (gdouble) i - radius;
      weights[i] = (gfloat) (exp (-x * x / (2.0 * sigma * sigma)) / sum);
    }
  kernels[0] = filter_kernel_new_separable (weights, size, weights, size);
  return 1;
}

static void
cnnfilt_gaussian_blur_class_init (CnnfiltGaussianBlurClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "gaussian-blur";
  op_class->description = "Gaussian blur, separable, kernel radius ceil(3·sigma)";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_gaussian_blur_make_kernels;
  cnnfilt_op_class_install_properties (op_class, gaussian_blur_props,
                                       G_N_ELEMENTS (gaussian_blur_props));
}

static void
cnnfilt_gaussian_blur_class_finalize (CnnfiltGaussianBlurClass *klass)
{
}

static void
cnnfilt_gaussian_blur_init (CnnfiltGaussianBlur *self)
{
}
