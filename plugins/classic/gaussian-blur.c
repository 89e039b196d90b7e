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

enum { PROP_0, PROP_SIGMA, PROP_BORDER };

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
cnnfilt_gaussian_blur_set_property (GObject *object, guint prop_id, const GValue *value,
                                    GParamSpec *pspec)
{
  CnnfiltGaussianBlur *self = (CnnfiltGaussianBlur *) object;
  switch (prop_id)
    {
    case PROP_SIGMA:
      self->sigma = g_value_get_double (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_gaussian_blur_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  CnnfiltGaussianBlur *self = (CnnfiltGaussianBlur *) object;
  switch (prop_id)
    {
    case PROP_SIGMA:
      g_value_set_double (value, self->sigma);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_gaussian_blur_class_init (CnnfiltGaussianBlurClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_gaussian_blur_set_property;
  object_class->get_property = cnnfilt_gaussian_blur_get_property;
  op_class->name = "gaussian-blur";
  op_class->description = "Gaussian blur, separable, kernel radius ceil(3·sigma)";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_gaussian_blur_make_kernels;

  g_object_class_install_property (
      object_class, PROP_SIGMA,
      g_param_spec_double ("sigma", "Sigma", "Standard deviation in pixels",
                           0.1, 100.0, 1.0,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would darken the edges of the image");
}

static void
cnnfilt_gaussian_blur_class_finalize (CnnfiltGaussianBlurClass *klass)
{
}

static void
cnnfilt_gaussian_blur_init (CnnfiltGaussianBlur *self)
{
}
