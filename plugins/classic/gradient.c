/* gradient.c: first-derivative filters (sobel, scharr, prewitt)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gradient.h"

GType
cnnfilt_gradient_direction_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_GRADIENT_X, "CNNFILT_GRADIENT_X", "x" },
        { CNNFILT_GRADIENT_Y, "CNNFILT_GRADIENT_Y", "y" },
        { CNNFILT_GRADIENT_MAGNITUDE, "CNNFILT_GRADIENT_MAGNITUDE", "magnitude" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltGradientDirection", values));
    }
  return type;
}

typedef struct {
  CnnfiltGradientDirection direction;
} CnnfiltGradientPrivate;

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CnnfiltGradient, cnnfilt_gradient, CNNFILT_TYPE_FILTER,
                                G_TYPE_FLAG_ABSTRACT, G_ADD_PRIVATE_DYNAMIC (CnnfiltGradient))

void
cnnfilt_gradient_register (GTypeModule *module)
{
  cnnfilt_gradient_register_type (module);
}

enum { PROP_0, PROP_DIRECTION, PROP_BORDER };

static guint
cnnfilt_gradient_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  CnnfiltGradient *self = CNNFILT_GRADIENT (filter);
  CnnfiltGradientPrivate *priv = cnnfilt_gradient_get_instance_private (self);
  const gfloat *smooth = CNNFILT_GRADIENT_GET_CLASS (self)->smooth;
  static const gfloat derivative_x[3] = { -1, 0, 1 };
  static const gfloat derivative_y[3] = { 1, 0, -1 };
  guint n = 0;
  if (priv->direction != CNNFILT_GRADIENT_Y)
    kernels[n++] = filter_kernel_new_separable (smooth, 3, derivative_x, 3);
  if (priv->direction != CNNFILT_GRADIENT_X)
    kernels[n++] = filter_kernel_new_separable (derivative_y, 3, smooth, 3);
  return n;
}

static void
cnnfilt_gradient_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  CnnfiltGradientPrivate *priv = cnnfilt_gradient_get_instance_private (CNNFILT_GRADIENT (object));
  switch (prop_id)
    {
    case PROP_DIRECTION:
      priv->direction = g_value_get_enum (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_gradient_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltGradientPrivate *priv = cnnfilt_gradient_get_instance_private (CNNFILT_GRADIENT (object));
  switch (prop_id)
    {
    case PROP_DIRECTION:
      g_value_set_enum (value, priv->direction);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_gradient_class_init (CnnfiltGradientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->set_property = cnnfilt_gradient_set_property;
  object_class->get_property = cnnfilt_gradient_get_property;
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_gradient_make_kernels;

  g_object_class_install_property (
      object_class, PROP_DIRECTION,
      g_param_spec_enum ("direction", "Direction",
                         "x: horizontal derivative Gx (responds to vertical edges); y: vertical "
                         "derivative Gy, positive where the image is brighter above; magnitude: "
                         "sqrt(Gx² + Gy²)",
                         CNNFILT_TYPE_GRADIENT_DIRECTION, CNNFILT_GRADIENT_MAGNITUDE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would draw a false edge around every image");
}

static void
cnnfilt_gradient_class_finalize (CnnfiltGradientClass *klass)
{
}

static void
cnnfilt_gradient_init (CnnfiltGradient *self)
{
}
