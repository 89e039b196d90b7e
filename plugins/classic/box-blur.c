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

enum { PROP_0, PROP_RADIUS, PROP_BORDER };

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
cnnfilt_box_blur_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  CnnfiltBoxBlur *self = (CnnfiltBoxBlur *) object;
  switch (prop_id)
    {
    case PROP_RADIUS:
      self->radius = g_value_get_uint (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_box_blur_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltBoxBlur *self = (CnnfiltBoxBlur *) object;
  switch (prop_id)
    {
    case PROP_RADIUS:
      g_value_set_uint (value, self->radius);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_box_blur_class_init (CnnfiltBoxBlurClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_box_blur_set_property;
  object_class->get_property = cnnfilt_box_blur_get_property;
  op_class->name = "box-blur";
  op_class->description = "Box blur: the mean of the (2·radius+1)² window, separable";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_box_blur_make_kernels;

  g_object_class_install_property (
      object_class, PROP_RADIUS,
      g_param_spec_uint ("radius", "Radius", "Half the window size: 1 is a 3×3 mean",
                         1, 500, 1, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would darken the edges of the image");
}

static void
cnnfilt_box_blur_class_finalize (CnnfiltBoxBlurClass *klass)
{
}

static void
cnnfilt_box_blur_init (CnnfiltBoxBlur *self)
{
}
